// SFT datasets: file rows (GSM8K, MATH, question/response) as examples, the generator's three formats, prompt
// templates, and the weighted mixture (example i fixed by i alone).
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { arithmeticProblem } from '../../src/train/arithmetic.ts'
import { generatedResponse, promptOf, readSftFile, rowExample, sftExampleSource, sftProblem } from '../../src/train/sft.ts'

describe('SFT data', () => {
  it('reads GSM8K, MATH and question/response rows', () => {
    expect(rowExample({ question: 'Q?', answer: 'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nSo 48+24 = <<48+24=72>>72.\n#### 1,072' })).toEqual({
      question: 'Q?', response: 'Natalia sold 48/2 = 24 clips in May.\nSo 48+24 = 72.\nThe answer is \\boxed{1072}.',
    })
    expect(rowExample({ problem: 'P', solution: 'so $\\boxed{2}$.' })).toEqual({ question: 'P', response: 'so $\\boxed{2}$.' })
    expect(rowExample({ question: 'a', response: 'b' })).toEqual({ question: 'a', response: 'b' })
    expect(rowExample({ question: 'a', answer: 'no final line' })).toBeNull()
    expect(rowExample({ text: 'x' })).toBeNull()
  })

  it('writes a generated problem in each format; a template replaces {question}', () => {
    const p = arithmeticProblem(3, 4)
    expect(generatedResponse(p, 'cot')).toBe(p.solution)
    expect(generatedResponse(p, 'pot')).toBe('```python\n' + p.program + '\n```')
    expect(generatedResponse(p, 'tool')).toBe('```python\n' + p.program + '\n```\n```output\n' + p.answer + '\n```\nThe answer is \\boxed{' + p.answer + '}.')
    expect(promptOf('cot', 'Q')).toContain('Please reason step by step')
    expect(promptOf('pot', 'Q')).toContain('Please write a Python program')
    expect(promptOf('tool', 'Q')).toContain('Please integrate natural language reasoning with programs')
    expect(promptOf('cot', 'Q', 'Problem: {question}\nAnswer:')).toBe('Problem: Q\nAnswer:')
  })

  it('mixes datasets by weight, example i fixed by i', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-sft-data-'))
    const f = join(dir, 'rows.jsonl')
    await writeFile(f, ['{"question":"f0","response":"r0"}', '{"question":"f1","response":"r1"}', ''].join('\n'))
    const src = await sftExampleSource([
      { uri: 'generated:arithmetic', format: 'pot', weight: 3, maxExamples: 0 },
      { uri: f, format: 'cot', weight: 1, maxExamples: 0 },
    ])
    const n = 4000
    let fromFile = 0
    for (let i = 0; i < n; i++) {
      const e = src(i)
      if (e.prompt.includes('Question: f')) {
        fromFile++
        expect(e.response).toBe(e.prompt.includes('Question: f0') ? 'r0' : 'r1')
      } else {
        expect(e.response).toBe(generatedResponse(sftProblem(i), 'pot'))
      }
    }
    expect(fromFile / n).toBeGreaterThan(0.22)
    expect(fromFile / n).toBeLessThan(0.28)
    expect(src(17)).toEqual(src(17))
    await expect(sftExampleSource([{ uri: join(dir, 'missing.jsonl'), format: 'cot', weight: 1, maxExamples: 0 }])).rejects.toThrow(/cannot read/)
  })

  it('names the line of a row that is not an example, null included', async () => {
    const f = join(await mkdtemp(join(tmpdir(), 'dsmath-sft-data-')), 'rows.jsonl')
    await writeFile(f, '{"question":"q","response":"r"}\nnull\n')
    await expect(readSftFile(f)).rejects.toThrow(new RegExp(`^${f}:2: needs \\{"question","response"\\}`))
  })
})
