// maj@k and pass@k on hand-made answers; problem files and held-out generated problems.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedProblems, majorityAnswer, parseEvalResults, passAtK, readProblems, summarize, type QuestionResult } from '../../src/train/eval.ts'

describe('majority vote', () => {
  it('picks the most frequent answer, grouping equivalent ones, ignoring missing answers', () => {
    expect(majorityAnswer(['3', '4', '3', null, null, null])).toBe('3')
    expect(majorityAnswer(['0.5', '\\frac{1}{2}', '2', '1/2'])).toBe('0.5') // three equivalent forms of 1/2
    expect(majorityAnswer([null, null])).toBeNull()
    expect(majorityAnswer([])).toBeNull()
    expect(majorityAnswer(['7', '8'])).toBe('7') // a tie goes to the answer seen first
    expect(majorityAnswer(['7', '8', '8'])).toBe('8')
  })
})

describe('pass@k', () => {
  it('is the unbiased estimator 1 - C(n-c,k)/C(n,k)', () => {
    expect(passAtK(4, 0, 4)).toBe(0)
    expect(passAtK(4, 1, 4)).toBe(1)
    expect(passAtK(4, 1, 1)).toBeCloseTo(0.25, 12)
    expect(passAtK(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12) // C(3,2)/C(5,2) = 3/10
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 12) // C(7,5)/C(10,5)
    expect(() => passAtK(3, 1, 4)).toThrow(/k/)
  })
})

describe('summary', () => {
  const q = (greedy: boolean, samples: boolean[], answers: (string | null)[], ref: string): QuestionResult => {
    const maj = majorityAnswer(answers)
    return {
      id: ref, reference: ref, greedy: '', greedy_answer: greedy ? ref : answers[0] ?? null, greedy_correct: greedy,
      samples: samples.map((c, i) => ({ answer: answers[i] ?? null, correct: c })), majority: maj, maj_correct: maj === ref, pass: samples.some(Boolean),
    }
  }
  it('counts greedy accuracy, maj@k and pass@k over questions', () => {
    const results = [
      q(true, [true, true, false], ['5', '5', '6'], '5'), // maj right, pass
      q(false, [true, false, false], ['9', '8', '8'], '9'), // maj wrong (8), pass
      q(false, [false, false, false], [null, null, '1'], '2'), // neither
      q(true, [false, true, true], ['3', '4', '4'], '4'), // maj right, pass
    ]
    const s = summarize(results, 3)
    expect(s).toEqual({ n: 4, correct: 2, accuracy: 0.5, no_answer: 1, k: 3, maj_correct: 2, maj_at_k: 0.5, pass_correct: 3, pass_at_k: 0.75 })
    expect(summarize([], 2).accuracy).toBe(0)
    expect(summarize(results)).not.toHaveProperty('maj_at_k')
  })
})

describe('problems', () => {
  it('reads {"id","question","answer"} lines and refuses malformed ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-eval-'))
    const f = join(dir, 'p.jsonl')
    await writeFile(f, '{"id":"a","question":"1+1?","answer":"2"}\n\n{"question":"2*3?","answer":6}\n')
    expect(await readProblems(f)).toEqual([{ id: 'a', question: '1+1?', answer: '2' }, { id: '3', question: '2*3?', answer: '6' }])
    await writeFile(f, '{"id":"a","answer":"2"}\n')
    await expect(readProblems(f)).rejects.toThrow(/p\.jsonl:1: needs "question"/)
    await writeFile(f, '{"question":"1+1?","answer":"2"}\nnull\n')
    await expect(readProblems(f)).rejects.toThrow(/p\.jsonl:2: needs "question"/)
    await writeFile(f, '\n')
    await expect(readProblems(f)).rejects.toThrow(/p\.jsonl: no problems/)
  })

  it('generates held-out 2-3 step problems with integer answers, deterministically', () => {
    const a = generatedProblems(6)
    expect(a).toEqual(generatedProblems(6))
    expect(a.map((p) => p.id)).toEqual(['gen-0', 'gen-1', 'gen-2', 'gen-3', 'gen-4', 'gen-5'])
    for (const p of a) expect(p.answer).toMatch(/^\d+$/)
  })
})

describe('eval output read back', () => {
  it('parses --out lines and names the file and line of a bad one', () => {
    const good = JSON.stringify({ id: 'gen-0', reference: '6', greedy: 'x', greedy_answer: '6', greedy_correct: true })
    const rows = parseEvalResults(`${good}\n\n${good.replace('gen-0', 'gen-1')}\n`, { source: 'e.jsonl' })
    expect(rows.map((r) => [r.id, r.greedy_correct])).toEqual([['gen-0', true], ['gen-1', true]])
    expect(() => parseEvalResults(`${good}\n{"id":"gen-1"}`, { source: 'e.jsonl' })).toThrow(/^e\.jsonl:2: expected an eval line/)
    expect(() => parseEvalResults('not json', { source: 'e.jsonl' })).toThrow(/^e\.jsonl:1: not JSON/)
    expect(() => parseEvalResults(good, { needSamples: true })).toThrow(/^line 1: no "samples"/)
  })
})
