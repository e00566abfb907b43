// The PyTorch worker from TypeScript: promise-returning calls with a deadline and the bearer token, and a
// worker started as a child process that exits when its parent does (its stdin closes).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import {
  WorkerServiceClient, type GetStatusResponse, type InitModelRequest, type InitModelResponse, type LoadCheckpointResponse,
  type SaveCheckpointResponse, type TokenSequence, type TrainStepResponse,
} from '../gen/dsmath/v1/worker.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export class WorkerConn {
  readonly client: WorkerServiceClient
  constructor(readonly address: string, private readonly authToken?: string, private readonly stepDeadlineMs = 600_000) {
    this.client = new WorkerServiceClient(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 << 20, 'grpc.max_send_message_length': 256 << 20,
    })
  }

  private call<Req, Res>(method: string, req: Req, deadlineMs = 60_000): Promise<Res> {
    const md = new grpc.Metadata()
    if (this.authToken) md.set('authorization', `Bearer ${this.authToken}`)
    const fn = (this.client as unknown as Record<string, (r: Req, m: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method]!.bind(this.client)
    return new Promise((resolve, reject) => fn(req, md, { deadline: Date.now() + deadlineMs }, (e, r) => {
      if (e) reject(Object.assign(new Error(`worker ${this.address} ${method}: ${e.details || e.message}`), { code: e.code }))
      else resolve(r)
    }))
  }

  initModel(req: InitModelRequest): Promise<InitModelResponse> { return this.call('initModel', req, 120_000) }
  trainStep(sequences: number[][], learningRate: number): Promise<TrainStepResponse> {
    const seqs: TokenSequence[] = sequences.map((tokens) => ({ tokens, loss_mask: [] }))
    return this.call('trainStep', { sequences: seqs, learning_rate: learningRate }, this.stepDeadlineMs)
  }
  saveCheckpoint(path: string, clientState: unknown): Promise<SaveCheckpointResponse> {
    return this.call('saveCheckpoint', { path, client_state_json: JSON.stringify(clientState) }, 300_000)
  }
  loadCheckpoint(path: string): Promise<LoadCheckpointResponse> { return this.call('loadCheckpoint', { path }, 300_000) }
  getStatus(): Promise<GetStatusResponse> { return this.call('getStatus', {}, 10_000) }
  close(): void { this.client.close() }
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
