import { describe, expect, it } from 'vitest'
import { learningRate, scheduleErrors, type LrScheduleSpec } from '../../src/train/schedule.ts'

describe('the paper\'s multi-step learning-rate schedule', () => {
  // 100 steps, peak 4.2e-4 (DeepSeekMath 7B's), 10 warmup steps: steps 0..9 ramp, 10..79 peak,
  // 80..89 at 31.6% of peak, 90..99 at 10%.
  const s: LrScheduleSpec = { kind: 'multi_step', peakLr: 4.2e-4, warmupSteps: 10, totalSteps: 100 }
  it('warms up linearly to the peak', () => {
    expect(learningRate(0, s)).toBeCloseTo(4.2e-5, 15)
    expect(learningRate(4, s)).toBeCloseTo(2.1e-4, 15)
    expect(learningRate(9, s)).toBeCloseTo(4.2e-4, 15)
  })
  it('holds the peak until 80% of the steps, then 31.6%, then 10% after 90%', () => {
    expect(learningRate(10, s)).toBe(4.2e-4)
    expect(learningRate(79, s)).toBe(4.2e-4)
    expect(learningRate(80, s)).toBeCloseTo(1.3272e-4, 15)
    expect(learningRate(89, s)).toBeCloseTo(1.3272e-4, 15)
    expect(learningRate(90, s)).toBeCloseTo(4.2e-5, 15)
    expect(learningRate(99, s)).toBeCloseTo(4.2e-5, 15)
  })
  it('with 50 steps: decays at steps 40 and 45; custom points and factors', () => {
    const t: LrScheduleSpec = { kind: 'multi_step', peakLr: 1e-3, warmupSteps: 5, totalSteps: 50 }
    expect([39, 40, 44, 45].map((k) => learningRate(k, t))).toEqual([1e-3, 1e-3 * 0.316, 1e-3 * 0.316, 1e-3 * 0.1])
    const u: LrScheduleSpec = { ...t, decayAt: [0.5], decayFactors: [0.25] }
    expect([24, 25, 49].map((k) => learningRate(k, u))).toEqual([1e-3, 2.5e-4, 2.5e-4])
  })
  it('constant after warmup; cosine from peak to the floor', () => {
    expect(learningRate(0, { kind: 'constant', peakLr: 1e-5, warmupSteps: 0, totalSteps: 500 })).toBe(1e-5)
    const c: LrScheduleSpec = { kind: 'cosine', peakLr: 1, warmupSteps: 0, totalSteps: 100, minLrRatio: 0.1 }
    expect(learningRate(0, c)).toBeCloseTo(1, 12)
    expect(learningRate(50, c)).toBeCloseTo(0.55, 12)
    expect(learningRate(100, c)).toBeCloseTo(0.1, 12)
  })
  it('names the bad field', () => {
    expect(scheduleErrors({ kind: 'multi_step', peakLr: 0, warmupSteps: 0, totalSteps: 1 })).toEqual(['lr_schedule.peak_lr: must be > 0'])
    expect(scheduleErrors({ kind: 'multi_step', peakLr: 1, warmupSteps: 0, totalSteps: 1, decayAt: [0.9, 0.8], decayFactors: [0.3, 0.1] }, 'config.common.lr_schedule'))
      .toEqual(['config.common.lr_schedule.decay_at[1]: must be greater than decay_at[0]'])
    expect(scheduleErrors({ kind: 'multi_step', peakLr: 1, warmupSteps: 0, totalSteps: 1, decayAt: [0.8], decayFactors: [] })[0]).toMatch(/^lr_schedule\.decay_factors: /)
  })
})
