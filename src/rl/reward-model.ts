// Reward models through the worker: outcome (ORM) and process (PRM) supervision data from sampled solutions,
// training with replay, and scoring for GRPO.
//
// ORM: a sampled solution, labelled 1 or 0 by the rule grader, scored at its last token.
// PRM (Math-Shepherd, Wang et al. 2023): for each step of a sampled solution, N completions are sampled from
// the prefix that ends with that step; the hard label is 1 when some completion reaches the right answer, the
// soft label the share that do. The model is scored at the last token of each step.
import type { ScoredSequence } from '../gen/dsmath/v1/worker.ts'
import { Rng } from '../train/rng.ts'
import { gradeResponse } from '../grade/grade.ts'
import { completionText, newTokenBudget, stepEnds, type Question, type RlWorker, type Rollout, type SamplingOptions } from './rollout.ts'

export type RewardKind = 'orm' | 'prm'
export type PrmLabel = 'hard' | 'soft'

/** One labelled example: question + response tokens, labelled positions. */
export interface RewardExample { tokens: number[]; positions: number[]; labels: number[] }

/** ORM examples: each rollout scored at its last token, labelled by the grader. */
export function ormExamples(rollouts: readonly Rollout[]): RewardExample[] {
  return rollouts.filter((r) => r.tokens.length > 0).map((r) => {
    const tokens = [...r.prompt, ...r.tokens]
    return { tokens, positions: [tokens.length - 1], labels: [r.correct ? 1 : 0] }
  })
}

/** Math-Shepherd's estimate from the completions of one step: hard = some is correct, soft = share correct. */
export function shepherdLabel(correct: readonly boolean[], kind: PrmLabel): number {
  if (!correct.length) throw new Error('shepherdLabel: no completions')
  const c = correct.filter(Boolean).length
  return kind === 'hard' ? (c > 0 ? 1 : 0) : c / correct.length
}

export interface PrmLabelOptions extends SamplingOptions {
  /** Completions sampled from each step's prefix. */
  n: number
  label: PrmLabel
  isNewline(id: number): boolean
}

/**
 * PRM examples from rollouts, labelled Math-Shepherd style. The last step's label is the rollout's own
 * correctness (its completion is itself); earlier steps get the estimate from n completions of their prefix.
 */
export async function prmExamples(w: RlWorker, rollouts: readonly Rollout[], o: PrmLabelOptions): Promise<RewardExample[]> {
  const out: RewardExample[] = []
  // one Generate call for every (rollout, step) prefix: the prefix is the prompt's suffix
  const jobs: { r: number; end: number }[] = []
  const ends = rollouts.map((r) => stepEnds(r.tokens, o.isNewline))
  ends.forEach((es, r) => es.slice(0, -1).forEach((end) => jobs.push({ r, end })))
  const labels = new Map<string, number>()
  const chunk = 32
  for (let s = 0; s < jobs.length; s += chunk) {
    const part = jobs.slice(s, s + chunk)
    const prompts = part.map((j) => [...rollouts[j.r].prompt, ...rollouts[j.r].tokens.slice(0, j.end + 1)])
    const res = await w.generate({
      prompts: prompts.flatMap((p) => Array.from({ length: o.n }, () => ({ tokens: p, loss_mask: [] }))),
      max_new_tokens: newTokenBudget(o, prompts), temperature: o.temperature, top_p: o.topP, seed: o.seed + s, stop_tokens: [o.eosId],
    })
    part.forEach((j, k) => {
      const r = rollouts[j.r]
      const prefixText = completionText(o.codec, o.eosId, r.tokens.slice(0, j.end + 1))
      const correct = res.completions.slice(k * o.n, (k + 1) * o.n).map((c) => gradeResponse(prefixText + completionText(o.codec, o.eosId, c.tokens), r.question.answer).correct)
      labels.set(`${j.r}:${j.end}`, shepherdLabel(correct, o.label))
    })
  }
  rollouts.forEach((r, i) => {
    if (!r.tokens.length) return
    const p = r.prompt.length
    const es = ends[i]
    out.push({
      tokens: [...r.prompt, ...r.tokens],
      positions: es.map((e) => p + e),
      labels: es.map((e, j) => (j === es.length - 1 ? (r.correct ? 1 : 0) : labels.get(`${i}:${e}`)!)),
    })
  })
  return out
}

/**
 * The training set of one iteration of iterative RL: all new examples plus replayed historical ones, so that
 * replayed / (new + replayed) is `replayShare` (the paper: 10%), drawn at random without repetition (all of
 * history when it holds fewer). Returns the mix and the share actually reached.
 */
export function withReplay<T>(fresh: readonly T[], history: readonly T[], replayShare: number, rng: Rng): { data: T[]; replayed: number; share: number } {
  if (replayShare < 0 || replayShare >= 1) throw new Error(`replay share must be in [0, 1), got ${replayShare}`)
  const want = Math.round((fresh.length * replayShare) / (1 - replayShare))
  const idx = history.map((_, i) => i)
  for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]] }
  const replay = idx.slice(0, Math.min(want, history.length)).map((i) => history[i])
  const data = [...fresh, ...replay]
  return { data, replayed: replay.length, share: data.length ? replay.length / data.length : 0 }
}

export interface RewardTrainOptions { epochs: number; batchSize: number; lr: number; seed: number; onStep?(step: number, loss: number, accuracy: number): void }

export interface RewardTrainSummary { steps: number; examples: number; labels: number; first_loss: number | null; last_loss: number | null; last_epoch_accuracy: number | null }

/** Trains the worker's reward model (InitRewardModel first) on examples for some epochs, shuffled per epoch. */
export async function trainRewardModel(w: RlWorker, examples: readonly RewardExample[], o: RewardTrainOptions): Promise<RewardTrainSummary> {
  if (!examples.length) throw new Error('reward model: no training examples')
  const rng = Rng.fromSeed(o.seed, 41)
  let steps = 0, first: number | null = null, last: number | null = null, accSum = 0, accN = 0
  for (let e = 0; e < o.epochs; e++) {
    const order = examples.map((_, i) => i)
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [order[i], order[j]] = [order[j], order[i]] }
    accSum = 0; accN = 0
    for (let s = 0; s < order.length; s += o.batchSize) {
      const batch: ScoredSequence[] = order.slice(s, s + o.batchSize).map((i) => examples[i])
      const r = await w.rewardTrainStep(batch, o.lr)
      steps++
      first ??= r.loss
      last = r.loss
      accSum += r.accuracy * Number(r.labels)
      accN += Number(r.labels)
      o.onStep?.(steps, r.loss, r.accuracy)
    }
  }
  return { steps, examples: examples.length, labels: examples.reduce((a, x) => a + x.labels.length, 0), first_loss: first, last_loss: last, last_epoch_accuracy: accN ? accSum / accN : null }
}

/** Accuracy of the reward model on labelled examples: (score > 0.5) == (label >= 0.5) over all positions. */
export async function rewardAccuracy(w: RlWorker, examples: readonly RewardExample[]): Promise<{ accuracy: number; labels: number; mean_abs_error: number }> {
  let right = 0, n = 0, err = 0
  for (let s = 0; s < examples.length; s += 64) {
    const part = examples.slice(s, s + 64)
    const res = await w.rewardScore(part.map((x) => ({ tokens: x.tokens, positions: x.positions })))
    part.forEach((x, i) => res.sequences[i].scores.forEach((sc, j) => {
      right += Number((sc > 0.5) === (x.labels[j] >= 0.5))
      err += Math.abs(sc - x.labels[j])
      n++
    }))
  }
  return { accuracy: n ? right / n : 0, labels: n, mean_abs_error: n ? err / n : 0 }
}

/** ORM score of each rollout (its last token), or PRM scores of each step (step ends in the completion). */
export async function scoreRollouts(w: RlWorker, rollouts: readonly Rollout[], kind: RewardKind, isNewline: (id: number) => boolean): Promise<{ outcome: number[]; steps: { rewards: number[]; ends: number[] }[] }> {
  const ends = rollouts.map((r) => (kind === 'prm' ? stepEnds(r.tokens, isNewline) : [r.tokens.length - 1]))
  const outcome: number[] = [], steps: { rewards: number[]; ends: number[] }[] = []
  for (let s = 0; s < rollouts.length; s += 64) {
    const part = rollouts.slice(s, s + 64)
    const res = await w.rewardScore(part.map((r, i) => ({ tokens: [...r.prompt, ...r.tokens], positions: ends[s + i].map((e) => r.prompt.length + e) })))
    res.sequences.forEach((sc, i) => {
      outcome.push(sc.scores[sc.scores.length - 1])
      steps.push({ rewards: [...sc.scores], ends: ends[s + i] })
    })
  }
  return { outcome, steps }
}

export type { Question }

/** A checkpoint given as a reward model that is not one (or not of the kind asked for). */
export class NotARewardModelError extends Error {}

/**
 * Loads a trained reward model into the worker for scoring. Refuses a policy checkpoint (its value head would
 * be fresh, its scores noise) and, when `kind` is given, a reward model of the other kind. Errors start with
 * `field` and the path.
 */
export async function loadTrainedRewardModel(w: RlWorker, dir: string, opts: { kind?: string; field: string }): Promise<void> {
  const res = await w.initRewardModel({ checkpoint: dir, optimizer: { lr: 0 }, seed: 0 })
  if (!res.head_loaded) throw new NotARewardModelError(`${opts.field} ${dir}: a policy checkpoint, not a trained reward model (dsmath reward train-orm|train-prm writes one)`)
  const saved = res.client_state_json ? (JSON.parse(res.client_state_json) as { kind?: unknown }).kind : undefined
  if (opts.kind !== undefined && typeof saved === 'string' && saved !== opts.kind) {
    throw new NotARewardModelError(`${opts.field} ${dir}: ${article(saved)} ${saved.toUpperCase()}, not ${article(opts.kind)} ${opts.kind.toUpperCase()}`)
  }
}

const article = (kind: string): string => (kind === 'orm' ? 'an' : 'a')
