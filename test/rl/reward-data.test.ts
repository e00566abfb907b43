import { describe, expect, it } from 'vitest'
import { ormExamples, shepherdLabel, withReplay } from '../../src/rl/reward-model.ts'
import { stepEnds, newTokenBudget, type Rollout } from '../../src/rl/rollout.ts'
import { Rng } from '../../src/train/rng.ts'

describe('reasoning steps of a completion', () => {
  const NL = 10
  const isNl = (t: number): boolean => t === NL
  it('end at newline tokens and at the last token', () => {
    expect(stepEnds([1, 2, NL, 3, NL, 4, 5], isNl)).toEqual([2, 4, 6])
    expect(stepEnds([1, 2, 3], isNl)).toEqual([2])
    expect(stepEnds([], isNl)).toEqual([])
  })
  it('a run of newlines closes one step, and a final newline is the last token', () => {
    expect(stepEnds([1, NL, NL, 2], isNl)).toEqual([2, 3])
    expect(stepEnds([1, NL], isNl)).toEqual([1])
  })
})

describe('Math-Shepherd labels', () => {
  it('hard: 1 when some completion from the step is correct; soft: the share that is', () => {
    expect(shepherdLabel([false, true, false, false], 'hard')).toBe(1)
    expect(shepherdLabel([false, false], 'hard')).toBe(0)
    expect(shepherdLabel([false, true, true, false], 'soft')).toBe(0.5)
    expect(() => shepherdLabel([], 'soft')).toThrow(/no completions/)
  })
})

describe('ORM examples', () => {
  it('score the last token of question + response, labelled by the grader', () => {
    const r = (tokens: number[], correct: boolean): Rollout => ({ question: { id: 'q', question: '', answer: '1' }, prompt: [7, 8], tokens, logprobs: [], text: '', answer: null, correct })
    expect(ormExamples([r([1, 2, 3], true), r([4], false)])).toEqual([
      { tokens: [7, 8, 1, 2, 3], positions: [4], labels: [1] },
      { tokens: [7, 8, 4], positions: [2], labels: [0] },
    ])
  })
})

describe('replay of historical reward-model data', () => {
  it('adds old examples so that they are the asked share of the mix', () => {
    const fresh = Array.from({ length: 18 }, (_, i) => `new${i}`)
    const history = Array.from({ length: 50 }, (_, i) => `old${i}`)
    const m = withReplay(fresh, history, 0.1, Rng.fromSeed(1, 2))
    // 18 new: round(18 · 0.1 / 0.9) = 2 replayed, 2 / 20 = 10%
    expect(m.replayed).toBe(2)
    expect(m.share).toBe(0.1)
    expect(m.data.slice(0, 18)).toEqual(fresh)
    expect(new Set(m.data.slice(18)).size).toBe(2)
    expect(m.data.slice(18).every((x) => x.startsWith('old'))).toBe(true)
  })
  it('replays all of a short history, and nothing in the first iteration', () => {
    expect(withReplay(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], ['x'], 0.5, Rng.fromSeed(1, 2))).toMatchObject({ replayed: 1, share: 0.1 })
    expect(withReplay(['a'], [], 0.1, Rng.fromSeed(1, 2))).toEqual({ data: ['a'], replayed: 0, share: 0 })
    expect(() => withReplay(['a'], [], 1, Rng.fromSeed(1, 2))).toThrow(/replay share/)
  })
})

describe('generation budget', () => {
  it('keeps prompt + completion within max_seq_len', () => {
    expect(newTokenBudget({ maxNewTokens: 100, maxSeqLen: 64 }, [[1, 2, 3], new Array(40).fill(1)])).toBe(24)
    expect(newTokenBudget({ maxNewTokens: 10, maxSeqLen: 64 }, [[1]])).toBe(10)
    expect(() => newTokenBudget({ maxNewTokens: 10, maxSeqLen: 4 }, [[1, 2, 3, 4]])).toThrow(/no room/)
  })
})
