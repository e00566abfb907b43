// RewardService and GrpoService over loopback gRPC with a spawned PyTorch worker and a tiny random policy:
// rule rewards by hand, a reward-model job from JSONL then ORM scores from its checkpoint, a GRPO job streamed
// to SUCCEEDED, INVALID_ARGUMENT naming the field, token auth, health.
import { copyFile, cp, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  GrpoServiceClient, JobState, LrSchedule_Kind, RewardKind, RewardServiceClient, type GrpoJobConfig, type JobStatus, type LrSchedule, type RewardJobConfig, type TrainingCommon,
} from '../../src/gen/dsmath/v1/training.ts'
import { SPECIAL_TOKENS, Tokenizer, toTokenizerJson } from '../../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../../src/tokenizer/train.ts'
import { arithmeticDocument } from '../../src/train/arithmetic.ts'
import { spawnWorker, WorkerConn, type SpawnedWorker } from '../../src/train/worker.ts'
import { startRlServer, type RunningRlServer } from '../../services/rl/server.ts'
import { runCli } from '../helpers.ts'

const md = (token?: string): grpc.Metadata => { const m = new grpc.Metadata(); if (token) m.set('authorization', `Bearer ${token}`); return m }
type Client = RewardServiceClient | GrpoServiceClient

function unary<Res>(client: Client, method: string, req: object, token?: string): Promise<Res> {
  const fn = ((client as unknown as Record<string, unknown>)[method] as (r: object, m: grpc.Metadata, o: object, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client)
  return new Promise((resolve, reject) => fn(req, md(token), { deadline: Date.now() + 60_000 }, (e, r) => (e ? reject(e) : resolve(r))))
}

function follow(client: Client, jobId: string, token?: string): Promise<JobStatus[]> {
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
  expect(err!.code, err!.details).toBe(code)
  return err!.details
}

describe('RewardService and GrpoService over gRPC', () => {
  let worker: SpawnedWorker
  let reward: RunningRlServer, grpo: RunningRlServer
  let rc: RewardServiceClient, gc: GrpoServiceClient
  let dir: string, init: string

  const common = (over: Partial<TrainingCommon> = {}): TrainingCommon => ({
    workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 }, model: undefined, init_checkpoint: init,
    optimizer: { lr: 1e-3, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: undefined, eps: undefined }, lr_schedule: undefined,
    batch_size: 2, seq_len: 0, total_steps: 2, checkpoint_dir: '', checkpoint_every: 0, seed: 3, tokenizer: '', ...over,
  })
  const schedule = (over: Partial<LrSchedule> = {}): LrSchedule => ({ kind: LrSchedule_Kind.KIND_CONSTANT, peak_lr: 0, warmup_steps: 0, decay_at: [], decay_factors: [], min_lr_ratio: 0, ...over })
  const grpoConfig = (over: Partial<GrpoJobConfig> = {}): GrpoJobConfig => ({
    common: common(), questions: [], reward_checkpoint: '', reward_kind: RewardKind.REWARD_KIND_UNSPECIFIED, group_size: 3, kl_coef: 0.04,
    clip_epsilon: 0.2, updates_per_batch: 1, max_new_tokens: 8, temperature: 1, top_p: 1, reward_refresh_every: 0, dynamic_sampling: false,
    aggregation: 0, clip_epsilon_high: 0, replay_share: 0, method: '', eval_problems: 0, fresh_optimizer: false, ...over,
  })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsmath-rl-svc-'))
    const counter = new PieceCounter()
    for (let i = 0; i < 200; i++) counter.add(arithmeticDocument(3, i))
    const json = toTokenizerJson(trainBpe(counter.counts, { vocabSize: 400, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS)
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json))
    worker = await spawnWorker({ threads: 1, device: 'cpu' })
    const conn = new WorkerConn(worker.address)
    await new Promise<void>((resolve, reject) => conn.client.initModel({
      model: { vocab_size: new Tokenizer(json).vocabSize, d_model: 32, n_layers: 1, n_heads: 2, ffn_hidden: 0, max_seq_len: 320, rope_theta: 0, dtype: 0, seed: 1, tie_embeddings: false, norm_eps: 0 },
      optimizer: { lr: 1e-3, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: 1, eps: undefined },
    }, (e) => (e ? reject(e) : resolve())))
    init = join(dir, 'checkpoints', 'step-000000') // tokenizer.json two levels up, as a training run writes it
    await conn.saveCheckpoint(init, {})
    conn.close()
    reward = await startRlServer('reward', { stateDir: join(dir, 'reward'), log: () => {} })
    grpo = await startRlServer('grpo', { stateDir: join(dir, 'grpo'), authToken: 's3cret', log: () => {} })
    rc = new RewardServiceClient(`127.0.0.1:${reward.port}`, grpc.credentials.createInsecure())
    gc = new GrpoServiceClient(`127.0.0.1:${grpo.port}`, grpc.credentials.createInsecure())
  }, 120_000)
  afterAll(async () => {
    rc?.close(); gc?.close()
    await reward?.close()
    await grpo?.close()
    await worker?.stop()
  })

  it('rule rewards: the grader\'s correctness and extracted answer', async () => {
    const res = await unary<{ scores: { score: number; answer: string }[] }>(rc, 'score', {
      kind: RewardKind.REWARD_KIND_UNSPECIFIED, reward_checkpoint: '',
      items: [{ question: 'q', response: 'So 3 * 4 = 12.\nThe answer is \\boxed{12}.', reference: '12' }, { question: 'q', response: 'The answer is 7', reference: '8' }],
    })
    expect(res.scores.map((s) => [s.score, s.answer])).toEqual([[1, '12'], [0, '7']])
    expect(await refused(unary(rc, 'score', { kind: 0, reward_checkpoint: '', items: [{ question: 'q', response: 'r', reference: '' }] }), grpc.status.INVALID_ARGUMENT)).toMatch(/^items\[0\]\.reference: /)
    expect(await refused(unary(rc, 'score', { kind: RewardKind.REWARD_KIND_OUTCOME, reward_checkpoint: '', items: [{ question: 'q', response: 'r', reference: '' }] }), grpc.status.INVALID_ARGUMENT)).toMatch(/^reward_checkpoint: /)
  })

  it('a reward-model job trains on JSONL labels; its checkpoint then scores responses (ORM and PRM)', { timeout: 180_000 }, async () => {
    const data = join(dir, 'orm.jsonl')
    await writeFile(data, [
      { question: 'Compute 2 + 3.', response: 'Step 1: 2 + 3 = 5.\nThe answer is \\boxed{5}.', label: 1 },
      { question: 'Compute 2 + 3.', response: 'Step 1: 2 + 3 = 6.\nThe answer is \\boxed{6}.', label: 0 },
      { question: 'Compute 4 * 2.', response: 'Step 1: 4 * 2 = 8.\nThe answer is \\boxed{8}.', label: 1 },
    ].map((x) => JSON.stringify(x) + '\n').join(''))
    const cfg: RewardJobConfig = { common: common({ total_steps: 3 }), kind: RewardKind.REWARD_KIND_OUTCOME, data: [data], step_separator: '', questions: 0, samples_per_question: 0, completions_per_step: 0, hard_labels: false }
    expect(await refused(unary(rc, 'submitJob', { config: { ...cfg, kind: 0 } }), grpc.status.INVALID_ARGUMENT)).toMatch(/^config\.kind: /)
    expect(await refused(unary(rc, 'submitJob', { config: { ...cfg, data: [] } }), grpc.status.INVALID_ARGUMENT)).toMatch(/^config\.data: /)
    const { status } = await unary<{ status: JobStatus }>(rc, 'submitJob', { config: cfg, job_id: 'orm-1' })
    const seen = await follow(rc, status.job_id)
    const last = seen[seen.length - 1]
    expect(last.message).toBe('')
    expect(last.state).toBe(JobState.JOB_STATE_SUCCEEDED)
    // 3 examples, batch 2, total_steps 3 -> ceil(3 · 2 / 3) = 2 epochs of 2 steps
    expect(Number(last.step)).toBe(4)
    expect(last.metrics.examples).toBe(3)
    const { checkpoints } = await unary<{ checkpoints: { path: string }[] }>(rc, 'listCheckpoints', { job_id: 'orm-1' })
    expect(checkpoints).toHaveLength(1)
    const items = [{ question: 'Compute 2 + 3.', response: 'Step 1: 2 + 3 = 5.\nThe answer is \\boxed{5}.', reference: '' }]
    const orm = await unary<{ scores: { score: number; step_scores: number[] }[] }>(rc, 'score', { kind: RewardKind.REWARD_KIND_OUTCOME, reward_checkpoint: checkpoints[0].path, items, workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 } })
    expect(orm.scores[0].score).toBeGreaterThan(0)
    expect(orm.scores[0].score).toBeLessThan(1)
    expect(orm.scores[0].step_scores).toEqual([])
    // the worker's refusal keeps its status (a response longer than the model's context)
    const long = [{ question: 'Compute 2 + 3.', response: 'Step 1: 2 + 3 = 5.\n'.repeat(200), reference: '' }]
    expect(await refused(unary(rc, 'score', { kind: RewardKind.REWARD_KIND_OUTCOME, reward_checkpoint: checkpoints[0].path, items: long, workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 } }), grpc.status.INVALID_ARGUMENT))
      .toMatch(/rewardScore: sequences\[0\]\.tokens: /)
    // a policy checkpoint is not a reward model: its value head would be fresh
    const scoreWith = (ckpt: string): Promise<unknown> => unary(rc, 'score', { kind: RewardKind.REWARD_KIND_OUTCOME, reward_checkpoint: ckpt, items, workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 } })
    expect(await refused(scoreWith(init), grpc.status.FAILED_PRECONDITION)).toBe(`reward_checkpoint ${init}: no tokenizer.json (a reward model directory holds one)`)
    const policyWithTokenizer = join(dir, 'policy-as-rm')
    await cp(init, policyWithTokenizer, { recursive: true })
    await copyFile(join(dir, 'tokenizer.json'), join(policyWithTokenizer, 'tokenizer.json'))
    expect(await refused(scoreWith(policyWithTokenizer), grpc.status.FAILED_PRECONDITION))
      .toBe(`reward_checkpoint ${policyWithTokenizer}: a policy checkpoint, not a trained reward model (dsmath reward train-orm|train-prm writes one)`)
    // a process job: one label per step
    const pdata = join(dir, 'prm.jsonl')
    await writeFile(pdata, [
      { question: 'Compute 2 + 3 * 2.', steps: ['Step 1: 2 + 3 = 5.', 'Step 2: 5 * 2 = 10.', 'The answer is \\boxed{10}.'], labels: [1, 1, 1] },
      { question: 'Compute 2 + 3 * 2.', steps: ['Step 1: 2 + 3 = 6.', 'The answer is \\boxed{12}.'], labels: [0.25, 0] },
    ].map((x) => JSON.stringify(x) + '\n').join(''))
    const pj = await unary<{ status: JobStatus }>(rc, 'submitJob', { config: { ...cfg, kind: RewardKind.REWARD_KIND_PROCESS, data: [pdata] }, job_id: 'prm-1' })
    const plast = (await follow(rc, pj.status.job_id)).pop()!
    expect(plast.state).toBe(JobState.JOB_STATE_SUCCEEDED)
    expect([plast.metrics.examples, plast.metrics.labels]).toEqual([2, 5])
    // PRM scoring of the same model: one score per line of the response, the last equal to the ORM score
    const prm = await unary<{ scores: { score: number; step_scores: number[] }[] }>(rc, 'score', { kind: RewardKind.REWARD_KIND_PROCESS, reward_checkpoint: checkpoints[0].path, items, workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 } })
    expect(prm.scores[0].step_scores).toHaveLength(2)
    expect(prm.scores[0].score).toBeCloseTo(orm.scores[0].score, 6)
  })

  it('a GRPO job runs to SUCCEEDED with a checkpoint (also submitted by the CLI); bad configs name the field; calls need the token; health is open', { timeout: 240_000 }, async () => {
    expect(await refused(unary(gc, 'submitJob', { config: grpoConfig() }), grpc.status.UNAUTHENTICATED)).toMatch(/authorization/)
    const bad: [Partial<GrpoJobConfig>, RegExp][] = [
      [{ group_size: 1 }, /^config\.group_size: /], [{ top_p: 2 }, /^config\.top_p: /], [{ method: 'ppo' }, /^config\.method: /],
      [{ reward_kind: RewardKind.REWARD_KIND_OUTCOME }, /^config\.reward_checkpoint: /], [{ common: common({ init_checkpoint: '' }) }, /^config\.common\.init_checkpoint: /],
      [{ replay_share: 1 }, /^config\.replay_share: /], [{ reward_kind: 7 as RewardKind }, /^config\.reward_kind: unknown value 7/],
      [{ group_size: 2_147_483_647 }, /^config\.group_size: must be <= 1024/],
      [{ common: common({ init_checkpoint: join(dir, 'nope') }) }, /^config\.common\.init_checkpoint: no checkpoint at /],
      [{ common: common({ lr_schedule: schedule({ kind: LrSchedule_Kind.KIND_MULTI_STEP }) }) }, /^config\.common\.lr_schedule\.kind: /],
      [{ common: common({ lr_schedule: schedule({ min_lr_ratio: 2 }) }) }, /^config\.common\.lr_schedule\.min_lr_ratio: /],
    ]
    for (const [over, re] of bad) expect(await refused(unary(gc, 'submitJob', { config: grpoConfig(over) }, 's3cret'), grpc.status.INVALID_ARGUMENT)).toMatch(re)
    const { status } = await unary<{ status: JobStatus }>(gc, 'submitJob', { config: grpoConfig(), job_id: 'g1' }, 's3cret')
    const seen = await follow(gc, status.job_id, 's3cret')
    const last = seen[seen.length - 1]
    expect(last.state).toBe(JobState.JOB_STATE_SUCCEEDED)
    expect(Number(last.step)).toBe(2)
    // the share of the last step's 2 questions x 3 samples graded right (a random model's stray number can match)
    const acc = last.metrics.sample_accuracy
    expect(acc).toBeGreaterThanOrEqual(0)
    expect(acc).toBeLessThanOrEqual(1)
    expect(Math.abs(acc * 6 - Math.round(acc * 6))).toBeLessThan(1e-9)
    expect(last.last_checkpoint).toMatch(/step-000002$/)
    const { checkpoints } = await unary<{ checkpoints: { path: string; step: number }[] }>(gc, 'listCheckpoints', { job_id: 'g1' }, 's3cret')
    expect(checkpoints.map((c) => Number(c.step))).toEqual([2])
    // fresh optimizer, 1 warmup step, cosine over 3 steps: the last step runs at the floor, min_lr_ratio x peak
    const sched = { config: grpoConfig({ fresh_optimizer: true, common: common({ total_steps: 3, lr_schedule: schedule({ kind: LrSchedule_Kind.KIND_COSINE, peak_lr: 2e-3, warmup_steps: 1, min_lr_ratio: 0.25 }) }) }), job_id: 'g-cos' }
    const cos = await follow(gc, (await unary<{ status: JobStatus }>(gc, 'submitJob', sched, 's3cret')).status.job_id, 's3cret')
    expect(cos[cos.length - 1].state).toBe(JobState.JOB_STATE_SUCCEEDED)
    expect(cos[cos.length - 1].learning_rate).toBeCloseTo(5e-4, 12)
    // the CLI submits the same kind of job and follows it
    const cli = await runCli(['train', 'grpo', '--service', `127.0.0.1:${grpo.port}`, '--checkpoint', init, '--worker', worker.address, '--steps', '1',
      '--questions', '1', '--group', '2', '--max-new-tokens', '4', '--eval-n', '0', '--job-id', 'from-cli', '--json'], { DSMATH_AUTH_TOKEN: 's3cret' })
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout.trim().split('\n').pop()!)).toMatchObject({ job_id: 'from-cli', state: 'JOB_STATE_SUCCEEDED', steps: 1 })
    const health = new (grpc.makeGenericClientConstructor({
      Check: {
        path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
        requestSerialize: () => Buffer.alloc(0), requestDeserialize: () => ({}),
        responseSerialize: () => Buffer.alloc(0), responseDeserialize: (b: Buffer) => ({ status: b[1] }),
      },
    }, 'Health'))(`127.0.0.1:${grpo.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Check: (req: object, cb: (e: Error | null, r: { status: number }) => void) => void }
    const res = await new Promise<{ status: number }>((resolve, reject) => health.Check({}, (e, r) => (e ? reject(e) : resolve(r))))
    expect(res.status).toBe(1) // SERVING
    health.close()
  })
})
