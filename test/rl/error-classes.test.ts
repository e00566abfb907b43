import { describe, expect, it } from 'vitest'
import { classify } from '../../bench/rl/errors.ts'

const reference = 'Step 1: 9 - 7 = 2.\nStep 2: 2 * 7 = 14.\nStep 3: 14 + 4 = 18.\nThe answer is \\boxed{18}.'

describe('bench/rl/errors classify', () => {
  it('names the first wrong line by what differs in its equation', () => {
    expect(classify(reference, 'Step 1: 9 - 7 = 3.\nStep 2: 3 * 7 = 21.')).toBe('arithmetic fact')
    expect(classify(reference, 'Step 1: 9 - 7 = 2.\nStep 2: 2 + 7 = 9.')).toBe('operator misread')
    expect(classify(reference, 'Step 1: 9 - 7 = 2.\nStep 2: 2 * 4 = 8.')).toBe('operand misread')
    expect(classify(reference, 'Step 1: 9 - 7 = 2.\nSo the answer is 18.')).toBe('words or format')
  })
})
