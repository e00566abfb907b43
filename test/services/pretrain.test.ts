// PretrainService over loopback gRPC: a job trains a tiny model through a PyTorch worker and its status
// streams until done; bad configs get INVALID_ARGUMENT naming the field; with a token, calls without it are
// refused; a service killed with SIGKILL mid-job and started again resumes from the last checkpoint and
// trains on exactly the batches (token ids) and losses of an uninterrupted run.
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  JobState, LrSchedule_Kind, PretrainServiceClient, type JobStatus, type PretrainJobConfig,
} from '../../src/gen/dsmath/v1/training.ts'
import { GENERATED_ARITHMETIC } from '../../src/train/data.ts'
import { spawnWorker, type SpawnedWorker } from '../../src/train/worker.ts'
import { startPretrainServer, type RunningPretrainServer } from '../../services/pretrain/server.ts'
import { runCli, startCli } from '../helpers.ts'

const md = (token?: string): grpc.Metadata => { const m = new grpc.Metadata(); if (token) m.set('authorization', `Bearer ${token}`); return m }

function unary<Res>(client: PretrainServiceClient, method: 'submitJob' | 'cancel' | 'listCheckpoints', req: object, token?: string): Promise<Res> {
  const fn = (client[method] as unknown as (r: object, m: grpc.Metadata, o: object, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client)
  return new Promise((resolve, reject) => fn(req, md(token), { deadline: Date.now() + 30_000 }, (e, r) => (e ? reject(e) : resolve(r))))
}

/** Every status the stream sends until it ends (or `until` says stop). */
function follow(client: PretrainServiceClient, jobId: string, token?: string, until?: (s: JobStatus) => boolean): Promise<JobStatus[]> {
  return new Promise((resolve, reject) => {
    const seen: JobStatus[] = []
    const stream = client.streamStatus({ job_id: jobId }, md(token))
    stream.on('data', (r: { status: JobStatus }) => {
      seen.push(r.status)
      if (until?.(r.status)) { stream.cancel(); resolve(seen) }
    })
    stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? resolve(seen) : reject(e)))
    stream.on('end', () => resolve(seen))
  })
}

const config = (over: { steps?: number; every?: number; worker?: string; batch?: number } = {}): PretrainJobConfig => ({
  common: {
    workers: { addresses: over.worker ? [over.worker] : [], auth_token: '', step_deadline_ms: 0 },
    model: { vocab_size: 300, d_model: 32, n_layers: 2, n_heads: 4, ffn_hidden: 0, max_seq_len: 32, rope_theta: 0, dtype: 0, seed: 3, tie_embeddings: false, norm_eps: 0 },
    init_checkpoint: '', optimizer: { lr: 1e-2 },
    lr_schedule: { kind: LrSchedule_Kind.KIND_MULTI_STEP, peak_lr: 1e-2, warmup_steps: 3, decay_at: [], decay_factors: [], min_lr_ratio: 0 },
    batch_size: over.batch ?? 4, seq_len: 32, total_steps: over.steps ?? 24, checkpoint_dir: '', checkpoint_every: over.every ?? 8, seed: 5, tokenizer: '',
  },
  sources: [
    { name: 'math_corpus', weight: 56, uris: [GENERATED_ARITHMETIC], shards_topic: '', text_column: '' },
    { name: 'arxiv', weight: 10, uris: [], shards_topic: '', text_column: '' },
  ],
  total_tokens: 0,
})

const refused = async (p: Promise<unknown>, code: grpc.status): Promise<string> => {
  const err = await p.then(() => null, (e: grpc.ServiceError) => e)
  expect(err, 'the call should have been refused').not.toBeNull()
  expect(err!.code).toBe(code)
  return err!.details
}

interface Batch { step: number; tokens: number[][] }
const readJsonl = async <T>(path: string): Promise<T[]> => (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as T)

describe('PretrainService over gRPC', () => {
  let worker: SpawnedWorker
  let server: RunningPretrainServer, authed: RunningPretrainServer
  let client: PretrainServiceClient, authedClient: PretrainServiceClient
  let state: string
  const procs: ChildProcess[] = []
  let control: { batches: Batch[]; metrics: { step: number; loss: number }[] }

  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'dsmath-pretrain-svc-'))
    worker = await spawnWorker({ threads: 1 })
    server = await startPretrainServer({ stateDir: join(state, 'a'), logBatches: true, log: () => {} })
    authed = await startPretrainServer({ stateDir: join(state, 'b'), authToken: 's3cret', log: () => {} })
    client = new PretrainServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure())
    authedClient = new PretrainServiceClient(`127.0.0.1:${authed.port}`, grpc.credentials.createInsecure())
  }, 90_000)

  afterAll(async () => {
    client?.close()
    authedClient?.close()
    for (const p of procs) p.kill('SIGKILL')
    await server?.close()
    await authed?.close()
    await worker?.stop()
  })

  it('runs a job through the worker: status streams step, loss and tokens/s until SUCCEEDED; checkpoints are listed', async () => {
    const sub = await unary<{ status: JobStatus }>(client, 'submitJob', { config: config({ worker: worker.address }), job_id: 'control' })
    expect(sub.status.job_id).toBe('control')
    expect(sub.status.total_steps).toBe(24)
    const seen = await follow(client, 'control')
    const last = seen.at(-1)!
    expect(last.state).toBe(JobState.JOB_STATE_SUCCEEDED)
    expect(last.step).toBe(24)
    expect(last.tokens).toBe(24 * 4 * 32)
    const steps = seen.filter((s) => s.step > 0).map((s) => s.step)
    expect(steps.length).toBeGreaterThan(5)
    expect(steps).toEqual([...steps].sort((a, b) => a - b))
    expect(seen.some((s) => s.state === JobState.JOB_STATE_RUNNING && s.tokens_per_second > 0)).toBe(true)
    expect(last.loss).toBeLessThan(last.metrics.first_loss! - 1)
    expect(last.metrics['weight.math_corpus']).toBe(1)
    expect(last.metrics['weight.arxiv']).toBe(0)
    const cks = await unary<{ checkpoints: { step: number; path: string; tokens: number }[] }>(client, 'listCheckpoints', { job_id: 'control' })
    expect(cks.checkpoints.map((c) => c.step)).toEqual([8, 16, 24])
    expect(last.last_checkpoint).toBe(cks.checkpoints[2]!.path)
    // Idempotent submit: the same id is the same job.
    const again = await unary<{ status: JobStatus }>(client, 'submitJob', { config: config({ worker: worker.address, steps: 99 }), job_id: 'control' })
    expect(again.status).toMatchObject({ job_id: 'control', total_steps: 24, state: JobState.JOB_STATE_SUCCEEDED })
    const dir = join(state, 'a', 'jobs', 'control', 'run')
    control = { batches: await readJsonl<Batch>(join(dir, 'batches.jsonl')), metrics: await readJsonl(join(dir, 'metrics.jsonl')) }
    expect(control.batches).toHaveLength(24)
    expect(await readFile(join(dir, 'loss.svg'), 'utf8')).toMatch(/<polyline/)
  }, 90_000)

  it('refuses bad requests with INVALID_ARGUMENT naming the field; unknown jobs are NOT_FOUND', async () => {
    const bad = (mutate: (c: PretrainJobConfig) => void): Promise<string> => {
      const c = config()
      mutate(c)
      return refused(unary(client, 'submitJob', { config: c, job_id: '' }), grpc.status.INVALID_ARGUMENT)
    }
    expect(await refused(unary(client, 'submitJob', { job_id: '' }), grpc.status.INVALID_ARGUMENT)).toBe('config: required')
    expect(await bad((c) => { c.common!.batch_size = 0 })).toMatch(/^config\.common\.batch_size: /)
    expect(await bad((c) => { c.common!.seq_len = -1 })).toMatch(/^config\.common\.seq_len: /)
    expect(await bad((c) => { c.common!.model!.n_heads = 3 })).toMatch(/^config\.common\.model\.n_heads: /)
    expect(await bad((c) => { c.sources[1]!.weight = -1 })).toMatch(/^config\.sources\[1\]\.weight: /)
    expect(await bad((c) => { c.sources = [] })).toMatch(/^config\.sources: /)
    expect(await bad((c) => { c.common!.lr_schedule!.decay_at = [0.9, 0.8]; c.common!.lr_schedule!.decay_factors = [0.3, 0.1] })).toMatch(/^config\.common\.lr_schedule\.decay_at\[1\]: /)
    expect(await bad((c) => { c.common!.workers!.addresses = ['nowhere'] })).toMatch(/^config\.common\.workers\.addresses\[0\]: /)
    expect(await bad((c) => { c.common!.optimizer = { ...c.common!.optimizer!, beta1: 2 } })).toBe('config.common.optimizer.beta1: must be in [0, 1) (got 2)')
    expect(await bad((c) => { c.sources[0] = { ...c.sources[0]!, uris: [] } })).toMatch(/^config\.sources: no source with weight > 0 has uris or a shards_topic/)
    expect(await refused(unary(client, 'submitJob', { config: config(), job_id: 'bad id!' }), grpc.status.INVALID_ARGUMENT)).toMatch(/^job_id: /)
    expect(await refused(unary(client, 'listCheckpoints', { job_id: 'nope' }), grpc.status.NOT_FOUND)).toMatch(/^job_id: /)
    expect(await refused(follow(client, 'nope'), grpc.status.NOT_FOUND)).toMatch(/^job_id: /)
    expect(await refused(unary(client, 'cancel', { job_id: '' }), grpc.status.INVALID_ARGUMENT)).toBe('job_id: required')
  })

  it('with a token, refuses calls without it (UNAUTHENTICATED), streams included', async () => {
    for (const token of [undefined, 'wrong']) {
      expect(await refused(unary(authedClient, 'submitJob', { config: config() }, token), grpc.status.UNAUTHENTICATED)).toMatch(/authorization/)
      await refused(follow(authedClient, 'x', token), grpc.status.UNAUTHENTICATED)
    }
    // With the token the call gets through to validation.
    expect(await refused(unary(authedClient, 'submitJob', { config: { ...config(), sources: [] } }, 's3cret'), grpc.status.INVALID_ARGUMENT)).toMatch(/^config\.sources/)
    expect(await refused(unary(authedClient, 'listCheckpoints', { job_id: 'x' }, 's3cret'), grpc.status.NOT_FOUND)).toMatch(/job_id/)
  })

  it('a service killed (SIGKILL) mid-job and started again resumes from its checkpoint: same next batch, same losses', async () => {
    expect(control, 'needs the control run').toBeDefined()
    const stateDir = join(state, 'killed')
    const args = ['pretrain', 'serve', '--port', '0', '--state', stateDir, '--log-batches']
    const ready = /pretrain service listening on 127\.0\.0\.1:(\d+)/
    const first = await startCli(args, ready)
    procs.push(first)
    const c1 = new PretrainServiceClient(`127.0.0.1:${ready.exec(first.output())![1]}`, grpc.credentials.createInsecure())
    await unary(c1, 'submitJob', { config: config({ worker: worker.address }), job_id: 'killed' })
    await follow(c1, 'killed', undefined, (s) => s.step >= 11)
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    c1.close()
    const dir = join(stateDir, 'jobs', 'killed', 'run')
    const before = await readJsonl<Batch>(join(dir, 'batches.jsonl'))
    expect(before.length).toBeGreaterThanOrEqual(11)
    expect(before.length).toBeLessThan(24)

    const second = await startCli(args, ready)
    procs.push(second)
    const c2 = new PretrainServiceClient(`127.0.0.1:${ready.exec(second.output())![1]}`, grpc.credentials.createInsecure())
    const seen = await follow(c2, 'killed')
    c2.close()
    second.kill('SIGTERM')
    expect(seen.at(-1)!.state).toBe(JobState.JOB_STATE_SUCCEEDED)
    expect(second.output()).toMatch(/resumes from .*step-000008 \(step 8\)/)
    const all = await readJsonl<Batch>(join(dir, 'batches.jsonl'))
    const after = all.slice(before.length)
    // The first batch after the restart is step 9, the batch the killed service trained on at step 9.
    expect(after[0]!.step).toBe(9)
    expect(after[0]!.tokens).toEqual(before.find((b) => b.step === 9)!.tokens)
    // Every batch of the resumed job is the uninterrupted run's, and so is every loss.
    for (const b of after) expect(b.tokens, `step ${b.step}`).toEqual(control.batches[b.step - 1]!.tokens)
    const metrics = await readJsonl<{ step: number; loss: number }>(join(dir, 'metrics.jsonl'))
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1))
    for (const m of metrics) expect(Math.abs(m.loss - control.metrics[m.step - 1]!.loss), `step ${m.step}`).toBeLessThan(1e-5)
  }, 120_000)

  it('dsmath train pretrain --service submits the job and follows it; the service starts its own worker', async () => {
    const ready = /pretrain service listening on 127\.0\.0\.1:(\d+)/
    const svc = await startCli(['pretrain', 'serve', '--port', '0', '--state', join(state, 'cli'), '--worker-threads', '1'], ready)
    procs.push(svc)
    const port = ready.exec(svc.output())![1]
    const r = await runCli(['train', 'pretrain', '--service', `127.0.0.1:${port}`, '--steps', '12', '--seq-len', '32', '--batch', '4',
      '--d-model', '32', '--vocab-size', '300', '--lr', '1e-2', '--job-id', 'from-cli', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s).toMatchObject({ job_id: 'from-cli', state: 'JOB_STATE_SUCCEEDED', steps: 12, tokens: 12 * 4 * 32 })
    expect(s.last_loss).toBeLessThan(s.first_loss)
    expect(s.checkpoint).toBe(join(state, 'cli', 'jobs', 'from-cli', 'run', 'checkpoints', 'step-000012'))
    expect(await readFile(s.plot, 'utf8')).toMatch(/<polyline/)
    expect(r.stderr).toMatch(/pretrain \[#+\] 12\/12 loss/)
    svc.kill('SIGTERM')
  }, 90_000)

  it('Cancel stops a running job after a checkpoint; the stream ends with CANCELLED', async () => {
    await unary(client, 'submitJob', { config: config({ worker: worker.address, steps: 100_000, every: 0 }), job_id: 'long' })
    await follow(client, 'long', undefined, (s) => s.step >= 3)
    const c = await unary<{ status: JobStatus }>(client, 'cancel', { job_id: 'long' })
    expect(c.status.state).toBe(JobState.JOB_STATE_RUNNING)
    const seen = await follow(client, 'long')
    const last = seen.at(-1)!
    expect(last.state).toBe(JobState.JOB_STATE_CANCELLED)
    expect(last.step).toBeLessThan(100_000)
    const cks = await unary<{ checkpoints: { step: number }[] }>(client, 'listCheckpoints', { job_id: 'long' })
    expect(cks.checkpoints.map((k) => k.step)).toEqual([last.step])
  }, 60_000)
})
