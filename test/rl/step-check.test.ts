import { describe, expect, it } from 'vitest'
import { checkedStepRewards, equationsHold } from '../../src/rl/step-check.ts'

describe('rule-checked step rewards', () => {
  it('checks each equation of a step', () => {
    expect(equationsHold('Hana starts with 2 * 5 = 10 cookies.')).toBe(true)
    expect(equationsHold('Step 2: 14 - 8 = 5.')).toBe(false)
    expect(equationsHold('One of 3 bags holds 27 / 3 = 9 coins, and 9 + 1 = 11.')).toBe(false)
    expect(equationsHold('Step 3: 10 - 19 = -9.')).toBe(true)
    expect(equationsHold('7 / 0 = 0')).toBe(false)
    expect(equationsHold('The answer is \\boxed{12}.')).toBe(true)
  })

  it('a wrong step makes it and every later step 0; the last step also needs the right answer', () => {
    const steps = ['Step 1: 3 + 11 = 14.\n', 'Step 2: 14 - 8 = 5.\n', 'Step 3: 5 * 2 = 10.\n', 'The answer is \\boxed{10}.']
    expect(checkedStepRewards(steps, false)).toEqual([1, 0, 0, 0])
    expect(checkedStepRewards(['Step 1: 3 + 11 = 14.\n', 'Step 2: 14 - 8 = 6.\n', 'The answer is \\boxed{6}.'], true)).toEqual([1, 1, 1])
    // right arithmetic, wrong reading of the question: only the last step says so
    expect(checkedStepRewards(['Step 1: 8 * 2 = 16.\n', 'Step 2: 16 - 2 = 14.\n', 'The answer is \\boxed{14}.'], false)).toEqual([1, 1, 0])
    // a lucky right answer after a wrong step is still 0
    expect(checkedStepRewards(['1 + 1 = 3\n', '3 - 1 = 2\n', '\\boxed{2}'], true)).toEqual([0, 0, 0])
  })

  it('not cumulative: each step is judged on its own equations (the last also on the answer)', () => {
    const steps = ['Step 1: 3 + 11 = 14.\n', 'Step 2: 14 - 8 = 5.\n', 'Step 3: 5 * 2 = 10.\n', 'The answer is \\boxed{10}.']
    expect(checkedStepRewards(steps, false, { cumulative: false })).toEqual([1, 0, 1, 0])
    expect(checkedStepRewards(['1 + 1 = 3\n', '3 - 1 = 2\n', '\\boxed{2}'], true, { cumulative: false })).toEqual([0, 1, 1])
  })
})
