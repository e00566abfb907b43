// dsmath train grpo|rft|online-rft and dsmath reward train-orm|train-prm|score (--local: the CLI starts a
// PyTorch worker as its child and drives it).
import { copyFile, mkdir, readFile, writeFile, appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { intFlag, log, parse, UsageError } from '../cli/args.ts'
import { GrpoServiceClient, JobState, LrSchedule_Kind, RewardKind as PbRewardKind, type GrpoJobConfig, type JobStatus } from '../gen/dsmath/v1/training.ts'
import { LossAggregation } from '../gen/dsmath/v1/worker.ts'
import { lineChartsSvg } from '../train/plot.ts'
import { ProgressBar } from '../train/progress.ts'
import { checkpointTokenizer, cotPrompt, loadTokenizer } from '../train/sft.ts'
import { maxValueFlag } from '../train/sft-cli.ts'
import { cliJobId, spawnWorker, WorkerConn } from '../train/worker.ts'
import {
  loadTrainedRewardModel, ormExamples, prmExamples, rewardAccuracy, trainRewardModel, type RewardExample, type RewardKind,
} from './reward-model.ts'
import { newlineTest, RlWorker, sampleGroups, stepEnds } from './rollout.ts'
import { rlQuestion, runIterative, runRl, type RlConfig, type RlContext, type RlMethod, type RlStepMetrics, type RlSummary } from './trainer.ts'
import { serveMetrics } from '../obs/metrics.ts'

const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')

function numFlag(values: Record<string, unknown>, name: string, fallback: number, min = 0): number {
  const v = values[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got '${String(v)}'`)
  return n
}

async function withWorker<T>(values: Record<string, unknown>, fn: (w: RlWorker) => Promise<T>): Promise<T> {
  const spawned = values.worker ? null : await spawnWorker({ threads: intFlag(values, 'threads', 0) })
  const conn = new WorkerConn((values.worker as string | undefined) ?? spawned!.address, process.env.DSMATH_AUTH_TOKEN || undefined, undefined, spawned ? undefined : cliJobId())
  try {
    return await fn(new RlWorker(conn))
  } finally {
    await conn.release()
    await spawned?.stop()
  }
}

type CheckpointTokenizer = Awaited<ReturnType<typeof checkpointTokenizer>>

async function context(w: RlWorker, checkpoint: string, tok: CheckpointTokenizer, freshOptimizer = false): Promise<RlContext & { tokenizerPath: string }> {
  const loaded = await w.loadCheckpoint(checkpoint, freshOptimizer)
  return { codec: tok.tokenizer, eosId: tok.eosId, maxSeqLen: loaded.model?.max_seq_len ?? 0, isNewline: newlineTest(tok.tokenizer), tokenizerPath: tok.path }
}

/** Reward, KL, accuracy and response length per step (and held-out accuracy per evaluation) as one SVG. */
export function plotRl(s: Pick<RlSummary, 'history' | 'evals'>, title: string): string {
  const xs = s.history.map((m) => m.step)
  const panel = (t: string, f: (m: RlStepMetrics) => number, y: string): { title: string; series: { label: string; xs: number[]; ys: number[] }; yLabel: string } =>
    ({ title: t, series: { label: t, xs, ys: s.history.map(f) }, yLabel: y })
  const panels = [
    panel('mean reward of the samples', (m) => m.reward_mean, 'reward'),
    panel('share of samples correct (rule grader)', (m) => m.accuracy, 'accuracy'),
    panel('KL to the reference (mean k3)', (m) => m.kl, 'KL'),
    panel('mean response length', (m) => m.response_length, 'tokens'),
  ]
  if (s.evals.length > 1) panels.push({ title: 'held-out greedy accuracy', series: { label: 'greedy', xs: s.evals.map((e) => e.step), ys: s.evals.map((e) => e.accuracy) }, yLabel: 'accuracy' })
  return lineChartsSvg(title, panels, 'step')
}

const RL_USAGE = (m: string): string => `
dsmath train ${m} (--local | --service HOST:PORT [--job-id ID]) --checkpoint C [--json] [--out DIR] [--steps N] [--questions Q] [--group G] [--mu M]
        [--lr X] [--lr-schedule constant|cosine] [--warmup W] [--fresh-optimizer] [--temperature T] [--top-p P] [--max-new-tokens M] [--eval-every N] [--eval-n N] [--eval-k K]
        [--seed S] [--threads T] [--worker HOST:PORT] [--max-value N] [--tokenizer FILE]${m === 'grpo' ? `
        [--reward rule|rule-steps|orm|prm] [--reward-model DIR] [--process-credit suffix|step] [--beta B] [--clip E] [--clip-high E]
        [--aggregation sequence-mean|token-mean|dr-grpo] [--dynamic-sampling]
        [--iterations I --rm-questions N --rm-samples K --rm-epochs E --rm-lr X --replay 0.1 --prm-n N --prm-label hard|soft]` : ''}
${m === 'grpo' ? `Group Relative Policy Optimization (DeepSeekMath section 4): G outputs per question sampled from the
policy, rewards from the rule grader (1/0), an outcome reward model (--reward orm) or a process reward model
(--reward prm: process supervision), group-normalised advantages, the clipped objective with the k3 KL to
the reference (the starting policy), μ updates per batch. --iterations I runs iterative RL (Algorithm 1):
each iteration resets the reference to the policy, samples, (re)trains the reward model on the new samples
plus --replay (10%) replayed from earlier iterations, then runs --steps GRPO steps. Process supervision
(rule-steps, prm): a token's advantage is the sum of the normalised rewards of its step and every later one
(--process-credit suffix, the paper's), or its own step's alone (--process-credit step; with rule-steps each
step is then judged on its own equations).` : m === 'rft' ? `Rejection-sampling fine-tuning: outputs sampled once from the starting model, trained on the correct ones
(gradient coefficient 1 for correct, 0 for wrong), through the same trainer as GRPO.` : `Online rejection-sampling fine-tuning: outputs sampled from the current policy at every step, trained on the
correct ones (gradient coefficient 1 for correct, 0 for wrong), through the same trainer as GRPO.`}
Questions: generated 2-3 step arithmetic problems (their own seed); evaluation: held-out generated problems
(dsmath train eval --generated); --max-value N bounds both as train sft --max-value does. Writes DIR/metrics.jsonl, DIR/rl.svg, DIR/checkpoints/step-N.
--fresh-optimizer loads the checkpoint's weights only: AdamW starts from zero moments (the SFT run's second
moments are sized to SFT gradients, far larger than policy gradients, and damp the first ~100 updates);
give it --warmup W steps of linear warmup.
Defaults: --steps 20 --questions 4 --group 8 --mu 1 --lr 1e-5 --temperature 1 --top-p 1 --max-new-tokens 160
--beta 0.04 --clip 0.2 --eval-n 50 --eval-every 0 (start and end only).
`

export function rlCommand(method: RlMethod): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const { values, positionals } = parse(argv, {
      local: { type: 'boolean' }, checkpoint: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, steps: { type: 'string' },
      questions: { type: 'string' }, group: { type: 'string' }, mu: { type: 'string' }, lr: { type: 'string' }, temperature: { type: 'string' },
      'top-p': { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'eval-every': { type: 'string' }, 'eval-n': { type: 'string' },
      'eval-k': { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, worker: { type: 'string' }, tokenizer: { type: 'string' },
      reward: { type: 'string' }, 'reward-model': { type: 'string' }, beta: { type: 'string' }, clip: { type: 'string' }, 'clip-high': { type: 'string' },
      aggregation: { type: 'string' }, 'dynamic-sampling': { type: 'boolean' }, iterations: { type: 'string' }, 'rm-questions': { type: 'string' },
      'rm-samples': { type: 'string' }, 'rm-epochs': { type: 'string' }, 'rm-lr': { type: 'string' }, replay: { type: 'string' },
      'prm-n': { type: 'string' }, 'prm-label': { type: 'string' }, service: { type: 'string' }, 'job-id': { type: 'string' },
      'max-value': { type: 'string' }, 'lr-schedule': { type: 'string' }, warmup: { type: 'string' }, 'fresh-optimizer': { type: 'boolean' },
      'process-credit': { type: 'string' },
    }, RL_USAGE(method))
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
    if (!values.local && !values.service) throw new UsageError(`give --local or --service HOST:PORT (a GrpoService: dsmath grpo serve)`)
    const checkpoint = values.checkpoint as string | undefined
    if (!checkpoint) throw new UsageError('--checkpoint is required (an SFT checkpoint)')
    const reward = (values.reward as string | undefined) ?? 'rule'
    if (!['rule', 'rule-steps', 'orm', 'prm'].includes(reward)) throw new UsageError(`--reward must be rule, rule-steps, orm or prm, got '${reward}'`)
    if (method !== 'grpo' && reward !== 'rule') throw new UsageError(`--reward: ${method} learns from the rule grader only`)
    const aggregation = (values.aggregation as string | undefined) ?? 'sequence-mean'
    if (!['sequence-mean', 'token-mean', 'dr-grpo'].includes(aggregation)) throw new UsageError(`--aggregation must be sequence-mean, token-mean or dr-grpo, got '${aggregation}'`)
    const iterations = intFlag(values, 'iterations', 0, 0)
    const learned = reward === 'orm' || reward === 'prm'
    if (iterations && !learned) throw new UsageError(`--iterations retrains a reward model: give --reward orm or prm, not '${reward}'`)
    if (values.service && reward === 'rule-steps') throw new UsageError('--reward rule-steps: only with --local (the GrpoService config has no such reward yet)')
    if (learned && !iterations && !values['reward-model']) throw new UsageError(`--reward ${reward} needs --reward-model DIR (dsmath reward train-${reward}) or --iterations I`)
    const processCredit = (values['process-credit'] as string | undefined) ?? 'suffix'
    if (processCredit !== 'suffix' && processCredit !== 'step') throw new UsageError(`--process-credit must be suffix or step, got '${processCredit}'`)
    if (values['process-credit'] && reward !== 'rule-steps' && reward !== 'prm') throw new UsageError(`--process-credit applies to process supervision (--reward rule-steps or prm), not '${reward}'`)
    if (values.service && processCredit !== 'suffix') throw new UsageError('--process-credit step: only with --local (the GrpoService config has no such field yet)')
    const prmLabel = (values['prm-label'] as string | undefined) ?? 'soft'
    if (prmLabel !== 'hard' && prmLabel !== 'soft') throw new UsageError(`--prm-label must be hard or soft, got '${prmLabel}'`)
    const cfg: RlConfig = {
      method, reward: reward as RlConfig['reward'], steps: intFlag(values, 'steps', 20, 1), questionsPerStep: intFlag(values, 'questions', 4, 1),
      groupSize: intFlag(values, 'group', 8, 1), mu: intFlag(values, 'mu', 1, 1), clipEps: numFlag(values, 'clip', 0.2, 1e-9),
      ...(values['clip-high'] ? { clipEpsHigh: numFlag(values, 'clip-high', 0.2, 1e-9) } : {}),
      klBeta: method === 'grpo' ? numFlag(values, 'beta', 0.04) : 0, aggregation: aggregation as RlConfig['aggregation'],
      lr: numFlag(values, 'lr', 1e-5), lrSchedule: lrScheduleFlag(values), warmup: intFlag(values, 'warmup', 0, 0), temperature: numFlag(values, 'temperature', 1), topP: numFlag(values, 'top-p', 1),
      maxNewTokens: intFlag(values, 'max-new-tokens', 160, 1), dynamicSampling: Boolean(values['dynamic-sampling']), processCredit, seed: intFlag(values, 'seed', 1),
      evalEvery: intFlag(values, 'eval-every', 0), evalN: intFlag(values, 'eval-n', 50), ...(values['eval-k'] ? { evalK: intFlag(values, 'eval-k', 8, 1) } : {}),
      limits: maxValueFlag(values),
    }
    if (!(cfg.temperature > 0)) throw new UsageError(`--temperature must be > 0 (at 0 every output of a group is the same and there is nothing to learn), got ${cfg.temperature}`)
    if (!(cfg.topP > 0 && cfg.topP <= 1)) throw new UsageError(`--top-p must be in (0, 1], got ${cfg.topP}`)
    if (values.service && cfg.limits?.maxValue !== undefined) throw new UsageError('--max-value: only with --local (the GrpoService config has no such field yet)')
    if (values.service) return rlRemote(method, values, cfg, iterations)
    const tok = await checkpointTokenizer(checkpoint, values.tokenizer as string | undefined)
    const outDir = (values.out as string | undefined) ?? join('out', method, stamp())
    await mkdir(outDir, { recursive: true })
    const metricsPath = join(outDir, 'metrics.jsonl')
    await writeFile(metricsPath, '')
    return withWorker(values, async (w) => {
      const ctx = await context(w, checkpoint, tok, Boolean(values['fresh-optimizer']))
      await copyFile(ctx.tokenizerPath, join(outDir, 'tokenizer.json'))
      const bar = new ProgressBar(cfg.steps * Math.max(1, iterations), method)
      let done = 0
      const hooks = {
        onStep: (m: RlStepMetrics): void => {
          void appendFile(metricsPath, JSON.stringify({ kind: 'step', ...m }) + '\n')
          bar.update(++done, `reward ${m.reward_mean.toFixed(3)} acc ${m.accuracy.toFixed(2)} kl ${m.kl.toFixed(4)}`)
        },
        onEval: (e: object): void => { void appendFile(metricsPath, JSON.stringify({ kind: 'eval', ...e }) + '\n') },
      }
      let summary: RlSummary
      let iterationsOut: unknown = undefined
      if (iterations) {
        const reports = await runIterative(w, ctx, {
          iterations, grpo: cfg, kind: reward as RewardKind, rmQuestions: intFlag(values, 'rm-questions', 16, 1), rmSamples: intFlag(values, 'rm-samples', 4, 1),
          rmEpochs: intFlag(values, 'rm-epochs', 2, 1), rmBatch: 16, rmLr: numFlag(values, 'rm-lr', 1e-4), replayShare: numFlag(values, 'replay', 0.1),
          prmN: intFlag(values, 'prm-n', 4, 1), prmLabel,
        }, hooks)
        const history = reports.flatMap((r, i) => r.grpo.history.map((m) => ({ ...m, step: i * cfg.steps + m.step })))
        const evals = reports.flatMap((r, i) => r.grpo.evals.map((e) => ({ ...e, step: i * cfg.steps + e.step })))
        summary = { ...reports[reports.length - 1].grpo, steps: history.length, samples: reports.reduce((a, r) => a + r.grpo.samples, 0), history, evals }
        iterationsOut = reports.map(({ grpo, ...r }) => ({ ...r, grpo_steps: grpo.steps, evals: grpo.evals }))
      } else {
        if (learned) await loadTrainedRewardModel(w, String(values['reward-model']), { kind: reward, field: '--reward-model' })
        if (cfg.klBeta > 0) await w.resetReference()
        summary = await runRl(w, ctx, cfg, hooks)
      }
      bar.done()
      const ckpt = join(outDir, 'checkpoints', `step-${String(summary.steps).padStart(6, '0')}`)
      await w.saveCheckpoint(ckpt, { kind: `dsmath.${method}`, steps: summary.steps, init_checkpoint: checkpoint, created_at: new Date().toISOString() })
      await writeFile(join(outDir, 'rl.svg'), plotRl(summary, `dsmath train ${method} (${reward}): ${outDir}`))
      const first = summary.evals[0], last = summary.evals[summary.evals.length - 1]
      const out = {
        method, reward, supervision: summary.supervision, steps: summary.steps, samples: summary.samples,
        reward_curve: summary.history.map((m) => +m.reward_mean.toFixed(4)), sample_accuracy_curve: summary.history.map((m) => +m.accuracy.toFixed(4)),
        kl_curve: summary.history.map((m) => +m.kl.toFixed(5)), evals: summary.evals,
        accuracy_before: first?.accuracy ?? null, accuracy_after: last?.accuracy ?? null,
        ...(iterationsOut ? { iterations: iterationsOut } : {}),
        checkpoint: ckpt, metrics: metricsPath, plot: join(outDir, 'rl.svg'), wall_sec: +summary.wall_sec.toFixed(1),
      }
      if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
      else log(`${method}: ${summary.steps} steps, ${summary.samples} samples, held-out greedy accuracy ${first?.accuracy ?? '-'} -> ${last?.accuracy ?? '-'}; checkpoint ${ckpt}`)
      return 0
    })
  }
}

function lrScheduleFlag(values: Record<string, unknown>): 'constant' | 'cosine' {
  const v = (values['lr-schedule'] as string | undefined) ?? 'constant'
  if (v !== 'constant' && v !== 'cosine') throw new UsageError(`--lr-schedule must be constant or cosine, got '${v}'`)
  return v
}

/** dsmath train grpo|rft|online-rft --service: submit a GrpoJobConfig built from the flags and follow its status stream. */
async function rlRemote(method: RlMethod, values: Record<string, unknown>, cfg: RlConfig, iterations: number): Promise<number> {
  const address = String(values.service)
  const token = process.env.DSMATH_AUTH_TOKEN || undefined
  const md = (): grpc.Metadata => { const m = new grpc.Metadata(); if (token) m.set('authorization', `Bearer ${token}`); return m }
  const client = new GrpoServiceClient(address, grpc.credentials.createInsecure())
  const kind = cfg.reward === 'orm' ? PbRewardKind.REWARD_KIND_OUTCOME : cfg.reward === 'prm' ? PbRewardKind.REWARD_KIND_PROCESS : PbRewardKind.REWARD_KIND_UNSPECIFIED
  const config: GrpoJobConfig = {
    common: {
      workers: { addresses: values.worker ? [String(values.worker)] : [], auth_token: '', step_deadline_ms: 0 }, model: undefined,
      init_checkpoint: String(values.checkpoint), optimizer: { lr: cfg.lr, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: undefined, eps: undefined },
      lr_schedule: {
        kind: cfg.lrSchedule === 'cosine' ? LrSchedule_Kind.KIND_COSINE : LrSchedule_Kind.KIND_CONSTANT, peak_lr: cfg.lr, warmup_steps: cfg.warmup ?? 0,
        decay_at: [], decay_factors: [], min_lr_ratio: 0,
      },
      batch_size: cfg.questionsPerStep, seq_len: 0, total_steps: cfg.steps * Math.max(1, iterations), checkpoint_dir: (values.out as string | undefined) ?? '',
      checkpoint_every: 0, seed: cfg.seed, tokenizer: (values.tokenizer as string | undefined) ?? '',
    },
    questions: [], reward_checkpoint: (values['reward-model'] as string | undefined) ?? '', reward_kind: kind, group_size: cfg.groupSize, kl_coef: cfg.klBeta,
    clip_epsilon: cfg.clipEps, updates_per_batch: cfg.mu, max_new_tokens: cfg.maxNewTokens, temperature: cfg.temperature, top_p: cfg.topP,
    reward_refresh_every: iterations ? cfg.steps : 0, dynamic_sampling: cfg.dynamicSampling, aggregation: AGG_ENUM[cfg.aggregation],
    clip_epsilon_high: cfg.clipEpsHigh ?? 0, replay_share: numFlag(values, 'replay', 0.1), method, eval_problems: cfg.evalN,
    fresh_optimizer: Boolean(values['fresh-optimizer']),
  }
  try {
    const submitted = await new Promise<JobStatus>((resolve, reject) => client.submitJob(
      { config, job_id: (values['job-id'] as string | undefined) ?? '' }, md(), { deadline: Date.now() + 60_000 },
      (e, r) => (e ? reject(new Error(`${address}: ${e.details || e.message}`)) : resolve(r.status!)),
    ))
    log(`${method}: job ${submitted.job_id} submitted to ${address}`)
    const bar = new ProgressBar(Number(submitted.total_steps), method)
    const final = await new Promise<JobStatus>((resolve, reject) => {
      let last = submitted
      const stream = client.streamStatus({ job_id: submitted.job_id }, md())
      stream.on('data', (r: { status?: JobStatus }) => {
        last = r.status!
        if (last.step > 0) bar.update(Number(last.step), `reward ${(last.metrics.reward_mean ?? 0).toFixed(3)} kl ${(last.metrics.kl ?? 0).toFixed(4)}`)
      })
      stream.on('error', (e: grpc.ServiceError) => reject(new Error(`${address}: ${e.details || e.message}`)))
      stream.on('end', () => resolve(last))
    })
    bar.done()
    const out = { job_id: final.job_id, state: JobState[final.state], steps: Number(final.step), metrics: final.metrics, checkpoint: final.last_checkpoint, message: final.message }
    if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
    else log(`${method}: job ${out.job_id} ${out.state}: ${out.steps} steps; checkpoint ${out.checkpoint}`)
    return final.state === JobState.JOB_STATE_SUCCEEDED ? 0 : 1
  } finally {
    client.close()
  }
}

const AGG_ENUM = {
  'sequence-mean': LossAggregation.LOSS_AGGREGATION_SEQUENCE_MEAN, 'token-mean': LossAggregation.LOSS_AGGREGATION_TOKEN_MEAN,
  'dr-grpo': LossAggregation.LOSS_AGGREGATION_DR_GRPO,
} as const

// ---- dsmath reward ----

const REWARD_TRAIN_USAGE = (kind: RewardKind): string => `
dsmath reward train-${kind} --local --checkpoint C [--json] [--out DIR] [--questions N] [--samples K] [--epochs E]
        [--batch B] [--lr X] [--max-new-tokens M] [--temperature T] [--seed S]${kind === 'prm' ? ' [--n N] [--label hard|soft]' : ''}
        [--threads T] [--worker HOST:PORT] [--max-value N]
${kind === 'orm' ? `Outcome reward model: K solutions per question sampled from the policy checkpoint C, labelled 1/0 by the
rule grader; a value head on C's architecture (initialised from C) trained to predict the label at the last
token.` : `Process reward model: K solutions per question sampled from C; for each step, --n completions sampled
from the prefix ending with it, labelled Math-Shepherd style (hard: some completion is correct; soft: the share
that is); a value head on C's architecture trained to predict each step's label at the step's last token.`}
A fifth of the questions is held out: the JSON reports the model's accuracy on their labels (score > 0.5 vs
label >= 0.5) before and after training. Writes DIR/reward-model (and its tokenizer.json).
Defaults: --questions 40 --samples 4 --epochs 3 --batch 16 --lr 1e-4 --max-new-tokens 160 --temperature 1${kind === 'prm' ? ' --n 4 --label soft' : ''}.
`

export function rewardTrain(kind: RewardKind): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const { values, positionals } = parse(argv, {
      local: { type: 'boolean' }, checkpoint: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, questions: { type: 'string' },
      samples: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, 'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' }, seed: { type: 'string' }, n: { type: 'string' }, label: { type: 'string' }, threads: { type: 'string' },
      worker: { type: 'string' }, tokenizer: { type: 'string' }, 'max-value': { type: 'string' },
    }, REWARD_TRAIN_USAGE(kind))
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
    if (!values.local) throw new UsageError(`only --local is implemented here (or submit to the RewardService)`)
    const checkpoint = values.checkpoint as string | undefined
    if (!checkpoint) throw new UsageError('--checkpoint is required (a policy checkpoint, e.g. the SFT model)')
    const label = (values.label as string | undefined) ?? 'soft'
    if (label !== 'hard' && label !== 'soft') throw new UsageError(`--label must be hard or soft, got '${label}'`)
    const nq = intFlag(values, 'questions', 40, 2), k = intFlag(values, 'samples', 4, 1), seed = intFlag(values, 'seed', 1)
    const tok = await checkpointTokenizer(checkpoint, values.tokenizer as string | undefined)
    const outDir = (values.out as string | undefined) ?? join('out', `reward-${kind}`, stamp())
    const t0 = performance.now()
    return withWorker(values, async (w) => {
      const ctx = await context(w, checkpoint, tok)
      const sampling = { codec: ctx.codec, eosId: ctx.eosId, maxNewTokens: intFlag(values, 'max-new-tokens', 160, 1), temperature: numFlag(values, 'temperature', 1), topP: 1, maxSeqLen: ctx.maxSeqLen }
      const limits = maxValueFlag(values)
      const qs = Array.from({ length: nq }, (_, i) => rlQuestion(2_000_000 + i, limits))
      const rollouts = (await sampleGroups(w, qs, k, { ...sampling, seed })).flat()
      const examples: RewardExample[] = kind === 'orm' ? ormExamples(rollouts)
        : await prmExamples(w, rollouts, { ...sampling, seed: seed + 1, n: intFlag(values, 'n', 4, 1), label, isNewline: ctx.isNewline })
      const heldQ = new Set(qs.slice(0, Math.max(1, Math.floor(nq / 5))).map((q) => q.id))
      const byQ = rollouts.map((r) => heldQ.has(r.question.id))
      const train = examples.filter((_, i) => !byQ[i]), held = examples.filter((_, i) => byQ[i])
      await w.initRewardModel({ checkpoint: '', optimizer: { lr: numFlag(values, 'lr', 1e-4) }, seed })
      const before = await rewardAccuracy(w, held)
      const bar = new ProgressBar(Math.ceil(train.length / intFlag(values, 'batch', 16, 1)) * intFlag(values, 'epochs', 3, 1), `train-${kind}`)
      const s = await trainRewardModel(w, train, {
        epochs: intFlag(values, 'epochs', 3, 1), batchSize: intFlag(values, 'batch', 16, 1), lr: numFlag(values, 'lr', 1e-4), seed,
        onStep: (st, loss) => bar.update(st, `loss ${loss.toFixed(3)}`),
      })
      bar.done()
      const after = await rewardAccuracy(w, held)
      await mkdir(outDir, { recursive: true })
      const dir = join(outDir, 'reward-model')
      await w.saveRewardModel(dir, { kind, init_checkpoint: checkpoint, examples: train.length, created_at: new Date().toISOString() })
      await copyFile(ctx.tokenizerPath, join(dir, 'tokenizer.json'))
      const labels = examples.flatMap((x) => x.labels)
      const out = {
        kind, init_checkpoint: checkpoint, questions: nq, samples_per_question: k, solutions_correct: rollouts.filter((r) => r.correct).length,
        solutions: rollouts.length, train_examples: train.length, held_out_examples: held.length, all_labels: labels.length,
        label_mean: labels.reduce((a, b) => a + b, 0) / Math.max(1, labels.length), ...s,
        held_out_accuracy_before: before.accuracy, held_out_accuracy_after: after.accuracy, held_out_mae_after: after.mean_abs_error,
        reward_model: dir, wall_sec: +((performance.now() - t0) / 1000).toFixed(1),
      }
      if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
      else log(`reward train-${kind}: ${s.steps} steps, loss ${s.first_loss?.toFixed(3)} -> ${s.last_loss?.toFixed(3)}, held-out accuracy ${before.accuracy.toFixed(3)} -> ${after.accuracy.toFixed(3)}; ${dir}`)
      return 0
    })
  }
}

const SCORE_USAGE = `
dsmath reward score --local --reward-model DIR --jsonl F [--kind orm|prm] [--tokenizer FILE] [--threads T] [--worker HOST:PORT]
Scores responses with a reward model: lines {"id","question","response"} in, {"id","score","step_scores"} out
(score: the reward model at the last token; step_scores: at the last token of each line of the response).
--kind checks that DIR holds that kind of reward model.
`

export async function rewardScore(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    local: { type: 'boolean' }, 'reward-model': { type: 'string' }, jsonl: { type: 'string' }, kind: { type: 'string' },
    tokenizer: { type: 'string' }, threads: { type: 'string' }, worker: { type: 'string' },
  }, SCORE_USAGE)
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
  if (!values.local) throw new UsageError('only --local is implemented here (or the RewardService)')
  const dir = values['reward-model'] as string | undefined
  if (!dir) throw new UsageError('--reward-model is required')
  if (!values.jsonl) throw new UsageError('--jsonl is required')
  const { tokenizer, eosId } = await loadTokenizer((values.tokenizer as string | undefined) ?? join(dir, 'tokenizer.json'))
  const isNewline = newlineTest(tokenizer)
  const lines = (await readFile(String(values.jsonl), 'utf8')).split('\n').filter((l) => l.trim())
  const rows = lines.map((l, i) => {
    let o: Record<string, unknown>
    try { o = JSON.parse(l) as Record<string, unknown> } catch { throw new UsageError(`${String(values.jsonl)}:${i + 1}: not JSON`) }
    if (typeof o !== 'object' || o === null) throw new UsageError(`${String(values.jsonl)}:${i + 1}: not a JSON object`)
    if (typeof o.question !== 'string' || typeof o.response !== 'string') throw new UsageError(`${String(values.jsonl)}:${i + 1}: needs "question" and "response" strings`)
    return { id: o.id === undefined ? String(i + 1) : String(o.id), question: o.question, response: o.response }
  })
  const kind = values.kind as string | undefined
  if (kind !== undefined && kind !== 'orm' && kind !== 'prm') throw new UsageError(`--kind must be orm or prm, got '${kind}'`)
  return withWorker(values, async (w) => {
    await loadTrainedRewardModel(w, dir, { kind, field: '--reward-model' })
    for (const r of rows) {
      const prompt = tokenizer.encode(cotPrompt(r.question))
      const resp = [...tokenizer.encode(r.response), eosId]
      const ends = stepEnds(resp, isNewline)
      const res = await w.rewardScore([{ tokens: [...prompt, ...resp], positions: ends.map((e) => prompt.length + e) }])
      const sc = res.sequences[0].scores
      process.stdout.write(JSON.stringify({ id: r.id, score: sc[sc.length - 1], step_scores: sc }) + '\n')
    }
    return 0
  })
}

// ---- dsmath reward serve / dsmath grpo serve ----

export function rlServe(kind: 'reward' | 'grpo'): (argv: string[]) => Promise<number> {
  const defaultPort = kind === 'reward' ? 50063 : 50064
  const usage = `
dsmath ${kind} serve [--host H] [--port ${defaultPort}] [--state DIR] [--worker-threads T] [--metrics-port P]
gRPC ${kind === 'reward' ? 'RewardService: reward-model training jobs (outcome or process supervision) and Score (rule, ORM, PRM rewards)' : 'GrpoService: GRPO, online RFT and RFT jobs, iterative RL with reward_refresh_every'},
driving a PyTorch worker (the job's common.workers, or one the service starts). Health checking and
reflection; with DSMATH_AUTH_TOKEN set, calls need "authorization: Bearer <token>". State: --state (default .dsmath/${kind}).
`
  return async (argv) => {
    const { values, positionals } = parse(argv, { host: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, 'worker-threads': { type: 'string' }, 'metrics-port': { type: 'string' } }, usage)
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
    const { startRlServer } = await import('../../services/rl/server.ts')
    const metrics = await serveMetrics(values['metrics-port'])
    const host = (values.host as string | undefined) ?? '127.0.0.1'
    const server = await startRlServer(kind, {
      host, port: intFlag(values, 'port', defaultPort), stateDir: (values.state as string | undefined) ?? `.dsmath/${kind}`,
      authToken: process.env.DSMATH_AUTH_TOKEN || undefined, workerThreads: intFlag(values, 'worker-threads', 0),
    })
    log(`${kind} service listening on ${host}:${server.port}`)
    await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve) })
    await server.close()
    await metrics?.close()
    return 0
  }
}
