// The PyTorch worker from TypeScript: promise-returning calls with a deadline and the bearer token, and a
// worker started as a child process that exits when its parent does (its stdin closes).
import { spawn, type ChildProcess } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import { hostname } from 'node:os'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import {
  WorkerServiceClient, type GetStatusResponse, type InitModelRequest, type InitModelResponse, type LoadCheckpointResponse,
  type ReleaseWorkerResponse, type SaveCheckpointResponse, type TokenSequence, type TrainStepResponse,
} from '../gen/dsmath/v1/worker.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Metadata naming the job that drives a worker: the worker serves one job at a time (services/worker/lease.py). */
export const JOB_METADATA = 'dsmath-job'

/** The job id a CLI run sends to a worker it did not start (--worker): the worker serves no other job meanwhile. */
export function cliJobId(): string {
  return `cli/${hostname()}/${process.pid}`
}

export class WorkerConn {
  readonly client: WorkerServiceClient
  /**
   * jobId: sent with every call, so the worker holds itself for this job and refuses other jobs' calls (and
   * calls naming no job) until this job releases it or leaves it idle past its lease.
   */
  constructor(readonly address: string, private readonly authToken?: string, private readonly stepDeadlineMs = 600_000, readonly jobId?: string) {
    this.client = new WorkerServiceClient(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 << 20, 'grpc.max_send_message_length': 256 << 20,
    })
  }

  /** One RPC with this connection's bearer token and job id. */
  invoke<Req, Res>(method: string, req: Req, deadlineMs = 60_000): Promise<Res> {
    const md = new grpc.Metadata()
    if (this.authToken) md.set('authorization', `Bearer ${this.authToken}`)
    if (this.jobId) md.set(JOB_METADATA, this.jobId)
    const fn = (this.client as unknown as Record<string, (r: Req, m: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method]!.bind(this.client)
    return new Promise((resolve, reject) => fn(req, md, { deadline: Date.now() + deadlineMs }, (e, r) => {
      if (e) reject(Object.assign(new Error(`worker ${this.address} ${method}: ${e.details || e.message}`), { code: e.code }))
      else resolve(r)
    }))
  }

  initModel(req: InitModelRequest): Promise<InitModelResponse> { return this.invoke('initModel', req, 120_000) }
  trainStep(sequences: number[][], learningRate: number): Promise<TrainStepResponse> {
    const seqs: TokenSequence[] = sequences.map((tokens) => ({ tokens, loss_mask: [] }))
    return this.invoke('trainStep', { sequences: seqs, learning_rate: learningRate }, this.stepDeadlineMs)
  }
  saveCheckpoint(path: string, clientState: unknown): Promise<SaveCheckpointResponse> {
    return this.invoke('saveCheckpoint', { path, client_state_json: JSON.stringify(clientState) }, 300_000)
  }
  loadCheckpoint(path: string): Promise<LoadCheckpointResponse> { return this.invoke('loadCheckpoint', { path }, 300_000) }
  getStatus(): Promise<GetStatusResponse> { return this.invoke('getStatus', {}, 10_000) }
  /** Lets other jobs use the worker (a no-op unless this connection's job holds it). */
  releaseWorker(): Promise<ReleaseWorkerResponse> { return this.invoke('releaseWorker', {}, 10_000) }
  /** Releases the worker for this job (when it has a job id; errors are ignored: the lease lapses anyway), then closes the channel. */
  async release(): Promise<void> {
    if (this.jobId) await this.releaseWorker().catch(() => undefined)
    this.client.close()
  }
  close(): void { this.client.close() }
}

/** Environment: the default worker pool of the training services (jobs that name no workers), e.g. a headless
 * Service's name, `dsmath-torch-worker:50070`, which DNS resolves to every ready worker pod. */
export const WORKER_POOL_ENV = 'DSMATH_WORKER_POOL'

/** HOST:PORT entries (comma-separated or a list), each host resolved to every address DNS gives it. */
export async function poolAddresses(spec: string | readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const entry of (typeof spec === 'string' ? spec.split(',') : spec).map((e) => e.trim()).filter(Boolean)) {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry)
    if (!m) throw new Error(`worker address '${entry}': expected HOST:PORT`)
    const [, host, port] = m
    const found = await lookup(host!, { all: true }).catch((err: Error) => { throw new Error(`worker address '${entry}': ${host} does not resolve (${err.message})`) })
    for (const a of found) out.push(a.family === 6 ? `[${a.address}]:${port}` : `${a.address}:${port}`)
  }
  return [...new Set(out)]
}

/**
 * A connection to a worker of the pool that is free, held for `jobId` (the first to answer; a worker serves one
 * job at a time). Fails naming each worker's state when every one is busy or unreachable.
 */
export async function claimWorker(addresses: readonly string[], jobId: string, token?: string, stepDeadlineMs?: number): Promise<WorkerConn> {
  const why: string[] = []
  for (const address of await poolAddresses(addresses)) {
    const conn = new WorkerConn(address, token, stepDeadlineMs, jobId)
    const status = await conn.getStatus().catch((err: Error) => err)
    if (!(status instanceof Error) && status.held_by_job === jobId) return conn
    conn.close()
    why.push(status instanceof Error ? `${address} unreachable (${status.message})` : `${address} serves job ${status.held_by_job}`)
  }
  throw new Error(`job ${jobId}: no free worker: ${why.join('; ') || 'the pool is empty'}`)
}

/**
 * The worker of a service's job: one of the job's workers (or of $DSMATH_WORKER_POOL when it names none) claimed
 * for it, else a worker started for the job alone. close() releases or stops it.
 */
export async function openJobWorker(opts: { addresses: readonly string[]; jobId: string; token?: string; stepDeadlineMs?: number; threads?: number }): Promise<{ conn: WorkerConn; close(): Promise<void> }> {
  const pool = opts.addresses.length ? opts.addresses : process.env[WORKER_POOL_ENV] ? [process.env[WORKER_POOL_ENV]] : []
  if (pool.length) {
    const conn = await claimWorker(pool, opts.jobId, opts.token, opts.stepDeadlineMs)
    return { conn, close: () => conn.release() }
  }
  const spawned = await spawnWorker({ threads: opts.threads ?? 0 })
  const conn = new WorkerConn(spawned.address, opts.token, opts.stepDeadlineMs)
  return { conn, close: async () => { conn.close(); await spawned.stop() } }
}

export interface SpawnedWorker { address: string; child: ChildProcess; stop(): Promise<void>; output(): string }

// Runs the worker module with a watchdog thread: when stdin reaches EOF (the parent died or closed it),
// the worker exits, so a killed service never leaves an orphan worker holding memory.
const WATCHDOG = `
import os, sys, threading, runpy
def _watch():
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
sys.argv = ['services.worker.server'] + sys.argv[1:]
runpy.run_module('services.worker.server', run_name='__main__')
`

/** Starts `python -m services.worker.server --port 0` (the repo's .venv python unless DSMATH_PYTHON is set). */
export function spawnWorker(opts: { threads?: number; authToken?: string; device?: string; timeoutMs?: number } = {}): Promise<SpawnedWorker> {
  const python = process.env.DSMATH_PYTHON || `${REPO_ROOT}.venv/bin/python`
  const args = ['-c', WATCHDOG, '--port', '0', ...(opts.threads ? ['--threads', String(opts.threads)] : [])]
  const env: NodeJS.ProcessEnv = { ...process.env, DSMATH_DEVICE: opts.device ?? process.env.DSMATH_DEVICE ?? 'cpu' }
  if (opts.authToken) env.DSMATH_AUTH_TOKEN = opts.authToken
  else delete env.DSMATH_AUTH_TOKEN
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C at the terminal reaches the CLI, which checkpoints and then stops it.
    const child = spawn(python, args, { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    let out = ''
    let ready = false
    const timer = setTimeout(() => { if (!ready) { child.kill('SIGKILL'); reject(new Error(`worker not ready after ${opts.timeoutMs ?? 120_000} ms:\n${out}`)) } }, opts.timeoutMs ?? 120_000)
    const onData = (d: Buffer): void => {
      out += d
      if (out.length > 100_000) out = out.slice(-50_000)
      const m = /dsmath worker listening on ([\d.]+):(\d+)/.exec(out)
      if (m && !ready) {
        ready = true
        clearTimeout(timer)
        resolve({
          address: `${m[1]}:${m[2]}`, child, output: () => out,
          stop: () => new Promise<void>((res) => {
            if (child.exitCode !== null || child.signalCode !== null) return res()
            child.once('exit', () => res())
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), 15_000).unref()
          }),
        })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('error', (e) => { clearTimeout(timer); reject(e) })
    child.on('exit', (code) => { clearTimeout(timer); if (!ready) reject(new Error(`worker exited ${code} before ready:\n${out}`)) })
  })
}
