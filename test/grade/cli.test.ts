import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers.ts'

const lines = (s: string): Record<string, unknown>[] => s.split('\n').filter(Boolean).map((l) => JSON.parse(l))

describe('dsmath grade --jsonl', () => {
  it('writes {"id","answer","correct"} per pair, and names and skips the bad lines', async () => {
    const input = [
      JSON.stringify({ id: 'math-2', response: 'So $R-r \\le \\boxed{\\dfrac12}$.', reference: 'is $\\boxed{\\frac{1}{2}}$.' }),
      'not json',
      JSON.stringify({ id: 7, response: 'He made 70,000 dollars.\n#### 70,000', reference: '#### 70000' }),
      JSON.stringify({ id: 'no-answer', response: 'I do not know.', reference: '3' }),
      JSON.stringify({ id: 'x', response: 42, reference: '42' }),
      '',
      JSON.stringify({ id: 'wrong', response: '$\\boxed{(2,1)}$', reference: '(1, 2)' }),
    ].join('\n') + '\n'
    const r = await runCli(['grade', '--jsonl'], {}, input)
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toEqual([
      { id: 'math-2', answer: '\\frac{1}{2}', correct: true },
      { id: 7, answer: '70000', correct: true },
      { id: 'no-answer', answer: null, correct: false },
      { id: 'wrong', answer: '(2,1)', correct: false },
    ])
    expect(r.stderr).toMatch(/line 2: not JSON/)
    expect(r.stderr).toMatch(/line 5: "response" must be a string/)
    expect(r.stderr).toMatch(/6 lines, 4 graded, 2 correct, 2 bad lines skipped/)
  })

  it('reads a file given after --jsonl, and says when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-grade-'))
    const f = join(dir, 'pairs.jsonl')
    await writeFile(f, JSON.stringify({ id: 1, response: '\\boxed{12345678901234567890}', reference: '12345678901234567891' }) + '\n')
    const r = await runCli(['grade', '--jsonl', f])
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toEqual([{ id: 1, answer: '12345678901234567890', correct: false }])
    const missing = await runCli(['grade', '--jsonl', join(dir, 'nope.jsonl')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(new RegExp(`cannot read ${join(dir, 'nope.jsonl')}`))
    expect((await runCli(['grade', '--jsonl', f, f])).code).toBe(2)
  })

  it('asks for --jsonl', async () => {
    const r = await runCli(['grade'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--jsonl is required/)
  })
})
