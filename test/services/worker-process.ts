// Starts the PyTorch worker (services/worker) as a child process and calls it over gRPC: shared by tests that
// drive it from TypeScript.
import { spawn, type ChildProcess } from 'node:child_process'
import * as grpc from '@grpc/grpc-js'
import { WorkerServiceClient } from '../../src/gen/dsmath/v1/worker.ts'
import { REPO } from '../helpers.ts'

export interface WorkerProcess { child: ChildProcess; client: WorkerServiceClient; port: number }

export function startWorkerProcess(env: Record<string, string> = {}): Promise<WorkerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${REPO}.venv/bin/python`, ['-m', 'services.worker.server', '--port', '0', '--threads', '1'], {
      cwd: REPO, env: { ...process.env, DSMATH_DEVICE: 'cpu', ...env },
    })
    let out = ''
    const onData = (d: Buffer): void => {
      out += d
      const m = /dsmath worker listening on 127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve({ child, port: Number(m[1]), client: new WorkerServiceClient(`127.0.0.1:${m[1]}`, grpc.credentials.createInsecure()) })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`worker exited ${code} before ready:\n${out}`)))
  })
}

type Method = keyof WorkerServiceClient & ('initModel' | 'trainStep' | 'generate' | 'logProbs' | 'policyStep' | 'resetReference' | 'saveCheckpoint' | 'loadCheckpoint' | 'getStatus')

export function call<Req, Res>(client: WorkerServiceClient, method: Method, req: Req): Promise<Res> {
  const fn = (client[method] as unknown as (r: Req, m: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client)
  return new Promise((resolve, reject) => fn(req, new grpc.Metadata(), { deadline: Date.now() + 60_000 }, (e, r) => (e ? reject(e) : resolve(r))))
}
