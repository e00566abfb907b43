// Group Relative Policy Optimization (DeepSeekMath, section 4.1): the advantages, the KL estimator, the clipped
// objective and its aggregation, in plain TypeScript. The PyTorch worker computes the same loss on tensors (with
// gradients); this module computes the advantages it is given, and is the reference its loss is checked against.
//
// Notation: a group is the G sampled outputs o_1..o_G for one question; o_i has |o_i| tokens; r_i its outcome
// reward; for process supervision, step j of o_i ends at token index(j) and has reward r_i^index(j).

/** Mean and standard deviation (unbiased, as torch.std and TRL) of a list. */
export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const variance = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0
  return { mean, std: Math.sqrt(variance) }
}

/** Added to the standard deviation so that a group whose rewards are all equal gets advantages 0, not NaN. */
export const STD_EPS = 1e-4

export interface AdvantageOptions {
  /** Divide by the group's standard deviation (the paper; Dr. GRPO does not). */
  scaleByStd?: boolean
  /**
   * Process supervision: which steps' normalised rewards a token gets. suffix (the paper): its own step's and
   * every later one's; step: its own step's alone (each step credited for itself, an ablation).
   */
  credit?: ProcessCredit
}

export type ProcessCredit = 'suffix' | 'step'

/**
 * Outcome supervision: every token of o_i gets Â_i,t = (r_i - mean(r)) / std(r), the same for all its tokens.
 * Returns per output one advantage per token.
 */
export function outcomeAdvantages(rewards: number[], lengths: number[], opts: AdvantageOptions = {}): number[][] {
  if (rewards.length !== lengths.length) throw new Error(`rewards (${rewards.length}) and lengths (${lengths.length}) differ in length`)
  const { mean, std } = meanStd(rewards)
  const scale = opts.scaleByStd === false ? 1 : std + STD_EPS
  return rewards.map((r, i) => new Array<number>(lengths[i]).fill((r - mean) / scale))
}

export interface StepRewards {
  /** Reward of each reasoning step of one output. */
  rewards: number[]
  /** Index of the last token of each step (increasing; the last is |o_i| - 1). */
  ends: number[]
}

/**
 * Process supervision: the step rewards of the whole group are normalised together, r̃ = (r - mean(R)) / std(R),
 * and token t of o_i gets the sum of the normalised rewards of the steps that end at or after t:
 * Â_i,t = Σ_{index(j) >= t} r̃_i^index(j). With credit 'step', only its own step's: Â_i,t = r̃_i^index(j) for
 * the first j with index(j) >= t.
 */
export function processAdvantages(steps: StepRewards[], lengths: number[], opts: AdvantageOptions = {}): number[][] {
  if (steps.length !== lengths.length) throw new Error(`steps (${steps.length}) and lengths (${lengths.length}) differ in length`)
  steps.forEach((s, i) => {
    if (s.rewards.length !== s.ends.length) throw new Error(`output ${i}: ${s.rewards.length} step rewards but ${s.ends.length} step ends`)
    if (s.ends.some((e, j) => e >= lengths[i] || (j > 0 && e <= s.ends[j - 1]))) throw new Error(`output ${i}: step ends must increase and stay below its length ${lengths[i]}`)
  })
  const { mean, std } = meanStd(steps.flatMap((s) => s.rewards))
  const scale = opts.scaleByStd === false ? 1 : std + STD_EPS
  return steps.map((s, i) => {
    const normalised = s.rewards.map((r) => (r - mean) / scale)
    const out = new Array<number>(lengths[i]).fill(0)
    let credit = 0
    let j = s.ends.length - 1
    for (let t = lengths[i] - 1; t >= 0; t--) {
      while (j >= 0 && s.ends[j] >= t) credit = (opts.credit === 'step' ? 0 : credit) + normalised[j--]
      out[t] = credit
    }
    return out
  })
}

/**
 * The k3 estimator of KL(π_θ || π_ref) at a sampled token (Schulman 2020): π_ref/π_θ - log(π_ref/π_θ) - 1.
 * Non-negative, and unbiased: its expectation under π_θ is the KL divergence.
 */
export function k3(logpPolicy: number, logpRef: number): number {
  const d = logpRef - logpPolicy
  return Math.exp(d) - d - 1
}

/** min(ρ·Â, clip(ρ, 1-ε_low, 1+ε_high)·Â): the clipped surrogate of one token. */
export function clippedSurrogate(ratio: number, advantage: number, epsLow: number, epsHigh = epsLow): number {
  const clipped = Math.min(Math.max(ratio, 1 - epsLow), 1 + epsHigh)
  return Math.min(ratio * advantage, clipped * advantage)
}

export type LossAggregation = 'sequence-mean' | 'token-mean' | 'dr-grpo'

export interface GrpoLossInput {
  /** Per output, per token: log π_θ, log π_θold (the sampling policy) and log π_ref. */
  logp: number[][]
  logpOld: number[][]
  logpRef: number[][]
  advantages: number[][]
  /** Clip range ε (the paper: 0.2); epsHigh for clip-higher (default ε). */
  eps: number
  epsHigh?: number
  /** KL coefficient β (the paper: 0.04). */
  beta: number
  aggregation: LossAggregation
  /** Dr. GRPO's constant normaliser (the generation budget); default the longest output. */
  maxLength?: number
}

/**
 * The GRPO loss to minimise: -J with J the paper's objective
 *   1/G Σ_i 1/|o_i| Σ_t [ min(ρ Â, clip(ρ) Â) - β k3 ],   ρ = π_θ / π_θold,
 * or with its token-mean (Σ_i Σ_t / Σ_i |o_i|) or Dr. GRPO (Σ_i Σ_t / (G · maxLength)) aggregation.
 */
export function grpoLoss(x: GrpoLossInput): number {
  const perToken = x.logp.map((lp, i) => lp.map((l, t) =>
    clippedSurrogate(Math.exp(l - x.logpOld[i][t]), x.advantages[i][t], x.eps, x.epsHigh) - x.beta * k3(l, x.logpRef[i][t])))
  const G = perToken.length
  let objective: number
  switch (x.aggregation) {
    case 'sequence-mean':
      objective = perToken.reduce((acc, seq) => acc + seq.reduce((a, b) => a + b, 0) / Math.max(1, seq.length), 0) / G
      break
    case 'token-mean': {
      const tokens = perToken.reduce((n, seq) => n + seq.length, 0)
      objective = perToken.flat().reduce((a, b) => a + b, 0) / Math.max(1, tokens)
      break
    }
    case 'dr-grpo': {
      const maxLength = x.maxLength ?? Math.max(1, ...perToken.map((s) => s.length))
      objective = perToken.flat().reduce((a, b) => a + b, 0) / (G * maxLength)
      break
    }
  }
  return -objective
}

/**
 * The unified paradigm (paper, section 5.2.1): every method's gradient is
 *   E[ 1/|o| Σ_t GC(q, o, t) ∇ log π_θ(o_t | q, o_<t) ],
 * and methods differ by their gradient coefficient GC.
 */
export type GcMethod =
  | { method: 'sft' }
  | { method: 'rft' | 'online-rft'; correct: boolean }
  | { method: 'dpo'; preferred: boolean; beta: number; logRatioChosen: number; logRatioRejected: number }
  | { method: 'ppo' | 'grpo'; advantage: number; beta?: number; logpPolicy?: number; logpRef?: number }

export function gradientCoefficient(m: GcMethod): number {
  switch (m.method) {
    case 'sft': return 1
    case 'rft':
    case 'online-rft': return m.correct ? 1 : 0
    case 'dpo': {
      // σ(β log(π_θ(o-)/π_ref(o-)) - β log(π_θ(o+)/π_ref(o+))), positive for the chosen output, negative for the rejected.
      const sigma = 1 / (1 + Math.exp(-(m.beta * m.logRatioRejected - m.beta * m.logRatioChosen)))
      return m.preferred ? sigma : -sigma
    }
    case 'ppo': return m.advantage
    case 'grpo': {
      // Â + β (π_ref/π_θ - 1): the KL term's gradient through k3.
      const kl = m.beta && m.logpPolicy !== undefined && m.logpRef !== undefined ? m.beta * (Math.exp(m.logpRef - m.logpPolicy) - 1) : 0
      return m.advantage + kl
    }
  }
}

/** Dynamic sampling: a group whose rewards are all equal carries no learning signal (all advantages 0). */
export function isInformativeGroup(rewards: number[]): boolean {
  return rewards.some((r) => r !== rewards[0])
}
