// RewardService and GrpoService (training.proto) over gRPC: jobs that train a reward model (outcome or process
// supervision) or a policy (GRPO, online RFT, RFT; iterative RL with reward_refresh_every) through a PyTorch
// worker (one the job names, or one the service starts for it), and RewardService.Score for rule, ORM and PRM
// rewards. Health checking, reflection, INVALID_ARGUMENT naming the field, optional bearer-token auth
// (DSMATH_AUTH_TOKEN), as services/pretrain. Jobs live in memory with a job.json per job under the state
// directory; unlike pretraining they are not resumed after a restart (an RL job is restarted from its
// checkpoint by submitting it again).
import { randomBytes, randomUUID } from 'node:crypto'
import { access, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { RpcError, safeService, unary } from '../grpc-common.ts'
import { loadSync } from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { HealthImplementation } from 'grpc-health-check'
import {
  GrpoJobConfig, GrpoServiceService, JobState, LrSchedule_Kind, RewardJobConfig, RewardKind, RewardServiceService, type Checkpoint, type GrpoServiceServer,
  type JobStatus, type RewardScore, type RewardServiceScoreRequest, type RewardServiceScoreResponse, type RewardServiceServer, type WorkerPool,
} from '../../src/gen/dsmath/v1/training.ts'
import { LossAggregation } from '../../src/gen/dsmath/v1/worker.ts'
import { gradeResponse } from '../../src/grade/grade.ts'
import { loadTrainedRewardModel, NotARewardModelError, ormExamples, prmExamples, trainRewardModel, type RewardExample } from '../../src/rl/reward-model.ts'
import { newlineTest, RlWorker, sampleGroups, stepEnds, type Question } from '../../src/rl/rollout.ts'
import { rlQuestion, runIterative, runRl, type RlConfig, type RlContext, type RlStepMetrics } from '../../src/rl/trainer.ts'
import { readProblems } from '../../src/train/eval.ts'
import { scheduleErrors } from '../../src/train/schedule.ts'
import { checkpointTokenizerPath, cotPrompt, loadTokenizer } from '../../src/train/sft.ts'
import { openJobWorker, WORKER_POOL_ENV } from '../../src/train/worker.ts'
import { observeTrainStep } from '../../src/obs/metrics.ts'

const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url))
const TERMINAL = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED])
const now = (): string => new Date().toISOString()

const invalid = (field: string, why: string): RpcError => new RpcError(grpc.status.INVALID_ARGUMENT, `${field}: ${why}`)

export interface RlServerOptions {
  host?: string
  port?: number
  stateDir: string
  authToken?: string
  workerThreads?: number
  log?: (msg: string) => void
}

class Job {
  status: JobStatus
  readonly listeners = new Set<(s: JobStatus) => void>()
  cancelRequested = false
  done: Promise<void> = Promise.resolve()
  readonly checkpoints: Checkpoint[] = []
  constructor(readonly id: string, readonly dir: string, totalSteps: number) {
    this.status = {
      job_id: id, state: JobState.JOB_STATE_QUEUED, step: 0, total_steps: totalSteps, loss: 0, tokens_per_second: 0, tokens: 0,
      learning_rate: 0, message: '', updated_at: now(), metrics: {}, last_checkpoint: '',
    }
  }
  update(patch: Partial<JobStatus>): void {
    this.status = { ...this.status, ...patch, updated_at: now() }
    for (const l of this.listeners) l(this.status)
  }
  async persist(config: unknown): Promise<void> {
    const tmp = join(this.dir, `job.json.tmp-${process.pid}`)
    await writeFile(tmp, JSON.stringify({ job_id: this.id, config, status: this.status, checkpoints: this.checkpoints }, null, 1))
    await rename(tmp, join(this.dir, 'job.json'))
  }
}

/** A worker for a job: a free one of the pool claimed for `jobId` (openJobWorker), or one started for it. */
async function openWorker(pool: WorkerPool | undefined, threads: number, jobId: string): Promise<{ w: RlWorker; close(): Promise<void> }> {
  const { conn, close } = await openJobWorker({
    addresses: pool?.addresses ?? [], jobId, token: pool?.auth_token || undefined, stepDeadlineMs: Number(pool?.step_deadline_ms || 0) || 600_000, threads,
  })
  return { w: new RlWorker(conn), close }
}

async function policyContext(w: RlWorker, checkpoint: string, tokenizer: string, freshOptimizer = false): Promise<RlContext & { tokenizerPath: string }> {
  const path = tokenizer || checkpointTokenizerPath(checkpoint)
  const { tokenizer: tok, eosId } = await loadTokenizer(path)
  const loaded = await w.loadCheckpoint(checkpoint, freshOptimizer)
  return { codec: tok, eosId, maxSeqLen: loaded.model?.max_seq_len ?? 0, isNewline: newlineTest(tok), tokenizerPath: path }
}

const AGG_NAME = {
  [LossAggregation.LOSS_AGGREGATION_SEQUENCE_MEAN]: 'sequence-mean', [LossAggregation.LOSS_AGGREGATION_TOKEN_MEAN]: 'token-mean',
  [LossAggregation.LOSS_AGGREGATION_DR_GRPO]: 'dr-grpo',
} as const

// ---- validation: every refusal names its field ----

function checkCommon(c: GrpoJobConfig['common']): NonNullable<GrpoJobConfig['common']> {
  if (!c) throw invalid('config.common', 'required')
  if (!c.init_checkpoint) throw invalid('config.common.init_checkpoint', 'required (the policy to start from, e.g. the SFT checkpoint)')
  if (c.batch_size < 0) throw invalid('config.common.batch_size', `must be >= 0 (got ${c.batch_size})`)
  if (Number(c.total_steps) < 0) throw invalid('config.common.total_steps', `must be >= 0 (got ${c.total_steps})`)
  const lr = c.optimizer?.lr ?? 0
  if (!Number.isFinite(lr) || lr < 0) throw invalid('config.common.optimizer.lr', `must be >= 0 (got ${lr})`)
  return c
}

// Items graded in one Score call: grading runs on the service's event loop.
const MAX_SCORE_ITEMS = 4096
// Samples held in memory at once: a group size or batch past these would exhaust the service's heap.
const MAX_GROUP_SIZE = 1024
const MAX_SAMPLES_PER_STEP = 65_536

/** The files a GRPO job needs, checked at submission rather than when the job starts. */
async function checkGrpoFiles(cfg: GrpoJobConfig): Promise<void> {
  const c = cfg.common!
  const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false)
  if (!(await exists(join(c.init_checkpoint, 'state.json')))) throw invalid('config.common.init_checkpoint', `no checkpoint at ${c.init_checkpoint} (state.json missing)`)
  const tokenizer = c.tokenizer || checkpointTokenizerPath(c.init_checkpoint)
  if (!(await exists(tokenizer))) throw invalid(c.tokenizer ? 'config.common.tokenizer' : 'config.common.init_checkpoint', `no tokenizer.json at ${tokenizer}`)
  if (cfg.reward_checkpoint && !(await exists(join(cfg.reward_checkpoint, 'state.json')))) throw invalid('config.reward_checkpoint', `no reward model at ${cfg.reward_checkpoint} (state.json missing)`)
}

export function checkGrpoConfig(cfg: GrpoJobConfig | undefined): GrpoJobConfig {
  if (!cfg) throw invalid('config', 'required')
  checkCommon(cfg.common)
  if (cfg.group_size < 0 || cfg.group_size === 1) throw invalid('config.group_size', `must be >= 2 (a group needs more than one output; got ${cfg.group_size})`)
  if (cfg.group_size > MAX_GROUP_SIZE) throw invalid('config.group_size', `must be <= ${MAX_GROUP_SIZE} (got ${cfg.group_size})`)
  if ((cfg.common!.batch_size || 1) * (cfg.group_size || 8) > MAX_SAMPLES_PER_STEP) {
    throw invalid('config.common.batch_size', `questions per step x group_size must be <= ${MAX_SAMPLES_PER_STEP} (got ${cfg.common!.batch_size} x ${cfg.group_size || 8})`)
  }
  if (![RewardKind.REWARD_KIND_UNSPECIFIED, RewardKind.REWARD_KIND_OUTCOME, RewardKind.REWARD_KIND_PROCESS].includes(cfg.reward_kind)) throw invalid('config.reward_kind', `unknown value ${cfg.reward_kind}`)
  if (!Number.isFinite(cfg.kl_coef) || cfg.kl_coef < 0) throw invalid('config.kl_coef', `must be >= 0 (got ${cfg.kl_coef})`)
  if (!Number.isFinite(cfg.clip_epsilon) || cfg.clip_epsilon < 0) throw invalid('config.clip_epsilon', `must be >= 0 (got ${cfg.clip_epsilon})`)
  if (!Number.isFinite(cfg.clip_epsilon_high) || cfg.clip_epsilon_high < 0) throw invalid('config.clip_epsilon_high', `must be >= 0 (got ${cfg.clip_epsilon_high})`)
  if (cfg.updates_per_batch < 0) throw invalid('config.updates_per_batch', `must be >= 0 (got ${cfg.updates_per_batch})`)
  if (cfg.max_new_tokens < 0) throw invalid('config.max_new_tokens', `must be >= 0 (got ${cfg.max_new_tokens})`)
  if (!Number.isFinite(cfg.temperature) || cfg.temperature < 0) throw invalid('config.temperature', `must be >= 0 (got ${cfg.temperature})`)
  if (!Number.isFinite(cfg.top_p) || cfg.top_p < 0 || cfg.top_p > 1) throw invalid('config.top_p', `must be in [0, 1] (got ${cfg.top_p})`)
  if (!Number.isFinite(cfg.replay_share) || cfg.replay_share < 0 || cfg.replay_share >= 1) throw invalid('config.replay_share', `must be in [0, 1) (got ${cfg.replay_share})`)
  if (!(cfg.aggregation in AGG_NAME)) throw invalid('config.aggregation', `unknown value ${cfg.aggregation}`)
  if (cfg.method && !['grpo', 'rft', 'online-rft'].includes(cfg.method)) throw invalid('config.method', `must be grpo, rft or online-rft (got '${cfg.method}')`)
  if (cfg.reward_kind !== RewardKind.REWARD_KIND_UNSPECIFIED && (cfg.method || 'grpo') !== 'grpo') throw invalid('config.reward_kind', `${cfg.method} learns from the rule grader only`)
  if (cfg.reward_kind !== RewardKind.REWARD_KIND_UNSPECIFIED && !cfg.reward_checkpoint && !Number(cfg.reward_refresh_every)) {
    throw invalid('config.reward_checkpoint', 'required for a reward model (or set reward_refresh_every for iterative RL)')
  }
  if (Number(cfg.reward_refresh_every) < 0) throw invalid('config.reward_refresh_every', `must be >= 0 (got ${cfg.reward_refresh_every})`)
  if (Number(cfg.reward_refresh_every) > 0 && cfg.reward_kind === RewardKind.REWARD_KIND_UNSPECIFIED) throw invalid('config.reward_kind', 'iterative RL (reward_refresh_every) needs OUTCOME or PROCESS')
  if (cfg.eval_problems < 0) throw invalid('config.eval_problems', `must be >= 0 (got ${cfg.eval_problems})`)
  const sched = cfg.common!.lr_schedule
  if (sched && ![LrSchedule_Kind.KIND_UNSPECIFIED, LrSchedule_Kind.KIND_CONSTANT, LrSchedule_Kind.KIND_COSINE].includes(sched.kind)) {
    throw invalid('config.common.lr_schedule.kind', 'RL runs CONSTANT or COSINE')
  }
  const s = rlSchedule(cfg.common!)
  const [err] = scheduleErrors({ kind: s.lrSchedule!, peakLr: s.lr, warmupSteps: s.warmup!, totalSteps: Number(cfg.common!.total_steps), minLrRatio: s.minLrRatio }, 'config.common.lr_schedule')
  if (err) throw new RpcError(grpc.status.INVALID_ARGUMENT, err) // already "field: why"
  return cfg
}

/** The RL learning-rate settings of a job: common.lr_schedule (peak_lr wins over optimizer.lr). */
function rlSchedule(c: NonNullable<GrpoJobConfig['common']>): Pick<RlConfig, 'lr' | 'lrSchedule' | 'warmup' | 'minLrRatio'> {
  const s = c.lr_schedule
  return {
    lr: s?.peak_lr || c.optimizer?.lr || 1e-5, lrSchedule: s?.kind === LrSchedule_Kind.KIND_COSINE ? 'cosine' : 'constant',
    warmup: Number(s?.warmup_steps ?? 0), ...(s?.min_lr_ratio ? { minLrRatio: s.min_lr_ratio } : {}),
  }
}

export function checkRewardConfig(cfg: RewardJobConfig | undefined): RewardJobConfig {
  if (!cfg) throw invalid('config', 'required')
  checkCommon(cfg.common)
  if (cfg.kind !== RewardKind.REWARD_KIND_OUTCOME && cfg.kind !== RewardKind.REWARD_KIND_PROCESS) throw invalid('config.kind', 'must be REWARD_KIND_OUTCOME or REWARD_KIND_PROCESS')
  if (cfg.data.length === 0) throw invalid('config.data', 'at least one source is required ("generated:arithmetic" or a JSONL file)')
  for (const [f, v] of [['questions', cfg.questions], ['samples_per_question', cfg.samples_per_question], ['completions_per_step', cfg.completions_per_step]] as const) {
    if (v < 0) throw invalid(`config.${f}`, `must be >= 0 (got ${v})`)
  }
  return cfg
}

// ---- jobs ----

class Jobs {
  readonly jobs = new Map<string, Job>()
  stopping = false
  constructor(private readonly opts: RlServerOptions, private readonly prefix: string) {}
  log(m: string): void { (this.opts.log ?? ((x: string) => process.stderr.write(x + '\n')))(m) }

  async create(jobId: string, total: number): Promise<Job | JobStatus> {
    if (jobId && !/^[A-Za-z0-9_.-]{1,64}$/.test(jobId)) throw invalid('job_id', '1-64 letters, digits, _ . -')
    const existing = jobId ? this.jobs.get(jobId) : undefined
    if (existing) return existing.status
    const id = jobId || `${this.prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
    const dir = join(this.opts.stateDir, 'jobs', id)
    await mkdir(dir, { recursive: true })
    const job = new Job(id, dir, total)
    this.jobs.set(id, job)
    return job
  }

  run(job: Job, config: unknown, body: (job: Job) => Promise<void>): void {
    job.done = (async () => {
      job.update({ state: JobState.JOB_STATE_RUNNING })
      await job.persist(config)
      await body(job)
      job.update(job.cancelRequested ? { state: JobState.JOB_STATE_CANCELLED, message: `cancelled at step ${job.status.step}` } : { state: JobState.JOB_STATE_SUCCEEDED })
      await job.persist(config)
    })().catch(async (err: Error) => {
      this.log(`${this.prefix}: job ${job.id} failed: ${err.message}`)
      job.update({ state: JobState.JOB_STATE_FAILED, message: err.message })
      await job.persist(config).catch(() => {})
    })
  }

  get(id: string): Job {
    if (!id) throw invalid('job_id', 'required')
    const j = this.jobs.get(id)
    if (!j) throw new RpcError(grpc.status.NOT_FOUND, `job_id: no job '${id}'`)
    return j
  }

  cancel(id: string): JobStatus {
    const j = this.get(id)
    if (!TERMINAL.has(j.status.state)) j.cancelRequested = true
    return j.status
  }
}

function streamStatus(jobs: Jobs): grpc.handleServerStreamingCall<{ job_id: string }, { status: JobStatus }> {
  return (call) => {
    let job: Job
    try { job = jobs.get(call.request.job_id) } catch (err) {
      call.emit('error', { code: (err as RpcError).code, details: (err as Error).message })
      return
    }
    const send = (s: JobStatus): void => {
      if (call.cancelled || call.destroyed) return
      call.write({ status: s })
      if (TERMINAL.has(s.state)) { job.listeners.delete(send); call.end() }
    }
    job.listeners.add(send)
    call.on('cancelled', () => job.listeners.delete(send))
    call.on('close', () => job.listeners.delete(send))
    send(job.status)
  }
}


// ---- GrpoService ----

async function questionSource(uris: readonly string[]): Promise<(i: number) => Question> {
  if (!uris.length) return rlQuestion
  const all: Question[] = []
  for (const u of uris) all.push(...(await readProblems(u)))
  if (!all.length) throw invalid('config.questions', 'the files hold no question')
  return (i) => all[i % all.length]
}

function grpoImpl(jobs: Jobs, opts: RlServerOptions): GrpoServiceServer {
  return {
    submitJob: unary(async (req) => {
      const cfg = checkGrpoConfig(req.config)
      await checkGrpoFiles(cfg)
      const c = cfg.common!
      const total = Number(c.total_steps) || 20
      const created = await jobs.create(req.job_id, total)
      if (!(created instanceof Job)) return { status: created }
      const job = created
      const question = await questionSource(cfg.questions).catch((e: Error) => { jobs.jobs.delete(job.id); throw e instanceof RpcError ? e : invalid('config.questions', e.message) })
      jobs.run(job, GrpoJobConfig.toJSON(cfg), async () => {
        const { w, close } = await openWorker(c.workers, opts.workerThreads ?? 0, `grpo/${job.id}`)
        try {
          const ctx = await policyContext(w, c.init_checkpoint, c.tokenizer, cfg.fresh_optimizer)
          const method = (cfg.method || 'grpo') as RlConfig['method']
          const reward = cfg.reward_kind === RewardKind.REWARD_KIND_OUTCOME ? 'orm' : cfg.reward_kind === RewardKind.REWARD_KIND_PROCESS ? 'prm' : 'rule'
          const rl: RlConfig = {
            method, reward, steps: total, questionsPerStep: c.batch_size || 4, groupSize: cfg.group_size || 8, mu: cfg.updates_per_batch || 1,
            clipEps: cfg.clip_epsilon || 0.2, ...(cfg.clip_epsilon_high ? { clipEpsHigh: cfg.clip_epsilon_high } : {}),
            klBeta: method === 'grpo' ? cfg.kl_coef : 0, aggregation: AGG_NAME[cfg.aggregation as 0 | 1 | 2], ...rlSchedule(c),
            temperature: cfg.temperature || 1, topP: cfg.top_p || 1, maxNewTokens: cfg.max_new_tokens || 160, dynamicSampling: cfg.dynamic_sampling,
            seed: Number(c.seed) || 1, evalEvery: 0, evalN: cfg.eval_problems, question,
          }
          const outDir = c.checkpoint_dir || join(job.dir, 'run')
          let done = 0
          const hooks = {
            onStep: (m: RlStepMetrics) => {
              done++
              observeTrainStep(job.id, { step: done, loss: m.loss, rewardMean: m.reward_mean })
              job.update({ step: done, loss: m.loss, learning_rate: m.learning_rate, metrics: { ...job.status.metrics, reward_mean: m.reward_mean, sample_accuracy: m.accuracy, kl: m.kl, response_length: m.response_length } })
            },
            onEval: (e: { step: number; accuracy: number }) => { job.update({ metrics: { ...job.status.metrics, [done === 0 ? 'eval_accuracy_start' : 'eval_accuracy'] : e.accuracy } }) },
            shouldStop: () => job.cancelRequested || jobs.stopping,
          }
          const refresh = Number(cfg.reward_refresh_every)
          if (refresh > 0) {
            const reports = await runIterative(w, ctx, {
              iterations: Math.max(1, Math.round(total / refresh)), grpo: { ...rl, steps: refresh }, kind: reward as 'orm' | 'prm',
              rmQuestions: 16, rmSamples: 4, rmEpochs: 2, rmBatch: 16, rmLr: 1e-4, replayShare: cfg.replay_share || 0.1, prmN: 4, prmLabel: 'soft',
            }, hooks)
            job.update({ metrics: { ...job.status.metrics, iterations: reports.length, replay_share: reports[reports.length - 1].replay_share } })
          } else {
            if (reward !== 'rule') await loadTrainedRewardModel(w, cfg.reward_checkpoint, { kind: reward, field: 'reward_checkpoint' })
            if (rl.klBeta > 0) await w.resetReference()
            await runRl(w, ctx, rl, hooks)
          }
          const path = join(outDir, 'checkpoints', `step-${String(done).padStart(6, '0')}`)
          await w.saveCheckpoint(path, { kind: `dsmath.${method}`, steps: done, init_checkpoint: c.init_checkpoint, created_at: now() })
          await copyFile(ctx.tokenizerPath, join(outDir, 'tokenizer.json'))
          job.checkpoints.push({ path, step: done, tokens: 0, loss: job.status.loss, created_at: now() })
          job.update({ last_checkpoint: path })
        } finally {
          await close()
        }
      })
      return { status: job.status }
    }),
    cancel: unary((req) => ({ status: jobs.cancel(req.job_id) })),
    listCheckpoints: unary((req) => ({ checkpoints: jobs.get(req.job_id).checkpoints })),
    streamStatus: streamStatus(jobs),
  }
}

// ---- RewardService ----

async function readRewardData(path: string, kind: RewardKind, codec: RlContext['codec'], eosId: number, isNewline: (id: number) => boolean): Promise<RewardExample[]> {
  const out: RewardExample[] = []
  const text = await readFile(path, 'utf8').catch(() => { throw invalid('config.data', `cannot read ${path}`) })
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let o: Record<string, unknown>
    try { o = JSON.parse(line) as Record<string, unknown> } catch { throw invalid('config.data', `${path}:${i + 1}: not JSON`) }
    if (typeof o.question !== 'string') throw invalid('config.data', `${path}:${i + 1}: needs "question"`)
    const prompt = codec.encode(cotPrompt(o.question))
    if (kind === RewardKind.REWARD_KIND_OUTCOME) {
      if (typeof o.response !== 'string' || typeof o.label !== 'number') throw invalid('config.data', `${path}:${i + 1}: needs "response" and a numeric "label"`)
      const tokens = [...prompt, ...codec.encode(o.response), eosId]
      out.push({ tokens, positions: [tokens.length - 1], labels: [o.label] })
    } else {
      const steps = o.steps, labels = o.labels
      if (!Array.isArray(steps) || !Array.isArray(labels) || steps.length !== labels.length || !steps.length) throw invalid('config.data', `${path}:${i + 1}: needs "steps" and "labels" of the same length`)
      const tokens = [...prompt], positions: number[] = []
      steps.forEach((s, j) => { tokens.push(...codec.encode(String(s) + (j < steps.length - 1 ? '\n' : ''))); positions.push(tokens.length - 1) })
      tokens.push(eosId)
      positions[positions.length - 1] = tokens.length - 1
      void isNewline
      out.push({ tokens, positions, labels: labels.map(Number) })
    }
  })
  return out
}

/** A worker the RewardService started for itself to score with one reward model (when Score names no pool). */
type OwnScorer = { w: RlWorker; close(): Promise<void> }

function rewardImpl(jobs: Jobs, opts: RlServerOptions, ownScorers: Map<string, Promise<OwnScorer>>): RewardServiceServer {
  const tokenizers = new Map<string, ReturnType<typeof loadTokenizer>>()
  return {
    submitJob: unary(async (req) => {
      const cfg = checkRewardConfig(req.config)
      const c = cfg.common!
      const created = await jobs.create(req.job_id, 0)
      if (!(created instanceof Job)) return { status: created }
      const job = created
      jobs.run(job, RewardJobConfig.toJSON(cfg), async () => {
        const { w, close } = await openWorker(c.workers, opts.workerThreads ?? 0, `reward/${job.id}`)
        try {
          const ctx = await policyContext(w, c.init_checkpoint, c.tokenizer)
          const seed = Number(c.seed) || 1
          let examples: RewardExample[] = []
          for (const src of cfg.data) {
            if (src === 'generated:arithmetic') {
              job.update({ message: 'sampling solutions' })
              const sampling = { codec: ctx.codec, eosId: ctx.eosId, maxNewTokens: 160, temperature: 1, topP: 1, maxSeqLen: ctx.maxSeqLen }
              const qs = Array.from({ length: cfg.questions || 40 }, (_, i) => rlQuestion(2_000_000 + i))
              const rollouts = (await sampleGroups(w, qs, cfg.samples_per_question || 4, { ...sampling, seed })).flat()
              examples.push(...(cfg.kind === RewardKind.REWARD_KIND_OUTCOME ? ormExamples(rollouts)
                : await prmExamples(w, rollouts, { ...sampling, seed: seed + 1, n: cfg.completions_per_step || 4, label: cfg.hard_labels ? 'hard' : 'soft', isNewline: ctx.isNewline })))
            } else {
              examples.push(...(await readRewardData(src, cfg.kind, ctx.codec, ctx.eosId, ctx.isNewline)))
            }
          }
          examples = examples.filter((x) => x.tokens.length <= ctx.maxSeqLen)
          const lr = c.optimizer?.lr || c.lr_schedule?.peak_lr || 1e-4
          const batch = c.batch_size || 16
          const epochs = Number(c.total_steps) ? Math.max(1, Math.ceil((Number(c.total_steps) * batch) / Math.max(1, examples.length))) : 3
          job.update({ total_steps: epochs * Math.ceil(examples.length / batch), message: '' })
          await w.initRewardModel({ checkpoint: '', optimizer: { lr }, seed })
          const s = await trainRewardModel(w, examples, {
            epochs, batchSize: batch, lr, seed,
            onStep: (step, loss, accuracy) => {
              observeTrainStep(job.id, { step, loss })
              job.update({ step, loss, learning_rate: lr, metrics: { ...job.status.metrics, accuracy } })
            },
          })
          const dir = join(c.checkpoint_dir || join(job.dir, 'run'), 'reward-model')
          await w.saveRewardModel(dir, { kind: cfg.kind === RewardKind.REWARD_KIND_OUTCOME ? 'orm' : 'prm', init_checkpoint: c.init_checkpoint, examples: examples.length })
          await copyFile(ctx.tokenizerPath, join(dir, 'tokenizer.json'))
          job.checkpoints.push({ path: dir, step: s.steps, tokens: 0, loss: s.last_loss ?? 0, created_at: now() })
          job.update({ last_checkpoint: dir, metrics: { ...job.status.metrics, examples: s.examples, labels: s.labels, last_epoch_accuracy: s.last_epoch_accuracy ?? 0 } })
        } finally {
          await close()
        }
      })
      return { status: job.status }
    }),
    cancel: unary((req) => ({ status: jobs.cancel(req.job_id) })),
    listCheckpoints: unary((req) => ({ checkpoints: jobs.get(req.job_id).checkpoints })),
    streamStatus: streamStatus(jobs),
    score: unary(async (req: RewardServiceScoreRequest) => {
      if (!req.items.length) throw invalid('items', 'at least one item is required')
      if (req.items.length > MAX_SCORE_ITEMS) throw invalid('items', `at most ${MAX_SCORE_ITEMS} per call (got ${req.items.length})`)
      if (req.kind === RewardKind.REWARD_KIND_UNSPECIFIED) {
        return {
          scores: req.items.map((it, i): RewardScore => {
            if (!it.reference) throw invalid(`items[${i}].reference`, 'required for rule rewards')
            const g = gradeResponse(it.response, it.reference)
            return { score: g.correct ? 1 : 0, step_scores: [], answer: g.answer ?? '' }
          }),
        }
      }
      if (!req.reward_checkpoint) throw invalid('reward_checkpoint', 'required for OUTCOME and PROCESS rewards')
      // The tokenizer first: a bad reward_checkpoint must not claim or start a worker.
      let tokenizer = tokenizers.get(req.reward_checkpoint)
      if (!tokenizer) {
        tokenizer = loadTokenizer(join(req.reward_checkpoint, 'tokenizer.json')).catch((err: Error) => {
          if (!err.message.startsWith('tokenizer: cannot read')) throw err
          throw new RpcError(grpc.status.FAILED_PRECONDITION, `reward_checkpoint ${req.reward_checkpoint}: no tokenizer.json (a reward model directory holds one)`)
        })
        tokenizers.set(req.reward_checkpoint, tokenizer)
        tokenizer.catch(() => tokenizers.delete(req.reward_checkpoint))
      }
      const codec = await tokenizer
      const scorer = { codec: codec.tokenizer, eosId: codec.eosId, isNewline: newlineTest(codec.tokenizer) }
      // A worker of a pool is claimed for this request alone and released after it; without a pool, the service
      // keeps a worker of its own per reward model.
      if (req.workers?.addresses.length || process.env[WORKER_POOL_ENV]) {
        const ww = await openWorker(req.workers, opts.workerThreads ?? 0, `reward-score/${randomUUID()}`)
        try {
          return await scoreItems(ww.w, req, scorer)
        } finally {
          await ww.close()
        }
      }
      let own = ownScorers.get(req.reward_checkpoint)
      if (!own) {
        own = openWorker(undefined, opts.workerThreads ?? 0, '')
        ownScorers.set(req.reward_checkpoint, own)
        own.catch(() => ownScorers.delete(req.reward_checkpoint))
      }
      const ww = await own
      return await scoreItems(ww.w, req, scorer).catch(async (err: unknown) => {
        if (err instanceof RpcError && err.code === grpc.status.FAILED_PRECONDITION) {
          ownScorers.delete(req.reward_checkpoint) // not a reward model: its worker goes
          await ww.close()
        }
        throw err
      })
    }),
  }
}

/** Loads the reward model (for every request: a worker holds one, and a job may have replaced it since) and scores the items. */
async function scoreItems(w: RlWorker, req: RewardServiceScoreRequest, s: { codec: RlContext['codec']; eosId: number; isNewline(id: number): boolean }): Promise<RewardServiceScoreResponse> {
  await loadTrainedRewardModel(w, req.reward_checkpoint, { field: 'reward_checkpoint' }).catch((err: unknown) => {
    throw err instanceof NotARewardModelError ? new RpcError(grpc.status.FAILED_PRECONDITION, err.message) : err
  })
  const seqs = req.items.map((it) => {
    const prompt = s.codec.encode(cotPrompt(it.question))
    const resp = [...s.codec.encode(it.response), s.eosId]
    const ends = req.kind === RewardKind.REWARD_KIND_PROCESS ? stepEnds(resp, s.isNewline) : [resp.length - 1]
    return { tokens: [...prompt, ...resp], positions: ends.map((e) => prompt.length + e) }
  })
  const res = await w.rewardScore(seqs)
  return {
    scores: res.sequences.map((x): RewardScore => ({ score: x.scores[x.scores.length - 1], step_scores: req.kind === RewardKind.REWARD_KIND_PROCESS ? [...x.scores] : [], answer: '' })),
  }
}

export interface RunningRlServer { port: number; close(): Promise<void> }

/** Starts RewardService ('reward') or GrpoService ('grpo') on one port. */
export async function startRlServer(kind: 'reward' | 'grpo', opts: RlServerOptions): Promise<RunningRlServer> {
  const jobs = new Jobs(opts, kind === 'reward' ? 'rm' : 'grpo')
  await mkdir(join(opts.stateDir, 'jobs'), { recursive: true })
  const server = new grpc.Server()
  const name = kind === 'reward' ? 'dsmath.v1.RewardService' : 'dsmath.v1.GrpoService'
  let impl: grpc.UntypedServiceImplementation
  const scorers = new Map<string, Promise<OwnScorer>>()
  if (kind === 'reward') {
    impl = rewardImpl(jobs, opts, scorers) as unknown as grpc.UntypedServiceImplementation
    server.addService(...safeService(RewardServiceService, impl, opts.authToken))
  } else {
    impl = grpoImpl(jobs, opts) as unknown as grpc.UntypedServiceImplementation
    server.addService(...safeService(GrpoServiceService, impl, opts.authToken))
  }
  const health = new HealthImplementation({ '': 'SERVING', [name]: 'SERVING' })
  health.addToServer(server)
  new ReflectionService(loadSync('dsmath/v1/training.proto', { includeDirs: [SCHEMAS] })).addToServer(server)
  const host = opts.host ?? '127.0.0.1'
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${host}:${opts.port}: ${err.message}`)) : resolve(p))))
  return {
    port,
    close: async () => {
      health.setStatus('', 'NOT_SERVING')
      jobs.stopping = true
      await Promise.all([...jobs.jobs.values()].map((j) => j.done.catch(() => {})))
      for (const s of scorers.values()) await (await s.catch(() => null))?.close()
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()))
    },
  }
}
