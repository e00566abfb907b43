// The PyTorch worker (services/worker) over real gRPC on loopback, driven from TypeScript: training lowers
// the loss, greedy generation is deterministic, LogProbs agrees with Generate, a checkpoint resumes the exact
// trajectory in a new process, bad fields and missing tokens are refused.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  WorkerServiceClient, type InitModelRequest, type TokenSequence, type TrainStepResponse,
} from '../../src/gen/dsmath/v1/worker.ts'
import { REPO } from '../helpers.ts'

interface Worker { child: ChildProcess; client: WorkerServiceClient; port: number; output: () => string }

/** Starts `python -m services.worker.server --port 0` and connects once it prints its ready line. */
function startWorker(env: Record<string, string> = {}): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${REPO}.venv/bin/python`, ['-m', 'services.worker.server', '--port', '0', '--threads', '1'], {
      cwd: REPO, env: { ...process.env, DSMATH_DEVICE: 'cpu', ...env },
    })
    let out = ''
    const onData = (d: Buffer): void => {
      out += d
      const m = /dsmath worker listening on 127\.0\.0\.1:(\d+)/.exec(out)
      if (m) {
        const port = Number(m[1])
        resolve({ child, port, output: () => out, client: new WorkerServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`worker exited ${code} before ready:\n${out}`)))
  })
}

function rpc<Req, Res>(
  client: WorkerServiceClient,
  method: 'initModel' | 'trainStep' | 'generate' | 'logProbs' | 'saveCheckpoint' | 'loadCheckpoint' | 'getStatus',
  req: Req, token?: string,
): Promise<Res> {
  const md = new grpc.Metadata()
  if (token) md.set('authorization', `Bearer ${token}`)
  const fn = (client[method] as unknown as (r: Req, m: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client)
  return new Promise((resolve, reject) => fn(req, md, { deadline: Date.now() + 30_000 }, (e, r) => (e ? reject(e) : resolve(r))))
}

const TINY: InitModelRequest = {
  model: { vocab_size: 64, d_model: 32, n_layers: 2, n_heads: 4, ffn_hidden: 0, max_seq_len: 64, rope_theta: 0, dtype: 0, seed: 7, tie_embeddings: false, norm_eps: 0 },
  optimizer: { lr: 1e-2, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: undefined, eps: undefined },
}

// Four arithmetic progressions mod 64 (33 tokens each): learnable, so the loss has somewhere to go.
const seq = (start: number, stride: number, n = 33): number[] => Array.from({ length: n }, (_, j) => (start + j * stride) % 64)
const BATCH: TokenSequence[] = [[0, 3], [5, 7], [11, 2], [1, 5]].map(([a, s]) => ({ tokens: seq(a!, s!), loss_mask: [] }))
const STEPS = 30
const SAVE_AFTER = 20

const invalidArgument = async (p: Promise<unknown>): Promise<string> => {
  const err = (await p.then(() => null, (e: grpc.ServiceError) => e))
  expect(err, 'call should have been refused').not.toBeNull()
  expect(err!.code).toBe(grpc.status.INVALID_ARGUMENT)
  return err!.details
}

describe('PyTorch worker over gRPC', () => {
  let a: Worker, b: Worker, authed: Worker
  const losses: number[] = []
  const steps: TrainStepResponse[] = []
  const roundTrips: number[] = []
  let ckpt = ''

  beforeAll(async () => {
    ;[a, b, authed] = await Promise.all([startWorker(), startWorker(), startWorker({ DSMATH_AUTH_TOKEN: 's3cret' })])
  }, 90_000)

  afterAll(() => {
    for (const w of [a, b, authed]) {
      if (!w) continue
      w.client.close()
      w.child.removeAllListeners('exit')
      w.child.kill('SIGTERM')
    }
  })

  it('trains a tiny model: the loss falls by more than half in 30 steps; saves a checkpoint on the way', async () => {
    const init = await rpc<InitModelRequest, { num_params: number; device: string; optimizer: { beta1: number; beta2: number; weight_decay: number } }>(a.client, 'initModel', TINY)
    expect(init.device).toBe('cpu')
    expect(init.num_params).toBeGreaterThan(30_000)
    expect(init.optimizer).toMatchObject({ beta1: 0.9, beta2: 0.95, weight_decay: 0.1 })
    ckpt = join(await mkdtemp(join(tmpdir(), 'dsmath-worker-')), 'step-20')
    for (let i = 0; i < STEPS; i++) {
      const t0 = performance.now()
      const r = await rpc<object, TrainStepResponse>(a.client, 'trainStep', { sequences: BATCH, learning_rate: i < 5 ? 1e-2 * (i + 1) / 5 : 1e-2 })
      roundTrips.push(performance.now() - t0)
      steps.push(r)
      losses.push(r.loss)
      if (i + 1 === SAVE_AFTER) {
        const saved = await rpc<object, { step: number }>(a.client, 'saveCheckpoint', { path: ckpt, client_state_json: JSON.stringify({ next_batch: SAVE_AFTER }) })
        expect(saved.step).toBe(SAVE_AFTER)
      }
    }
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1))
    expect(steps[0]!.tokens).toBe(4 * 32)
    expect(steps[0]!.learning_rate).toBeCloseTo(2e-3, 12)
    expect(losses[0]).toBeGreaterThan(Math.log(64) - 0.5) // starts near uniform
    expect(losses[STEPS - 1]!).toBeLessThan(losses[0]! / 2)
    expect(steps.every((s) => s.grad_norm > 0 && s.step_time_ms > 0)).toBe(true)
    const files = (await readdir(ckpt)).sort()
    expect(files).toEqual(['model.safetensors', 'optimizer.safetensors', 'state.json'])
    expect(JSON.parse(await readFile(join(ckpt, 'state.json'), 'utf8')).step).toBe(SAVE_AFTER)
    const median = (xs: number[]): string => xs.slice(5).sort((x, y) => x - y)[(xs.length - 5) >> 1]!.toFixed(1)
    console.log(`tiny model (${init.num_params} params, 4x32 tokens): median step ${median(steps.map((s) => s.step_time_ms))} ms on the worker, ` +
      `${median(roundTrips)} ms round trip over gRPC; loss ${losses[0]!.toFixed(3)} -> ${losses[STEPS - 1]!.toFixed(3)}`)
  })

  it('a new worker loaded from the checkpoint continues exactly where the first one was', async () => {
    expect(ckpt).not.toBe('')
    const loaded = await rpc<object, { step: number; client_state_json: string; model: { vocab_size: number } }>(b.client, 'loadCheckpoint', { path: ckpt })
    expect(loaded.step).toBe(SAVE_AFTER)
    expect(JSON.parse(loaded.client_state_json)).toEqual({ next_batch: SAVE_AFTER })
    expect(loaded.model.vocab_size).toBe(64)
    // The control run is worker a's own steps 21..30. Step 21's loss checks the weights; steps 22 on also
    // check the restored AdamW moments and step count (a fresh optimizer gives other updates).
    for (let i = SAVE_AFTER; i < STEPS; i++) {
      const r = await rpc<object, TrainStepResponse>(b.client, 'trainStep', { sequences: BATCH, learning_rate: 1e-2 })
      expect(r.step).toBe(i + 1)
      expect(Math.abs(r.loss - losses[i]!), `step ${i + 1}: ${r.loss} vs control ${losses[i]}`).toBeLessThan(1e-6)
    }
  })

  it('is deterministic under a seed: the same init and batches give the same losses', async () => {
    await rpc(b.client, 'initModel', TINY)
    for (let i = 0; i < 3; i++) {
      const r = await rpc<object, TrainStepResponse>(b.client, 'trainStep', { sequences: BATCH, learning_rate: 1e-2 * (i + 1) / 5 })
      expect(r.loss).toBe(losses[i])
    }
    await rpc(b.client, 'initModel', { ...TINY, model: { ...TINY.model!, seed: 8 } })
    const other = await rpc<object, TrainStepResponse>(b.client, 'trainStep', { sequences: BATCH, learning_rate: 2e-3 })
    expect(other.loss).not.toBe(losses[0])
  })

  it('greedy generation is deterministic and LogProbs matches its per-token log-probs', async () => {
    const prompts: TokenSequence[] = [{ tokens: seq(0, 3, 6), loss_mask: [] }, { tokens: seq(9, 5, 3), loss_mask: [] }]
    type Gen = { completions: { tokens: number[]; logprobs: number[]; finish_reason: number }[] }
    const req = { prompts, max_new_tokens: 12, temperature: 0, top_p: 0, seed: 1, stop_tokens: [] }
    const g1 = await rpc<object, Gen>(a.client, 'generate', req)
    const g2 = await rpc<object, Gen>(a.client, 'generate', { ...req, seed: 99 })
    expect(g1.completions).toHaveLength(2)
    expect(g1.completions[0]!.tokens).toHaveLength(12)
    expect(g2.completions.map((c) => c.tokens)).toEqual(g1.completions.map((c) => c.tokens))

    for (const [k, c] of g1.completions.entries()) {
      const p = prompts[k]!.tokens
      const full = [...p, ...c.tokens]
      const lp = await rpc<object, { sequences: { logprobs: number[]; sum: number }[] }>(a.client, 'logProbs', {
        sequences: [{ tokens: full, loss_mask: full.map((_, i) => i >= p.length) }],
      })
      const per = lp.sequences[0]!.logprobs
      expect(per).toHaveLength(full.length - 1)
      const fromGenerate = c.logprobs.reduce((s, x) => s + x, 0)
      expect(fromGenerate).toBeLessThan(0)
      expect(Math.abs(lp.sequences[0]!.sum - fromGenerate)).toBeLessThan(1e-4)
      const sliced = per.slice(p.length - 1).reduce((s, x) => s + x, 0)
      expect(Math.abs(sliced - fromGenerate)).toBeLessThan(1e-4)
    }

    // Sampling: the seed decides; a stop token ends a completion and is included.
    const sample = { prompts, max_new_tokens: 20, temperature: 1.5, top_p: 0.95, seed: 5, stop_tokens: [] }
    const s1 = await rpc<object, Gen>(a.client, 'generate', sample)
    const s2 = await rpc<object, Gen>(a.client, 'generate', sample)
    const s3 = await rpc<object, Gen>(a.client, 'generate', { ...sample, seed: 6 })
    expect(s2.completions.map((c) => c.tokens)).toEqual(s1.completions.map((c) => c.tokens))
    expect(s3.completions.map((c) => c.tokens)).not.toEqual(s1.completions.map((c) => c.tokens))
    const stop = g1.completions[0]!.tokens[3]!
    const stopped = await rpc<object, Gen>(a.client, 'generate', { ...req, stop_tokens: [stop] })
    const c0 = stopped.completions[0]!
    expect(c0.tokens.at(-1)).toBe(stop)
    expect(c0.tokens.length).toBeLessThanOrEqual(4)
    expect(c0.finish_reason).toBe(2) // FINISH_REASON_STOP
  })

  it('refuses bad requests with INVALID_ARGUMENT naming the field', async () => {
    expect(await invalidArgument(rpc(a.client, 'trainStep', { sequences: [] }))).toMatch(/^sequences: /)
    const badToken = [BATCH[0]!, { tokens: [1, 2, 64, 3], loss_mask: [] }]
    expect(await invalidArgument(rpc(a.client, 'trainStep', { sequences: badToken }))).toMatch(/^sequences\[1\]\.tokens\[2\]: token id 64/)
    expect(await invalidArgument(rpc(a.client, 'trainStep', { sequences: [{ tokens: seq(0, 1, 66), loss_mask: [] }] }))).toMatch(/^sequences\[0\]\.tokens: length 66/)
    expect(await invalidArgument(rpc(a.client, 'trainStep', { sequences: [{ tokens: [1, 2, 3], loss_mask: [true] }] }))).toMatch(/^sequences\[0\]\.loss_mask: /)
    expect(await invalidArgument(rpc(a.client, 'generate', { prompts: [{ tokens: [1], loss_mask: [] }], max_new_tokens: 4, temperature: -1, top_p: 0, seed: 0, stop_tokens: [] }))).toMatch(/^temperature: /)
    expect(await invalidArgument(rpc(a.client, 'generate', { prompts: [{ tokens: [1], loss_mask: [] }], max_new_tokens: 4, temperature: 1, top_p: 1.5, seed: 0, stop_tokens: [] }))).toMatch(/^top_p: /)
    expect(await invalidArgument(rpc(a.client, 'initModel', { ...TINY, model: { ...TINY.model!, n_heads: 3 } }))).toMatch(/^model\.n_heads: /)
    expect(await invalidArgument(rpc(a.client, 'saveCheckpoint', { path: '', client_state_json: '' }))).toMatch(/^path: /)
    // A refused InitModel leaves the trained model in place.
    expect((await rpc<object, { step: number; model_loaded: boolean }>(a.client, 'getStatus', {})).step).toBe(STEPS)
  })

  it('with DSMATH_AUTH_TOKEN set, refuses calls without the bearer token; health checks stay open', async () => {
    for (const token of [undefined, 'wrong']) {
      const err = await rpc(authed.client, 'getStatus', {}, token).then(() => null, (e: grpc.ServiceError) => e)
      expect(err?.code).toBe(grpc.status.UNAUTHENTICATED)
    }
    const denied = await rpc(authed.client, 'initModel', TINY).then(() => null, (e: grpc.ServiceError) => e)
    expect(denied?.code).toBe(grpc.status.UNAUTHENTICATED)
    const st = await rpc<object, { model_loaded: boolean; device: string }>(authed.client, 'getStatus', {}, 's3cret')
    expect(st).toMatchObject({ model_loaded: false, device: 'cpu' })

    const health = new (grpc.makeGenericClientConstructor({
      Check: {
        path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
        requestSerialize: () => Buffer.alloc(0), requestDeserialize: () => ({}),
        responseSerialize: () => Buffer.alloc(0), responseDeserialize: (b: Buffer) => ({ status: b[1] }),
      },
    }, 'Health'))(`127.0.0.1:${authed.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Check: (req: object, cb: (e: Error | null, r: { status: number }) => void) => void }
    const res = await new Promise<{ status: number }>((resolve, reject) => health.Check({}, (e, r) => (e ? reject(e) : resolve(r))))
    expect(res.status).toBe(1) // SERVING
    health.close()
  })
})
