import { describe, expect, it } from 'vitest'
import { pairedCompare, signTestPValue } from '../../bench/rl/paired.ts'
import { reachability } from '../../bench/rl/reachable.ts'

describe('bench/rl/paired', () => {
  it('sign test p-values match hand-computed binomial tails', () => {
    expect(signTestPValue(0, 5)).toBeCloseTo(2 / 32, 12)
    expect(signTestPValue(2, 10)).toBeCloseTo(2 * (1 + 10 + 45) / 1024, 12)
    expect(signTestPValue(8, 10)).toBeCloseTo(2 * (1 + 10 + 45) / 1024, 12)
    expect(signTestPValue(5, 10)).toBe(1)
    expect(signTestPValue(0, 0)).toBe(1)
  })

  it('counts the discordant problems only', () => {
    const a = new Map([['1', true], ['2', true], ['3', false], ['4', true]])
    const b = new Map([['1', true], ['2', false], ['3', false], ['4', false]])
    const r = pairedCompare('A', a, 'B', b)
    expect(r).toMatchObject({ n: 4, onlyA: 2, onlyB: 0, difference: 2 })
    expect(r.pValue).toBeCloseTo(0.5, 12)
  })

  it('refuses runs evaluated on different problems', () => {
    expect(() => pairedCompare('A', new Map([['1', true]]), 'B', new Map([['2', true]]))).toThrow(/not evaluated on the same problems/)
  })
})

describe('bench/rl/reachable', () => {
  it('bins problems by greedy outcome and right samples', () => {
    const line = (id: number, greedy: boolean, right: number): string => JSON.stringify({ id: `gen-${id}`, greedy_correct: greedy, samples: [0, 1, 2].map((i) => ({ correct: i < right })) })
    const r = reachability([line(0, false, 0), line(1, false, 2), line(2, true, 3), line(3, true, 3), line(4, false, 2)].join('\n'))
    expect(r).toEqual({ k: 3, greedyWrong: [1, 0, 2, 0], greedyRight: [0, 0, 0, 2] })
    expect(() => reachability('{"id":"gen-0","greedy_correct":true}')).toThrow(/line 1: .*--k/)
  })
})
