// A Kafka broker of the test's own (KRaft, one node) on free loopback ports with a temporary data directory,
// from the jars infra/install.sh put in the cache: a test can stop and restart it without touching the
// shared dev broker of infra/up.sh.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PrivateKafka {
  /** host:port of the broker */
  brokers: string
  /** Starts the broker (again, on the same data and ports) and waits until it serves. */
  start(): Promise<void>
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>
  /** Stops the broker and removes its data. */
  destroy(): Promise<void>
  log(): Promise<string>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function run(cmd: string, args: string[], logFile?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => { out += d })
    p.stderr.on('data', (d: Buffer) => { out += d })
    p.on('close', async (code) => {
      if (logFile) await writeFile(logFile, out)
      resolve({ code: code ?? -1, out })
    })
  })
}

export async function startPrivateKafka(): Promise<PrivateKafka> {
  const cache = process.env.DSMATH_CACHE ?? join(homedir(), '.cache', 'dsmath')
  const cp = join(cache, 'kafka-4.1.1', 'libs', '*')
  const dir = await mkdtemp(join(tmpdir(), 'dsmath-kafka-'))
  await mkdir(join(dir, 'data'))
  const [port, controllerPort] = [await freePort(), await freePort()]
  const props = join(dir, 'server.properties')
  await writeFile(props, `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${join(dir, 'data')}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
`)
  const fmt = await run('java', ['-cp', cp, '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', 'kafka.tools.StorageTool', 'format', '-g',
    '-t', 'testKafkaCluster00000Q', '-c', props], join(dir, 'format.log'))
  if (fmt.code !== 0) throw new Error(`formatting a private Kafka broker failed (are the jars in ${cp}? make infra-install):\n${fmt.out}`)

  let proc: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let serverLog = ''
  const logFile = join(dir, 'server.log')
  const kafka: PrivateKafka = {
    brokers: `127.0.0.1:${port}`,
    async start() {
      if (proc) return
      serverLog = ''
      const p = spawn('java', ['-Xms256m', '-Xmx256m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info',
        '-cp', cp, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] })
      proc = p
      p.stdout!.on('data', (d: Buffer) => { serverLog += d })
      p.stderr!.on('data', (d: Buffer) => { serverLog += d })
      exited = new Promise((resolve) => p.on('exit', () => { if (proc === p) proc = undefined; resolve() }))
      const t0 = Date.now()
      while (!serverLog.includes('Kafka Server started')) {
        if (!proc) throw new Error(`private Kafka broker exited before it started:\n${serverLog.slice(-3000)}`)
        if (Date.now() - t0 > 120_000) throw new Error(`private Kafka broker not started after 120 s:\n${serverLog.slice(-3000)}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    async stop() {
      const p = proc
      if (!p) return
      p.kill('SIGTERM')
      const killer = setTimeout(() => p.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(killer)
      await writeFile(logFile, serverLog).catch(() => {})
    },
    async destroy() {
      await kafka.stop()
      await rm(dir, { recursive: true, force: true })
    },
    log: async () => serverLog || readFile(logFile, 'utf8').catch(() => ''),
  }
  await kafka.start()
  return kafka
}
