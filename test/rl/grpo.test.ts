import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../../src/dedup/minhash.ts'
import {
  clippedSurrogate, gradientCoefficient, grpoLoss, isInformativeGroup, k3, meanStd, outcomeAdvantages, processAdvantages, STD_EPS,
} from '../../src/rl/grpo.ts'

describe('outcome advantages', () => {
  it('are the group-normalised rewards, on every token of each output', () => {
    // rewards 1,0,0,1: mean 0.5, unbiased std sqrt(1/3)
    const adv = outcomeAdvantages([1, 0, 0, 1], [2, 1, 1, 1])
    const a = 0.5 / (Math.sqrt(1 / 3) + STD_EPS)
    expect(adv.map((o) => o.map((x) => Number(x.toFixed(6))))).toEqual([[a, a], [-a], [-a], [a]].map((o) => o.map((x) => Number(x.toFixed(6)))))
    expect(a).toBeCloseTo(0.86588, 4)
  })

  it('are 0 for a group whose rewards are all equal, and unscaled without the std (Dr. GRPO)', () => {
    expect(outcomeAdvantages([1, 1, 1], [1, 2, 1])).toEqual([[0], [0, 0], [0]])
    expect(isInformativeGroup([1, 1, 1])).toBe(false)
    expect(isInformativeGroup([1, 0, 1])).toBe(true)
    expect(outcomeAdvantages([1, 0], [1, 1], { scaleByStd: false })).toEqual([[0.5], [-0.5]])
  })
})

describe('process advantages', () => {
  it('give each token the sum of the normalised rewards of the steps ending at or after it', () => {
    // step rewards of the group 1, 0 (output A) and 0.5 (output B): mean 0.5, std 0.5
    const adv = processAdvantages([{ rewards: [1, 0], ends: [1, 3] }, { rewards: [0.5], ends: [2] }], [4, 3])
    const u = 0.5 / (0.5 + STD_EPS) // one normalised unit
    expect(adv[0].map((x) => Number(x.toFixed(6)))).toEqual([0, 0, -u, -u].map((x) => Number(x.toFixed(6))))
    expect(adv[1]).toEqual([0, 0, 0])
    expect(processAdvantages([{ rewards: [1, 0], ends: [0, 1] }], [2], { scaleByStd: false })).toEqual([[0, -0.5]]) // 0.5 - 0.5, then -0.5
  })

  it("with credit 'step' give each token its own step's normalised reward alone", () => {
    // the same group: normalised step rewards +u, -u (output A) and 0 (output B)
    const adv = processAdvantages([{ rewards: [1, 0], ends: [1, 3] }, { rewards: [0.5], ends: [2] }], [4, 3], { credit: 'step' })
    const u = 0.5 / (0.5 + STD_EPS)
    expect(adv[0].map((x) => Number(x.toFixed(6)))).toEqual([u, u, -u, -u].map((x) => Number(x.toFixed(6))))
    expect(adv[1]).toEqual([0, 0, 0])
    expect(processAdvantages([{ rewards: [1, 0], ends: [0, 1] }], [2], { scaleByStd: false, credit: 'step' })).toEqual([[0.5, -0.5]])
  })

  it('reject step ends that do not increase or run past the output', () => {
    expect(() => processAdvantages([{ rewards: [1, 0], ends: [2, 1] }], [3])).toThrow(/must increase/)
    expect(() => processAdvantages([{ rewards: [1], ends: [5] }], [3])).toThrow(/below its length 3/)
  })
})

describe('k3 estimator', () => {
  it('matches hand-computed values and is never negative', () => {
    expect(k3(-1, -1)).toBe(0)
    expect(k3(Math.log(0.5), Math.log(0.25))).toBeCloseTo(0.5 - Math.log(0.5) - 1, 12) // 0.193147
    const rand = mulberry32(3)
    for (let i = 0; i < 1000; i++) expect(k3(-10 * ((rand() >>> 0) / 2 ** 32), -10 * ((rand() >>> 0) / 2 ** 32))).toBeGreaterThanOrEqual(0)
  })

  it('is unbiased: its mean over tokens sampled from the policy is KL(policy || reference)', () => {
    const policy = [0.5, 0.3, 0.15, 0.05], ref = [0.25, 0.25, 0.25, 0.25]
    const kl = policy.reduce((s, p, i) => s + p * Math.log(p / ref[i]), 0)
    const rand = mulberry32(11)
    const n = 200_000
    let sum = 0, sumSq = 0
    for (let s = 0; s < n; s++) {
      let u = (rand() >>> 0) / 2 ** 32, i = 0
      while (u > policy[i] && i < policy.length - 1) u -= policy[i++]
      const v = k3(Math.log(policy[i]), Math.log(ref[i]))
      sum += v
      sumSq += v * v
    }
    const mean = sum / n, stderr = Math.sqrt((sumSq / n - mean * mean) / n)
    expect(Math.abs(mean - kl)).toBeLessThan(4 * stderr)
    expect(kl).toBeCloseTo(0.2442, 3) // .5 ln 2 + .3 ln 1.2 + .15 ln .6 + .05 ln .2
  })
})

describe('clipped surrogate', () => {
  it('takes the pessimistic side of the clip for either sign of the advantage', () => {
    expect(clippedSurrogate(1.5, 1, 0.2)).toBeCloseTo(1.2, 12)
    expect(clippedSurrogate(0.5, 1, 0.2)).toBeCloseTo(0.5, 12)
    expect(clippedSurrogate(0.5, -1, 0.2)).toBeCloseTo(-0.8, 12)
    expect(clippedSurrogate(1.5, -1, 0.2)).toBeCloseTo(-1.5, 12)
    expect(clippedSurrogate(1.5, 1, 0.2, 0.28)).toBeCloseTo(1.28, 12) // clip-higher
  })
})

describe('GRPO loss aggregation', () => {
  const same = (lengths: number[], v = -1): number[][] => lengths.map((n) => new Array<number>(n).fill(v))
  const base = { logp: same([1, 3]), logpOld: same([1, 3]), logpRef: same([1, 3]), advantages: [[1], [0, 0, 0]], eps: 0.2, beta: 0.04 }

  it('averages per sequence then over the group, per token, or by G x max length', () => {
    expect(grpoLoss({ ...base, aggregation: 'sequence-mean' })).toBeCloseTo(-0.5, 12) // (1/1 + 0/3) / 2
    expect(grpoLoss({ ...base, aggregation: 'token-mean' })).toBeCloseTo(-0.25, 12) // 1 / 4 tokens
    expect(grpoLoss({ ...base, aggregation: 'dr-grpo' })).toBeCloseTo(-1 / 6, 12) // 1 / (2 x 3)
    expect(grpoLoss({ ...base, aggregation: 'dr-grpo', maxLength: 10 })).toBeCloseTo(-1 / 20, 12)
  })

  it('adds beta x k3 for a policy that drifted from the reference', () => {
    const drift = { ...base, logp: [[Math.log(0.5)]], logpOld: [[Math.log(0.5)]], logpRef: [[Math.log(0.25)]], advantages: [[0]] }
    expect(grpoLoss({ ...drift, aggregation: 'sequence-mean' })).toBeCloseTo(0.04 * (0.5 - Math.log(0.5) - 1), 12)
  })
})

describe('gradient coefficients of the unified paradigm', () => {
  it('are 1 for SFT, the correctness indicator for RFT, the advantage for PPO, and A + beta(ref/pi - 1) for GRPO', () => {
    expect(gradientCoefficient({ method: 'sft' })).toBe(1)
    expect(gradientCoefficient({ method: 'rft', correct: true })).toBe(1)
    expect(gradientCoefficient({ method: 'online-rft', correct: false })).toBe(0)
    expect(gradientCoefficient({ method: 'ppo', advantage: -0.7 })).toBe(-0.7)
    expect(gradientCoefficient({ method: 'grpo', advantage: 0.5, beta: 0.04, logpPolicy: Math.log(0.5), logpRef: Math.log(0.25) })).toBeCloseTo(0.48, 12)
    expect(gradientCoefficient({ method: 'dpo', preferred: true, beta: 0.1, logRatioChosen: 1, logRatioRejected: -1 })).toBeCloseTo(1 / (1 + Math.exp(0.2)), 12)
  })

  it('GRPO coefficient is the derivative of its per-token objective in log pi (unclipped, on-policy)', () => {
    const logRef = Math.log(0.3), A = 0.8, beta = 0.04, old = Math.log(0.4)
    const objective = (lp: number): number => -grpoLoss({ logp: [[lp]], logpOld: [[old]], logpRef: [[logRef]], advantages: [[A]], eps: 0.2, beta, aggregation: 'sequence-mean' })
    const h = 1e-6
    const numeric = (objective(old + h) - objective(old - h)) / (2 * h)
    expect(numeric).toBeCloseTo(gradientCoefficient({ method: 'grpo', advantage: A, beta, logpPolicy: old, logpRef: logRef }), 6)
  })
})

describe('meanStd', () => {
  it('uses the unbiased standard deviation', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3) })
  })
})
