// Learning-rate schedules by step (0-based: the rate for the step about to run). MULTI_STEP is the paper's
// pretraining schedule (DeepSeek LLM, used by DeepSeekMath): linear warmup to the peak over warmup_steps,
// then the peak, then 31.6% of it from 80% of the steps on and 10% from 90% on.
export type LrKind = 'constant' | 'multi_step' | 'cosine'

export interface LrScheduleSpec {
  kind: LrKind
  peakLr: number
  warmupSteps: number
  totalSteps: number
  /** Fractions of totalSteps, increasing, in (0, 1). */
  decayAt?: readonly number[]
  /** peakLr * decayFactors[i] from decayAt[i] * totalSteps on. */
  decayFactors?: readonly number[]
  /** Cosine floor as a fraction of peakLr. */
  minLrRatio?: number
}

export const PAPER_DECAY_AT = [0.8, 0.9] as const
export const PAPER_DECAY_FACTORS = [0.316, 0.1] as const

export function learningRate(step: number, s: LrScheduleSpec): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (s.peakLr * (step + 1)) / s.warmupSteps
  if (s.kind === 'constant') return s.peakLr
  if (s.kind === 'cosine') {
    const span = Math.max(1, s.totalSteps - s.warmupSteps)
    const p = Math.min(1, (step - s.warmupSteps) / span)
    const floor = s.minLrRatio ?? 0
    return s.peakLr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p)))
  }
  const at = s.decayAt ?? PAPER_DECAY_AT
  const factors = s.decayFactors ?? PAPER_DECAY_FACTORS
  let lr = s.peakLr
  for (let i = 0; i < at.length; i++) {
    // Compare in steps: step >= ceil-free threshold at[i] * total (e.g. 80 of 100 steps -> steps 80..89).
    if (step >= at[i]! * s.totalSteps - 1e-9) lr = s.peakLr * factors[i]!
  }
  return lr
}

/** Field-path errors for a schedule (empty when valid). */
export function scheduleErrors(s: LrScheduleSpec, path = 'lr_schedule'): string[] {
  const errs: string[] = []
  if (!(s.peakLr > 0) || !Number.isFinite(s.peakLr)) errs.push(`${path}.peak_lr: must be > 0`)
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0) errs.push(`${path}.warmup_steps: must be an integer >= 0`)
  const at = s.decayAt ?? [], f = s.decayFactors ?? []
  if (at.length !== f.length) errs.push(`${path}.decay_factors: must have the same length as decay_at (${at.length})`)
  at.forEach((x, i) => {
    if (!(x > 0 && x < 1)) errs.push(`${path}.decay_at[${i}]: must be in (0, 1)`)
    else if (i > 0 && !(x > at[i - 1]!)) errs.push(`${path}.decay_at[${i}]: must be greater than decay_at[${i - 1}]`)
  })
  f.forEach((x, i) => { if (!(x > 0)) errs.push(`${path}.decay_factors[${i}]: must be > 0`) })
  if (s.minLrRatio !== undefined && !(s.minLrRatio >= 0 && s.minLrRatio <= 1)) errs.push(`${path}.min_lr_ratio: must be in [0, 1]`)
  return errs
}
