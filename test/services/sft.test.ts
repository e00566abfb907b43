// SftService over loopback gRPC: a job fine-tunes a tiny pretrain checkpoint through a PyTorch worker, its
// status streams until SUCCEEDED, ListCheckpoints names its checkpoints; Cancel stops a job after a
// checkpoint; bad configs get INVALID_ARGUMENT naming the field; with a token, calls without it are refused;
// health and reflection are served.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  JobState, LrSchedule_Kind, SftFormat, SftServiceClient, type Checkpoint, type JobStatus, type SftJobConfig,
} from '../../src/gen/dsmath/v1/training.ts'
import { GENERATED_ARITHMETIC } from '../../src/train/data.ts'
import { runPretrain } from '../../src/train/pretrain.ts'
import { spawnWorker, WorkerConn, type SpawnedWorker } from '../../src/train/worker.ts'
import { startSftServer, type RunningSftServer } from '../../services/sft/server.ts'
import { runCli } from '../helpers.ts'

const md = (token?: string): grpc.Metadata => { const m = new grpc.Metadata(); if (token) m.set('authorization', `Bearer ${token}`); return m }

function unary<Res>(client: SftServiceClient, method: 'submitJob' | 'cancel' | 'listCheckpoints', req: object, token?: string): Promise<Res> {
  const fn = (client[method] as unknown as (r: object, m: grpc.Metadata, o: object, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client)
  return new Promise((resolve, reject) => fn(req, md(token), { deadline: Date.now() + 30_000 }, (e, r) => (e ? reject(e) : resolve(r))))
}

function follow(client: SftServiceClient, jobId: string, token?: string): Promise<JobStatus[]> {
  return new Promise((resolve, reject) => {
    const seen: JobStatus[] = []
    const stream = client.streamStatus({ job_id: jobId }, md(token))
    stream.on('data', (r: { status: JobStatus }) => seen.push(r.status))
    stream.on('error', (e: grpc.ServiceError) => reject(e))
    stream.on('end', () => resolve(seen))
  })
}

const refused = async (p: Promise<unknown>, code: grpc.status): Promise<string> => {
  const err = await p.then(() => null, (e: grpc.ServiceError) => e)
  expect(err, 'the call should have been refused').not.toBeNull()
  expect(err!.code).toBe(code)
  return err!.details
}

describe('SftService over gRPC', () => {
  let worker: SpawnedWorker
  let server: RunningSftServer, authed: RunningSftServer
  let client: SftServiceClient, authedClient: SftServiceClient
  let dir: string, init: string

  const config = (over: { steps?: number; every?: number; datasets?: SftJobConfig['datasets'] } = {}): SftJobConfig => ({
    common: {
      workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 }, model: undefined, init_checkpoint: init,
      optimizer: undefined, lr_schedule: { kind: LrSchedule_Kind.KIND_CONSTANT, peak_lr: 3e-3, warmup_steps: 2, decay_at: [], decay_factors: [], min_lr_ratio: 0 },
      batch_size: 2, seq_len: 256, total_steps: over.steps ?? 8, checkpoint_dir: '', checkpoint_every: over.every ?? 4, seed: 3, tokenizer: '',
    },
    datasets: over.datasets ?? [{ uri: 'generated:arithmetic', format: SftFormat.SFT_FORMAT_CHAIN_OF_THOUGHT, weight: 1, max_examples: 0 }],
    prompt_template: '',
  })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsmath-sft-svc-'))
    worker = await spawnWorker({ threads: 1 })
    const conn = new WorkerConn(worker.address)
    const pre = await runPretrain({
      model: { vocab_size: 300, d_model: 32, n_layers: 1, n_heads: 2, ffn_hidden: 0, max_seq_len: 256, rope_theta: 0, dtype: 0, seed: 1, tie_embeddings: false, norm_eps: 0 },
      optimizer: { lr: 1e-2 }, schedule: { kind: 'constant', peakLr: 1e-2, warmupSteps: 0, totalSteps: 3 }, batchSize: 2, seqLen: 256, totalSteps: 3,
      outDir: join(dir, 'pre'), checkpointEvery: 0, seed: 1, sources: [{ name: 'math_corpus', weight: 1, uris: [GENERATED_ARITHMETIC] }],
    }, conn)
    conn.close()
    init = pre.checkpoint!
    server = await startSftServer({ stateDir: join(dir, 'a'), log: () => {} })
    authed = await startSftServer({ stateDir: join(dir, 'b'), authToken: 's3cret', log: () => {} })
    client = new SftServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure())
    authedClient = new SftServiceClient(`127.0.0.1:${authed.port}`, grpc.credentials.createInsecure())
  }, 120_000)

  afterAll(async () => {
    client?.close()
    authedClient?.close()
    await server?.close()
    await authed?.close()
    await worker?.stop()
  })

  it('a job fine-tunes through the worker, streams its status to SUCCEEDED and lists its checkpoints', async () => {
    const { status } = await unary<{ status: JobStatus }>(client, 'submitJob', { config: config(), job_id: 'sft-1' })
    expect(status).toMatchObject({ job_id: 'sft-1', total_steps: 8 })
    const seen = await follow(client, 'sft-1')
    const last = seen.at(-1)!
    expect(JobState[last.state], last.message).toBe('JOB_STATE_SUCCEEDED')
    expect(last.step).toBe(8)
    const steps = seen.map((s) => Number(s.step))
    expect(steps).toEqual([...steps].sort((a, b) => a - b)) // the stream follows the job forward
    expect(new Set(steps.filter((x) => x > 0)).size).toBeGreaterThan(1) // statuses while it runs, not only at the end
    expect(last.metrics.response_tokens).toBeGreaterThan(0)
    expect(last.metrics.response_tokens).toBeLessThan(last.tokens) // prompts are read, not counted
    expect(last.learning_rate).toBeCloseTo(3e-3, 12) // constant after warmup
    const { checkpoints } = await unary<{ checkpoints: Checkpoint[] }>(client, 'listCheckpoints', { job_id: 'sft-1' })
    expect(checkpoints.map((c) => Number(c.step))).toEqual([4, 8])
    expect(last.last_checkpoint).toBe(checkpoints[1]!.path)
    // Idempotent with the same job_id.
    expect((await unary<{ status: JobStatus }>(client, 'submitJob', { config: config({ steps: 99 }), job_id: 'sft-1' })).status.total_steps).toBe(8)
  }, 120_000)

  it('mixes datasets: program-of-thought from the generator and a GSM8K-style file', async () => {
    const f = join(dir, 'gsm.jsonl')
    await writeFile(f, JSON.stringify({ question: 'Tom has 3 pens and buys 4 more. How many?', answer: 'Tom has 3+4 = <<3+4=7>>7 pens.\n#### 7' }) + '\n')
    await unary(client, 'submitJob', {
      job_id: 'sft-mix',
      config: config({ steps: 3, every: 0, datasets: [
        { uri: 'generated:arithmetic', format: SftFormat.SFT_FORMAT_PROGRAM_OF_THOUGHT, weight: 1, max_examples: 0 },
        { uri: f, format: SftFormat.SFT_FORMAT_CHAIN_OF_THOUGHT, weight: 1, max_examples: 0 },
      ] }),
    })
    const last = (await follow(client, 'sft-mix')).at(-1)!
    expect(JobState[last.state], last.message).toBe('JOB_STATE_SUCCEEDED')
    expect(last.step).toBe(3)
  }, 120_000)

  it('dsmath train sft --service submits and follows a job', async () => {
    const r = await runCli(['train', 'sft', '--service', `127.0.0.1:${server.port}`, '--checkpoint', init, '--steps', '3', '--batch', '2', '--seq-len', '256', '--worker', worker.address, '--format', 'tool', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', steps: 3 })
    expect(out.checkpoint).toMatch(/step-000003$/)
    expect(out.response_tokens).toBeGreaterThan(0)
  }, 120_000)

  it('Cancel stops a running job after a checkpoint', async () => {
    await unary(client, 'submitJob', { config: config({ steps: 400, every: 0 }), job_id: 'sft-cancel' })
    const done = follow(client, 'sft-cancel')
    await new Promise<void>((resolve) => {
      const t = setInterval(() => { if (server.jobs.get('sft-cancel').status.step >= 2) { clearInterval(t); resolve() } }, 50)
    })
    await unary(client, 'cancel', { job_id: 'sft-cancel' })
    const last = (await done).at(-1)!
    expect(JobState[last.state]).toBe('JOB_STATE_CANCELLED')
    expect(last.step).toBeLessThan(400)
    const { checkpoints } = await unary<{ checkpoints: Checkpoint[] }>(client, 'listCheckpoints', { job_id: 'sft-cancel' })
    expect(checkpoints.map((c) => Number(c.step))).toEqual([Number(last.step)])
  }, 120_000)

  it('bad requests get INVALID_ARGUMENT naming the field; unknown jobs NOT_FOUND', async () => {
    const bad = async (mutate: (c: SftJobConfig) => void): Promise<string> => {
      const c = config()
      mutate(c)
      return refused(unary(client, 'submitJob', { config: c }), grpc.status.INVALID_ARGUMENT)
    }
    expect(await refused(unary(client, 'submitJob', {}), grpc.status.INVALID_ARGUMENT)).toMatch(/^config: required/)
    expect(await bad((c) => { c.common = undefined })).toMatch(/^config\.common:/)
    expect(await bad((c) => { c.common!.init_checkpoint = '' })).toMatch(/^config\.common\.init_checkpoint: required/)
    expect(await bad((c) => { c.common!.init_checkpoint = join(dir, 'nope') })).toMatch(/^config\.common\.init_checkpoint: no checkpoint/)
    expect(await bad((c) => { c.common!.batch_size = -1 })).toMatch(/^config\.common\.batch_size: must be > 0/)
    expect(await bad((c) => { c.common!.seq_len = 4 })).toMatch(/^config\.common\.seq_len:/)
    expect(await bad((c) => { c.common!.lr_schedule!.peak_lr = -1 })).toMatch(/^config\.common\.lr_schedule\.peak_lr:/)
    expect(await bad((c) => { c.common!.lr_schedule!.kind = 7 as LrSchedule_Kind })).toBe('config.common.lr_schedule.kind: unknown value 7')
    expect(await bad((c) => { c.common!.checkpoint_dir = 's3://bucket/x' })).toMatch(/^config\.common\.checkpoint_dir: must be a directory/)
    expect(await bad((c) => { c.datasets[0]!.uri = '' })).toMatch(/^config\.datasets\[0\]\.uri: required/)
    expect(await bad((c) => { c.datasets.push({ uri: join(dir, 'missing.jsonl'), format: 1, weight: 1, max_examples: 0 }) })).toMatch(/^config\.datasets\[1\]\.uri: cannot read/)
    expect(await bad((c) => { c.datasets[0]!.weight = -2 })).toMatch(/^config\.datasets\[0\]\.weight:/)
    expect(await bad((c) => { c.prompt_template = 'no placeholder' })).toMatch(/^config\.prompt_template:/)
    expect(await refused(unary(client, 'submitJob', { config: config(), job_id: 'bad id!' }), grpc.status.INVALID_ARGUMENT)).toMatch(/^job_id:/)
    expect(await refused(unary(client, 'cancel', { job_id: '' }), grpc.status.INVALID_ARGUMENT)).toMatch(/^job_id: required/)
    expect(await refused(unary(client, 'listCheckpoints', { job_id: 'nope' }), grpc.status.NOT_FOUND)).toMatch(/job_id/)
    await expect(follow(client, 'nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND })
  })

  it('with auth on, calls without the token are refused; health and reflection stay open', async () => {
    expect(await refused(unary(authedClient, 'listCheckpoints', { job_id: 'x' }), grpc.status.UNAUTHENTICATED)).toMatch(/authorization/)
    await expect(follow(authedClient, 'x')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED })
    expect(await refused(unary(authedClient, 'listCheckpoints', { job_id: 'x' }, 's3cret'), grpc.status.NOT_FOUND)).toMatch(/job_id/)
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
