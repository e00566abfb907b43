// The unified paradigm of DeepSeekMath (section 5.2.1, appendix A.1): every training method's gradient is
//
//   ∇θ J_A(θ) = E_{(q,o) ~ D} [ 1/|o| Σ_t GC_A(q, o, t, π_rf) ∇θ log π_θ(o_t | q, o_<t) ]
//
// and a method A is three choices: the data source D (where q and o come from), the reward function π_rf
// (nothing, the rule grader, a reward model), and the gradient coefficient GC_A. This module writes SFT, RFT,
// online RFT, DPO, PPO and GRPO that way. Per output it returns one coefficient per token: the `advantages` a
// PolicyStep sends to the worker. For an on-policy step (ratio 1, no clipping) the worker's loss gradient is
// exactly 1/|o| Σ_t advantage_t ∇ log π, so one trainer (src/rl/trainer.ts) runs every method.
import { gradientCoefficient, outcomeAdvantages, processAdvantages, type ProcessCredit, type StepRewards } from './grpo.ts'

export type Method = 'sft' | 'rft' | 'online-rft' | 'dpo' | 'ppo' | 'grpo'

/** Where (q, o) come from. */
export type DataSource =
  /** q and the reference solution o from the SFT dataset. */
  | 'sft-dataset'
  /** q from the SFT dataset, o sampled once from the SFT model π_sft (offline, before training). */
  | 'sft-model-samples'
  /** q from the SFT dataset, o sampled from the policy π_θ being trained (online). */
  | 'policy-samples'

/** What scores an output: nothing (SFT), the rule grader's correctness, or a reward model (ORM/PRM). */
export type RewardFunction = 'none' | 'rule' | 'model'

export interface Paradigm {
  method: Method
  data: DataSource
  reward: RewardFunction
  /** Whether the KL to the reference is part of the objective (GRPO: in the loss; PPO: in the reward). */
  kl: 'none' | 'loss' | 'reward'
}

/** The paper's Table 10 (appendix A.1), one row per method. DPO's pairs are sampled from π_sft (offline). */
export const PARADIGMS: Record<Method, Paradigm> = {
  'sft': { method: 'sft', data: 'sft-dataset', reward: 'none', kl: 'none' },
  'rft': { method: 'rft', data: 'sft-model-samples', reward: 'rule', kl: 'none' },
  'online-rft': { method: 'online-rft', data: 'policy-samples', reward: 'rule', kl: 'none' },
  'dpo': { method: 'dpo', data: 'sft-model-samples', reward: 'rule', kl: 'none' },
  'ppo': { method: 'ppo', data: 'policy-samples', reward: 'model', kl: 'reward' },
  'grpo': { method: 'grpo', data: 'policy-samples', reward: 'model', kl: 'loss' },
}

/** One sampled output of a group: its length and what the reward function said about it. */
export interface Sample {
  length: number
  /** Outcome reward (rule: 1 correct, 0 wrong; ORM: its score). */
  reward?: number
  /** Rule correctness, when known (RFT's indicator). */
  correct?: boolean
  /** Per-step rewards for process supervision. */
  steps?: StepRewards
}

// ---- SFT, RFT, online RFT: GC = 1, or the correctness indicator ----

/** SFT: every token of the reference solution has coefficient 1. */
export function sftCoefficients(lengths: number[]): number[][] {
  return lengths.map((n) => new Array<number>(n).fill(gradientCoefficient({ method: 'sft' })))
}

/**
 * RFT and online RFT: GC = I(o), 1 on every token of a correct output and 0 on a wrong one. The two differ only
 * in their data source (π_sft samples drawn once vs π_θ samples drawn at every step).
 */
export function rftCoefficients(samples: Sample[], method: 'rft' | 'online-rft' = 'rft'): number[][] {
  return samples.map((s, i) => {
    const correct = s.correct ?? (s.reward === undefined ? undefined : s.reward > 0)
    if (correct === undefined) throw new Error(`sample ${i}: RFT needs correctness (or a reward)`)
    return new Array<number>(s.length).fill(gradientCoefficient({ method, correct }))
  })
}

// ---- DPO: a pair (o+, o-) of one question ----

export interface DpoPair {
  /** log π_θ(o) - log π_ref(o), summed over the output's tokens, for the chosen and the rejected output. */
  logRatioChosen: number
  logRatioRejected: number
  lengthChosen: number
  lengthRejected: number
}

/**
 * DPO as the paper writes it: GC(o+) = σ(β log π_θ(o-)/π_ref(o-) - β log π_θ(o+)/π_ref(o+)) on every token of
 * o+, and minus that on every token of o-. (The true gradient of DPO's loss carries a further factor β; the paper
 * folds it into the learning rate. test/rl/paradigm.test.ts checks both statements against finite differences.)
 */
export function dpoCoefficients(pair: DpoPair, beta: number): { chosen: number[]; rejected: number[] } {
  const m = { beta, logRatioChosen: pair.logRatioChosen, logRatioRejected: pair.logRatioRejected }
  return {
    chosen: new Array<number>(pair.lengthChosen).fill(gradientCoefficient({ method: 'dpo', preferred: true, ...m })),
    rejected: new Array<number>(pair.lengthRejected).fill(gradientCoefficient({ method: 'dpo', preferred: false, ...m })),
  }
}

/** DPO's loss of one pair, -log σ(β (logRatioChosen - logRatioRejected)); its gradient is β·GC·∇ log π. */
export function dpoLoss(pair: Pick<DpoPair, 'logRatioChosen' | 'logRatioRejected'>, beta: number): number {
  const z = beta * (pair.logRatioChosen - pair.logRatioRejected)
  return Math.log1p(Math.exp(-z))
}

// ---- PPO: GC = A_t from GAE over per-token rewards and a value model ----

/**
 * PPO's per-token reward (paper, eq. 2's setting): r_t = -β log(π_θ(o_t)/π_ref(o_t)) on every token, plus the
 * reward model's score r_φ(q, o) on the last one.
 */
export function ppoTokenRewards(score: number, logpPolicy: number[], logpRef: number[], beta: number): number[] {
  return logpPolicy.map((lp, t) => -beta * (lp - logpRef[t]) + (t === logpPolicy.length - 1 ? score : 0))
}

/**
 * Generalized Advantage Estimation: δ_t = r_t + γ V_{t+1} - V_t (V after the last token is 0),
 * A_t = Σ_l (γλ)^l δ_{t+l}. PPO's gradient coefficient is A_t.
 */
export function gaeAdvantages(rewards: number[], values: number[], gamma = 1, lambda = 1): number[] {
  if (rewards.length !== values.length) throw new Error(`rewards (${rewards.length}) and values (${values.length}) differ in length`)
  const out = new Array<number>(rewards.length).fill(0)
  let acc = 0
  for (let t = rewards.length - 1; t >= 0; t--) {
    const next = t + 1 < values.length ? values[t + 1] : 0
    const delta = rewards[t] + gamma * next - values[t]
    acc = delta + gamma * lambda * acc
    out[t] = gradientCoefficient({ method: 'ppo', advantage: acc })
  }
  return out
}

// ---- GRPO: GC = Â_{i,t} + β (π_ref/π_θ - 1) ----

export type Supervision = 'outcome' | 'process'

/**
 * GRPO's group-relative advantages Â (outcome: normalised rewards on every token; process: sums of normalised
 * step rewards from each token's step on). This is the part of GC that PolicyStep is sent; the KL part
 * β (π_ref/π_θ - 1) comes from the k3 term of the worker's loss.
 */
export function grpoAdvantages(samples: Sample[], supervision: Supervision, credit: ProcessCredit = 'suffix'): number[][] {
  const lengths = samples.map((s) => s.length)
  if (supervision === 'process') {
    return processAdvantages(samples.map((s, i) => {
      if (!s.steps) throw new Error(`sample ${i}: process supervision needs step rewards`)
      return s.steps
    }), lengths, { credit })
  }
  return outcomeAdvantages(samples.map((s, i) => {
    if (s.reward === undefined) throw new Error(`sample ${i}: outcome supervision needs a reward`)
    return s.reward
  }), lengths)
}

/** GRPO's full gradient coefficient per token, with the KL part: Â_{i,t} + β (π_ref(o_t)/π_θ(o_t) - 1). */
export function grpoCoefficients(samples: Sample[], supervision: Supervision, beta: number, logpPolicy: number[][], logpRef: number[][]): number[][] {
  return grpoAdvantages(samples, supervision).map((adv, i) => adv.map((a, t) =>
    gradientCoefficient({ method: 'grpo', advantage: a, beta, logpPolicy: logpPolicy[i][t], logpRef: logpRef[i][t] })))
}

/**
 * The coefficients the trainer sends as PolicyStep advantages for a group of samples of one question, for the
 * methods that learn from sampled groups (RFT, online RFT, GRPO). The KL part of GRPO is the worker's.
 */
export function policyStepAdvantages(method: 'rft' | 'online-rft' | 'grpo', samples: Sample[], supervision: Supervision = 'outcome', credit: ProcessCredit = 'suffix'): number[][] {
  return method === 'grpo' ? grpoAdvantages(samples, supervision, credit) : rftCoefficients(samples, method)
}
