import { describe, expect, it } from 'vitest'
import { grpoLoss, STD_EPS } from '../../src/rl/grpo.ts'
import {
  dpoCoefficients, dpoLoss, gaeAdvantages, grpoAdvantages, grpoCoefficients, PARADIGMS, policyStepAdvantages, ppoTokenRewards,
  rftCoefficients, sftCoefficients,
} from '../../src/rl/paradigm.ts'

const round = (xs: number[][]): number[][] => xs.map((o) => o.map((x) => Number(x.toFixed(9))))

describe('unified paradigm: data source, reward function, gradient coefficient', () => {
  it('RFT and online RFT differ only in their data source; GRPO and PPO in where the KL goes', () => {
    const { data: d1, ...rft } = PARADIGMS.rft
    const { data: d2, ...online } = PARADIGMS['online-rft']
    expect([d1, d2]).toEqual(['sft-model-samples', 'policy-samples'])
    expect({ ...rft, method: '' }).toEqual({ ...online, method: '' })
    expect([PARADIGMS.grpo.kl, PARADIGMS.ppo.kl, PARADIGMS.sft.reward]).toEqual(['loss', 'reward', 'none'])
  })

  it('SFT: coefficient 1 on every token', () => {
    expect(sftCoefficients([2, 1])).toEqual([[1, 1], [1]])
  })

  it('RFT / online RFT: the correctness indicator on every token (from correct, or from reward > 0)', () => {
    expect(rftCoefficients([{ length: 2, correct: true }, { length: 3, correct: false }])).toEqual([[1, 1], [0, 0, 0]])
    expect(rftCoefficients([{ length: 1, reward: 1 }, { length: 2, reward: 0 }], 'online-rft')).toEqual([[1], [0, 0]])
    expect(() => rftCoefficients([{ length: 1 }])).toThrow(/correctness/)
  })

  it('DPO: +σ(β lr- − β lr+) on the chosen tokens, minus it on the rejected', () => {
    // β 0.5, log ratios +1 (chosen) and -1 (rejected): σ(0.5·(-1) − 0.5·1) = σ(-1) = 0.268941...
    const gc = dpoCoefficients({ logRatioChosen: 1, logRatioRejected: -1, lengthChosen: 2, lengthRejected: 1 }, 0.5)
    expect(gc.chosen[0]).toBeCloseTo(0.2689414214, 9)
    expect(gc.chosen).toHaveLength(2)
    expect(gc.rejected[0]).toBeCloseTo(-0.2689414214, 9)
    // an undecided pair (equal log ratios) has coefficient 1/2
    expect(dpoCoefficients({ logRatioChosen: 0.3, logRatioRejected: 0.3, lengthChosen: 1, lengthRejected: 1 }, 2).chosen[0]).toBeCloseTo(0.5, 12)
  })

  it('DPO: the coefficient times β is the gradient of -loss in the chosen (and minus in the rejected) log-probability', () => {
    const beta = 0.5, pair = { logRatioChosen: 0.4, logRatioRejected: -0.2 }, h = 1e-6
    const gc = dpoCoefficients({ ...pair, lengthChosen: 1, lengthRejected: 1 }, beta)
    const dChosen = -(dpoLoss({ ...pair, logRatioChosen: pair.logRatioChosen + h }, beta) - dpoLoss({ ...pair, logRatioChosen: pair.logRatioChosen - h }, beta)) / (2 * h)
    const dRejected = -(dpoLoss({ ...pair, logRatioRejected: pair.logRatioRejected + h }, beta) - dpoLoss({ ...pair, logRatioRejected: pair.logRatioRejected - h }, beta)) / (2 * h)
    expect(dChosen).toBeCloseTo(beta * gc.chosen[0], 8)
    expect(dRejected).toBeCloseTo(beta * gc.rejected[0], 8)
  })

  it('PPO: per-token rewards carry -β log(π/π_ref) and the score on the last token', () => {
    const r = ppoTokenRewards(1, [Math.log(0.5), Math.log(0.25)], [Math.log(0.25), Math.log(0.25)], 0.1)
    expect(r[0]).toBeCloseTo(-0.1 * Math.log(2), 12) // -0.0693...
    expect(r[1]).toBeCloseTo(1, 12)
  })

  it('PPO: GAE advantages, hand-computed for λ = 1 and λ = 0.5', () => {
    // rewards 0, 0, 1; values 0.5, 0.6, 0.8; γ 1. δ = 0.1, 0.2, 0.2.
    const a1 = gaeAdvantages([0, 0, 1], [0.5, 0.6, 0.8], 1, 1) // λ 1: A_t = return − V_t = 0.5, 0.4, 0.2
    expect(a1.map((x) => Number(x.toFixed(12)))).toEqual([0.5, 0.4, 0.2])
    const a2 = gaeAdvantages([0, 0, 1], [0.5, 0.6, 0.8], 1, 0.5) // A2 0.2, A1 0.2 + 0.5·0.2 = 0.3, A0 0.1 + 0.5·0.3 = 0.25
    expect(a2.map((x) => Number(x.toFixed(12)))).toEqual([0.25, 0.3, 0.2])
    const a3 = gaeAdvantages([1], [0.25], 0.9, 0.95) // one token: δ = 1 − 0.25
    expect(a3[0]).toBeCloseTo(0.75, 12)
  })

  it('GRPO outcome: Â = (r − mean) / std on every token, plus β(π_ref/π − 1) for the full coefficient', () => {
    // rewards 1, 0, 0, 0: mean 0.25, unbiased std sqrt(0.75 / 3) = 0.5
    const samples = [{ length: 2, reward: 1 }, { length: 1, reward: 0 }, { length: 1, reward: 0 }, { length: 1, reward: 0 }]
    const hi = 0.75 / (0.5 + STD_EPS), lo = -0.25 / (0.5 + STD_EPS)
    expect(round(grpoAdvantages(samples, 'outcome'))).toEqual(round([[hi, hi], [lo], [lo], [lo]]))
    const lp = samples.map((s) => new Array<number>(s.length).fill(Math.log(0.5)))
    const ref = samples.map((s) => new Array<number>(s.length).fill(Math.log(0.25)))
    const gc = grpoCoefficients(samples, 'outcome', 0.04, lp, ref) // KL part 0.04 · (0.5 − 1) = −0.02
    expect(gc[0][1]).toBeCloseTo(hi - 0.02, 9)
    expect(gc[3][0]).toBeCloseTo(lo - 0.02, 9)
  })

  it('GRPO process: each token gets the sum of the normalised step rewards from its step on', () => {
    // step rewards 1, 0 (output A, steps end at tokens 0 and 2) and 1 (output B): mean 2/3, std sqrt(1/3)
    const samples = [{ length: 3, steps: { rewards: [1, 0], ends: [0, 2] } }, { length: 2, steps: { rewards: [1], ends: [1] } }]
    const s = Math.sqrt(1 / 3) + STD_EPS, p = (1 / 3) / s, n = (-2 / 3) / s
    expect(round(grpoAdvantages(samples, 'process'))).toEqual(round([[p + n, n, n], [p, p]]))
    expect(() => grpoAdvantages([{ length: 1, reward: 1 }], 'process')).toThrow(/step rewards/)
  })

  it('the trainer\'s PolicyStep loss has gradient GC/|o| per token when sent the coefficients as advantages (on-policy)', () => {
    // online RFT, one correct output of 2 tokens: d(objective)/d log π(o_0) = GC / |o| = 1/2
    const adv = policyStepAdvantages('online-rft', [{ length: 2, correct: true }])
    const lp = [Math.log(0.3), Math.log(0.6)]
    const objective = (x: number): number => -grpoLoss({ logp: [[x, lp[1]]], logpOld: [lp], logpRef: [lp], advantages: adv, eps: 0.2, beta: 0, aggregation: 'sequence-mean' })
    const h = 1e-6
    expect((objective(lp[0] + h) - objective(lp[0] - h)) / (2 * h)).toBeCloseTo(0.5, 6)
    // a wrong output has coefficient 0: no gradient at all
    const zero = policyStepAdvantages('rft', [{ length: 2, correct: false }])
    const obj0 = (x: number): number => -grpoLoss({ logp: [[x, lp[1]]], logpOld: [lp], logpRef: [lp], advantages: zero, eps: 0.2, beta: 0, aggregation: 'sequence-mean' })
    expect(obj0(lp[0] + 0.01) - obj0(lp[0] - 0.01)).toBe(0)
  })
})
