// Scrapes /metrics from real processes after they did work: the pretrain service (dsmath pretrain serve
// --metrics-port) and the PyTorch worker it trains through (DSMATH_METRICS_PORT). The corpus worker and the
// registry are scraped in test/integration/metrics.test.ts (they need Temporal and Kafka).
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger, formatLine, setSink } from '../../src/obs/log.ts'
import { metricsPort } from '../../src/obs/metrics.ts'
import { spawnWorker, type SpawnedWorker } from '../../src/train/worker.ts'
import { runCli, startCli } from '../helpers.ts'
import { parseMetrics } from './prom.ts'

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  return parseMetrics(await res.text())
}

const procs: { kill(sig?: NodeJS.Signals): unknown }[] = []
let worker: SpawnedWorker | undefined
afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM')
  await worker?.stop()
})

describe('metrics', () => {
  it('the pretrain service and the PyTorch worker export steps, loss and tokens/s after a job', async () => {
    const saved = { port: process.env.DSMATH_METRICS_PORT, host: process.env.DSMATH_METRICS_HOST }
    process.env.DSMATH_METRICS_PORT = '0'
    process.env.DSMATH_METRICS_HOST = '127.0.0.1'
    try {
      worker = await spawnWorker({ threads: 1 })
    } finally {
      if (saved.port === undefined) delete process.env.DSMATH_METRICS_PORT
      else process.env.DSMATH_METRICS_PORT = saved.port
    }
    const workerMetrics = Number(/dsmath worker metrics on port (\d+)/.exec(worker.output())![1])
    const before = await scrape(workerMetrics)
    expect(before.get('dsmath_train_steps_total{kind="train"}') ?? 0).toBe(0)

    const ready = /pretrain service listening on 127\.0\.0\.1:(\d+)/
    const state = await mkdtemp(join(tmpdir(), 'dsmath-metrics-'))
    const svc = await startCli(['pretrain', 'serve', '--port', '0', '--state', state, '--metrics-port', '0'], ready, { DSMATH_METRICS_HOST: '127.0.0.1' })
    procs.push(svc)
    const line = svc.output().split('\n').find((l) => ready.test(l))!
    const logged = JSON.parse(line) as { level: string; service: string; metrics_port: number; port: number }
    expect(logged).toMatchObject({ level: 'info', service: 'pretrain' })
    const steps = 6
    const res = await runCli(['train', 'pretrain', '--service', `127.0.0.1:${logged.port}`, '--worker', worker.address, '--job-id', 'm1',
      '--steps', String(steps), '--seq-len', '32', '--batch', '2', '--d-model', '32', '--layers', '1', '--heads', '2', '--vocab-size', '300',
      '--checkpoint-every', '3'])
    expect(res.code, res.stderr).toBe(0)

    const svcMetrics = await scrape(logged.metrics_port)
    expect(svcMetrics.get('dsmath_train_steps_total{job="m1"}')).toBe(steps)
    expect(svcMetrics.get('dsmath_train_step{job="m1"}')).toBe(steps)
    expect(svcMetrics.get('dsmath_train_loss{job="m1"}')).toBeGreaterThan(0)
    expect(svcMetrics.get('dsmath_train_tokens_per_second{job="m1"}')).toBeGreaterThan(0)
    expect(svcMetrics.get('dsmath_train_tokens_total{job="m1"}')).toBe(steps * 2 * 32)
    expect(svcMetrics.get('dsmath_process_resident_memory_bytes')).toBeGreaterThan(0)

    const after = await scrape(workerMetrics)
    expect(after.get('dsmath_train_steps_total{kind="train"}')).toBe(steps)
    expect(after.get('dsmath_train_tokens_total{kind="train"}')).toBe(steps * 2 * 32)
    expect(after.get('dsmath_train_loss{kind="train"}')).toBeCloseTo(svcMetrics.get('dsmath_train_loss{job="m1"}')!, 4)
    expect(after.get('dsmath_train_tokens_per_second{kind="train"}')).toBeGreaterThan(0)
    expect(after.get('dsmath_worker_step_seconds_count{kind="train"}')).toBe(steps)
    // The job's lines carry its id.
    const jobLines = svc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(jobLines.some((l) => l.job_id === 'm1')).toBe(true)
  }, 180_000)

  it('metricsPort takes the flag, then DSMATH_METRICS_PORT, and refuses a bad value', () => {
    const saved = process.env.DSMATH_METRICS_PORT
    try {
      delete process.env.DSMATH_METRICS_PORT
      expect(metricsPort(undefined)).toBeUndefined()
      process.env.DSMATH_METRICS_PORT = '9464'
      expect(metricsPort(undefined)).toBe(9464)
      expect(metricsPort('9100')).toBe(9100)
      expect(() => metricsPort('http')).toThrow(/metrics port/)
      expect(() => metricsPort('70000')).toThrow(/metrics port/)
    } finally {
      if (saved === undefined) delete process.env.DSMATH_METRICS_PORT
      else process.env.DSMATH_METRICS_PORT = saved
    }
  })

  it('the logger writes one JSON object per line with the bound ids and drops levels under DSMATH_LOG_LEVEL', () => {
    const lines: string[] = []
    setSink((l) => lines.push(l))
    const saved = process.env.DSMATH_LOG_LEVEL
    try {
      process.env.DSMATH_LOG_LEVEL = 'info'
      const log = createLogger('corpus-worker', { run_id: 'r1' }).child({ workflow_id: 'corpus-r1', shard_id: 's-0001' })
      log.debug('hidden')
      log.info('shard scored', { rows: 3, error: new Error('boom'), skip: undefined })
      process.env.DSMATH_LOG_LEVEL = 'warn'
      log.info('hidden too')
      log.warn('slow "quoted"\nnewline')
    } finally {
      setSink((l) => { process.stderr.write(l) })
      if (saved === undefined) delete process.env.DSMATH_LOG_LEVEL
      else process.env.DSMATH_LOG_LEVEL = saved
    }
    expect(lines).toHaveLength(2)
    for (const l of lines) expect(l.endsWith('\n') && !l.slice(0, -1).includes('\n')).toBe(true)
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(a).toMatchObject({ level: 'info', service: 'corpus-worker', run_id: 'r1', workflow_id: 'corpus-r1', shard_id: 's-0001', msg: 'shard scored', rows: 3, error: 'boom' })
    expect('skip' in a!).toBe(false)
    expect(Number.isNaN(Date.parse(a!.ts as string))).toBe(false)
    expect(b).toMatchObject({ level: 'warn', msg: 'slow "quoted"\nnewline' })
    expect(formatLine('error', {}, 'x', { n: 10n })).toContain('"n":"10"')
    expect(JSON.parse(formatLine('info', {}, 'x', { meta: { step: 3n, err: new Error('e') } }))).toMatchObject({ meta: { step: '3', err: 'e' } })
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(JSON.parse(formatLine('warn', { run_id: 'r' }, 'kept', { cycle }))).toMatchObject({ level: 'warn', run_id: 'r', msg: 'kept', fields_dropped: true })
  })
})
