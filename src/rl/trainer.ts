// One trainer for the methods that learn from sampled outputs (the unified paradigm, src/rl/paradigm.ts):
// GRPO (outcome or process supervision; rule, ORM or PRM rewards), online RFT and RFT. Each step takes a batch
// of questions, gets G outputs per question from the data source (the current policy, or for RFT samples drawn
// once from the starting model), rewards them, turns rewards into per-token gradient coefficients, and makes μ
// PolicyStep updates on the batch (log π_θold fixed at the sampling policy's). Iterative RL (Algorithm 1 of the
// paper) wraps it: reset the reference, sample, retrain the reward model with 10% replay, run GRPO steps.
import { LossAggregation, type PolicySequence } from '../gen/dsmath/v1/worker.ts'
import { arithmeticProblem, type ArithmeticLimits } from '../train/arithmetic.ts'
import { generatedProblems, runEval } from '../train/eval.ts'
import { Rng } from '../train/rng.ts'
import { learningRate } from '../train/schedule.ts'
import { isInformativeGroup, type ProcessCredit, type StepRewards } from './grpo.ts'
import { policyStepAdvantages, type Sample, type Supervision } from './paradigm.ts'
import {
  ormExamples, prmExamples, scoreRollouts, trainRewardModel, withReplay, type PrmLabel, type RewardExample, type RewardKind, type RewardTrainSummary,
} from './reward-model.ts'
import { completionText, sampleGroups, stepEnds, type Question, type RlWorker, type Rollout, type TextCodec } from './rollout.ts'
import { checkedStepRewards } from './step-check.ts'

/** Seed of the RL question stream: generated 2-3 step problems, apart from SFT's and the held-out evaluation's. */
export const RL_SEED = 0x6e1f0

export function rlQuestion(index: number, limits: ArithmeticLimits = {}): Question {
  const p = arithmeticProblem(RL_SEED, index, 2 + (index % 2), limits)
  return { id: `rl-${index}`, question: p.question, answer: String(p.answer) }
}

export type RlMethod = 'grpo' | 'online-rft' | 'rft'
/** rule: the grader's 1/0 on the final answer; rule-steps: process rewards from checking each step
 * (src/rl/step-check.ts); orm, prm: the worker's reward model. */
export type RewardSource = 'rule' | 'rule-steps' | RewardKind

export interface RlConfig {
  method: RlMethod
  /** GRPO's reward: the rule grader (1/0), or the worker's reward model (ORM score, PRM step scores). */
  reward: RewardSource
  steps: number
  questionsPerStep: number
  groupSize: number
  /** Policy updates per sampled batch (the paper's μ). */
  mu: number
  clipEps: number
  clipEpsHigh?: number
  klBeta: number
  aggregation: 'sequence-mean' | 'token-mean' | 'dr-grpo'
  lr: number
  /** constant (the paper's RL), or cosine from lr down to lr/10 over the run's steps. */
  lrSchedule?: 'constant' | 'cosine'
  /** Steps of linear warmup from lr/warmup to lr before the schedule (0: none). */
  warmup?: number
  /** cosine's floor as a fraction of lr (default 0.1). */
  minLrRatio?: number
  temperature: number
  topP: number
  maxNewTokens: number
  /** GRPO: drop groups whose rewards are all equal (no learning signal). */
  dynamicSampling: boolean
  /** Process supervision: suffix sums of step rewards (the paper) or each step's own; with rule-steps, 'step'
   * also judges each step on its own equations. */
  processCredit?: ProcessCredit
  seed: number
  /** Greedy accuracy on evalN held-out problems every evalEvery steps (0: only at start and end), maj@k/pass@k with evalK. */
  evalEvery: number
  evalN: number
  evalK?: number
  /** First index in the RL question stream (iterative RL moves it on). */
  questionOffset?: number
  /** The question stream; default the generated one (rlQuestion). */
  question?: (index: number) => Question
  /** Bounds of the generated questions and held-out problems (train sft --max-value). */
  limits?: ArithmeticLimits
}

export interface RlContext { codec: TextCodec; eosId: number; maxSeqLen: number; isNewline(id: number): boolean }

export interface RlStepMetrics {
  step: number; reward_mean: number; accuracy: number; kl: number; loss: number; clip_fraction: number
  /** The scheduled learning rate of this step's policy updates. */
  learning_rate: number
  response_length: number; groups: number; groups_kept: number; sequences: number; step_ms: number
  /** No update: every coefficient of the batch was 0. */
  skipped?: boolean
}

export interface RlEval { step: number; accuracy: number; correct: number; n: number; maj_at_k?: number; pass_at_k?: number; k?: number }

export interface RlSummary {
  method: RlMethod; reward: RewardSource; supervision: Supervision; steps: number; samples: number
  history: RlStepMetrics[]; evals: RlEval[]; wall_sec: number
}

export interface RlHooks { onStep?(m: RlStepMetrics): void; onEval?(e: RlEval): void; shouldStop?(): boolean }

/** The learning rate of step `step` (0-based) of `steps`. */
export function rlLearningRate(cfg: Pick<RlConfig, 'lr' | 'lrSchedule' | 'warmup' | 'minLrRatio'>, step: number, steps: number): number {
  // totalSteps steps - 1: the cosine reaches its floor on the run's last step, not one past it
  return learningRate(step, { kind: cfg.lrSchedule ?? 'constant', peakLr: cfg.lr, warmupSteps: cfg.warmup ?? 0, totalSteps: steps - 1, minLrRatio: cfg.minLrRatio ?? 0.1 })
}

const AGG = {
  'sequence-mean': LossAggregation.LOSS_AGGREGATION_SEQUENCE_MEAN,
  'token-mean': LossAggregation.LOSS_AGGREGATION_TOKEN_MEAN,
  'dr-grpo': LossAggregation.LOSS_AGGREGATION_DR_GRPO,
} as const

export async function evaluate(w: RlWorker, ctx: RlContext, cfg: Pick<RlConfig, 'evalN' | 'evalK' | 'maxNewTokens' | 'seed' | 'limits'>, step: number): Promise<RlEval> {
  const s = await runEval(w.conn, generatedProblems(cfg.evalN, cfg.limits), {
    tokenizer: ctx.codec, eosId: ctx.eosId, maxNewTokens: cfg.maxNewTokens, seed: cfg.seed, ...(cfg.evalK ? { k: cfg.evalK } : {}),
  })
  return { step, accuracy: s.accuracy, correct: s.correct, n: s.n, ...(cfg.evalK ? { k: cfg.evalK, maj_at_k: s.maj_at_k, pass_at_k: s.pass_at_k } : {}) }
}

/** Rewards of one group as paradigm Samples (outcome reward and, for rule-steps and PRM, step rewards). */
async function rewardGroups(w: RlWorker, ctx: RlContext, groups: Rollout[][], reward: RewardSource, credit: ProcessCredit = 'suffix'): Promise<Sample[][]> {
  if (reward === 'rule') return groups.map((g) => g.map((r) => ({ length: r.tokens.length, reward: r.correct ? 1 : 0, correct: r.correct })))
  if (reward === 'rule-steps') {
    return groups.map((g) => g.map((r) => {
      const ends = stepEnds(r.tokens, ctx.isNewline)
      const texts = ends.map((e, j) => completionText(ctx.codec, ctx.eosId, r.tokens.slice(j ? ends[j - 1] + 1 : 0, e + 1)))
      return { length: r.tokens.length, reward: r.correct ? 1 : 0, correct: r.correct, steps: { rewards: checkedStepRewards(texts, r.correct, { cumulative: credit !== 'step' }), ends } }
    }))
  }
  const flat = groups.flat()
  const scored = await scoreRollouts(w, flat, reward, ctx.isNewline)
  let k = 0
  return groups.map((g) => g.map((r) => {
    const i = k++
    const s: Sample = { length: r.tokens.length, reward: scored.outcome[i], correct: r.correct }
    if (reward === 'prm') s.steps = scored.steps[i] as StepRewards
    return s
  }))
}

/** The RL loop: `cfg.steps` steps of sampling, rewards, coefficients and μ PolicySteps. */
export async function runRl(w: RlWorker, ctx: RlContext, cfg: RlConfig, hooks: RlHooks = {}): Promise<RlSummary> {
  const t0 = performance.now()
  const supervision: Supervision = cfg.reward === 'prm' || cfg.reward === 'rule-steps' ? 'process' : 'outcome'
  if (cfg.method !== 'grpo' && cfg.reward !== 'rule') throw new Error(`${cfg.method} learns from the rule grader's correctness (reward 'rule'), got '${cfg.reward}'`)
  const offset = cfg.questionOffset ?? 0
  const questionsAt = (step: number): Question[] => Array.from({ length: cfg.questionsPerStep }, (_, i) => (cfg.question ?? ((j: number) => rlQuestion(j, cfg.limits)))(offset + step * cfg.questionsPerStep + i))
  const sampling = { codec: ctx.codec, eosId: ctx.eosId, maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, topP: cfg.topP, maxSeqLen: ctx.maxSeqLen }
  const history: RlStepMetrics[] = [], evals: RlEval[] = []
  const doEval = async (step: number): Promise<void> => {
    if (!cfg.evalN) return
    const e = await evaluate(w, ctx, cfg, step)
    evals.push(e)
    hooks.onEval?.(e)
  }
  // RFT's data source: outputs of the starting (SFT) model, drawn once for every step's questions
  let offline: Rollout[][][] | null = null
  if (cfg.method === 'rft') {
    offline = []
    for (let step = 0; step < cfg.steps; step++) offline.push(await sampleGroups(w, questionsAt(step), cfg.groupSize, { ...sampling, seed: cfg.seed * 1_000_003 + step }))
  }
  await doEval(0)
  let samples = 0
  for (let step = 0; step < cfg.steps; step++) {
    if (hooks.shouldStop?.()) break
    const s0 = performance.now()
    const groups = offline ? offline[step] : await sampleGroups(w, questionsAt(step), cfg.groupSize, { ...sampling, seed: cfg.seed * 1_000_003 + step })
    samples += groups.reduce((a, g) => a + g.length, 0)
    const rewarded = await rewardGroups(w, ctx, groups, cfg.reward, cfg.processCredit)
    const seqs: { r: Rollout; adv: number[] }[] = []
    let kept = 0
    groups.forEach((g, gi) => {
      const smp = rewarded[gi]
      if (cfg.method === 'grpo') {
        const signal = supervision === 'process' ? smp.flatMap((s) => s.steps!.rewards) : smp.map((s) => s.reward!)
        if (cfg.dynamicSampling && !isInformativeGroup(signal)) return
        const adv = policyStepAdvantages('grpo', smp, supervision, cfg.processCredit)
        g.forEach((r, i) => seqs.push({ r, adv: adv[i] }))
      } else {
        // RFT / online RFT: GC = I(o); a wrong output has coefficient 0 everywhere and no gradient, so only the
        // correct ones are sent (the same update as SFT on the correct samples)
        const adv = policyStepAdvantages(cfg.method, smp)
        g.forEach((r, i) => { if (smp[i].correct) seqs.push({ r, adv: adv[i] }) })
      }
      kept++
    })
    const flat = rewarded.flat()
    const m: RlStepMetrics = {
      step: step + 1, reward_mean: flat.reduce((a, s) => a + (s.reward ?? 0), 0) / flat.length,
      accuracy: flat.filter((s) => s.correct).length / flat.length, kl: 0, loss: 0, clip_fraction: 0, learning_rate: rlLearningRate(cfg, step, cfg.steps),
      response_length: flat.reduce((a, s) => a + s.length, 0) / flat.length, groups: groups.length, groups_kept: kept, sequences: seqs.length, step_ms: 0,
    }
    // A batch whose coefficients are all 0 carries no reward signal; its only gradient would be float noise
    // (and the KL term's, which is 0 at π = π_ref), which AdamW would scale up to a full-size step. Skip it.
    m.skipped = !seqs.some((x) => x.adv.some((a) => a !== 0))
    if (!m.skipped) {
      const full = seqs.map((x) => [...x.r.prompt, ...x.r.tokens])
      const sliceCompletion = (lp: number[], i: number): number[] => lp.slice(seqs[i].r.prompt.length - 1)
      const ref = cfg.klBeta > 0 ? (await w.logProbs(full, true)).sequences.map((s, i) => sliceCompletion(s.logprobs, i)) : null
      // π_θold: the sampling policy's log-probs; for RFT's offline samples the current policy's (ratio 1)
      const old = offline ? (await w.logProbs(full)).sequences.map((s, i) => sliceCompletion(s.logprobs, i)) : seqs.map((x) => x.r.logprobs)
      const sequences: PolicySequence[] = seqs.map((x, i) => ({
        tokens: full[i], prompt_length: x.r.prompt.length, advantages: x.adv, old_logprobs: old[i], ref_logprobs: ref ? ref[i] : [],
      }))
      for (let u = 0; u < cfg.mu; u++) {
        const r = await w.policyStep({
          sequences, clip_eps: cfg.clipEps, ...(cfg.clipEpsHigh ? { clip_eps_high: cfg.clipEpsHigh } : {}), kl_beta: cfg.klBeta,
          aggregation: AGG[cfg.aggregation], max_length: cfg.aggregation === 'dr-grpo' ? cfg.maxNewTokens : 0, learning_rate: m.learning_rate,
        })
        if (u === 0) { m.loss = r.loss; m.kl = r.kl }
        m.clip_fraction = r.clip_fraction
      }
    }
    m.step_ms = performance.now() - s0
    history.push(m)
    hooks.onStep?.(m)
    if (cfg.evalEvery && (step + 1) % cfg.evalEvery === 0 && step + 1 < cfg.steps) await doEval(step + 1)
  }
  if (history.length) await doEval(history.length)
  return { method: cfg.method, reward: cfg.reward, supervision, steps: history.length, samples, history, evals, wall_sec: (performance.now() - t0) / 1000 }
}

// ---- iterative RL (Algorithm 1) ----

export interface IterativeConfig {
  iterations: number
  /** GRPO steps per iteration (cfg.steps is ignored). */
  grpo: RlConfig
  kind: RewardKind
  /** Questions and samples per question drawn at the start of each iteration to (re)train the reward model. */
  rmQuestions: number
  rmSamples: number
  rmEpochs: number
  rmBatch: number
  rmLr: number
  /** Share of each iteration's reward-model training set replayed from earlier iterations (the paper: 0.1). */
  replayShare: number
  /** PRM labels: completions per step and hard or soft estimates. */
  prmN: number
  prmLabel: PrmLabel
}

export interface IterationReport {
  iteration: number; reference_step: number; new_examples: number; replayed: number; replay_share: number
  reward_model: RewardTrainSummary; grpo: RlSummary
}

export interface IterativeHooks extends RlHooks { afterReset?(iteration: number): Promise<void> | void }

export async function runIterative(w: RlWorker, ctx: RlContext, cfg: IterativeConfig, hooks: IterativeHooks = {}): Promise<IterationReport[]> {
  const history: RewardExample[] = []
  const reports: IterationReport[] = []
  const rng = Rng.fromSeed(cfg.grpo.seed, 77)
  let questionOffset = 1_000_000 // the reward model's questions: apart from the GRPO steps'
  for (let it = 0; it < cfg.iterations; it++) {
    const ref = await w.resetReference() // π_ref <- π_θ
    await hooks.afterReset?.(it)
    if (it === 0) await w.initRewardModel({ checkpoint: '', optimizer: { lr: cfg.rmLr }, seed: cfg.grpo.seed }) // from the starting policy
    const qs = Array.from({ length: cfg.rmQuestions }, (_, i) => (cfg.grpo.question ?? ((j: number) => rlQuestion(j, cfg.grpo.limits)))(questionOffset + i))
    questionOffset += cfg.rmQuestions
    const sampling = { codec: ctx.codec, eosId: ctx.eosId, maxNewTokens: cfg.grpo.maxNewTokens, temperature: cfg.grpo.temperature, topP: cfg.grpo.topP, maxSeqLen: ctx.maxSeqLen }
    const rollouts = (await sampleGroups(w, qs, cfg.rmSamples, { ...sampling, seed: cfg.grpo.seed * 7919 + it })).flat()
    const fresh = cfg.kind === 'orm' ? ormExamples(rollouts) : await prmExamples(w, rollouts, { ...sampling, seed: cfg.grpo.seed * 104_729 + it, n: cfg.prmN, label: cfg.prmLabel, isNewline: ctx.isNewline })
    const mix = withReplay(fresh, history, cfg.replayShare, rng)
    const rm = await trainRewardModel(w, mix.data, { epochs: cfg.rmEpochs, batchSize: cfg.rmBatch, lr: cfg.rmLr, seed: cfg.grpo.seed + it })
    history.push(...fresh)
    const grpo = await runRl(w, ctx, { ...cfg.grpo, method: 'grpo', reward: cfg.kind, questionOffset: (cfg.grpo.questionOffset ?? 0) + it * cfg.grpo.steps * cfg.grpo.questionsPerStep }, hooks)
    reports.push({ iteration: it + 1, reference_step: Number(ref.step), new_examples: fresh.length, replayed: mix.replayed, replay_share: mix.share, reward_model: rm, grpo })
  }
  return reports
}
