// Program-of-thought and tool-integrated evaluation: the model's code runs in the sandbox (a scripted
// stand-in for the worker's Generate supplies the responses; the tokenizer is one token per character).
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { GenerateRequest, GenerateResponse } from '../../src/gen/dsmath/v1/worker.ts'
import { runEval, toolIntegrated } from '../../src/train/eval.ts'

const EOS = 0
const tokenizer = {
  encode: (t: string): number[] => [...t].map((c) => c.codePointAt(0)!),
  decode: (ids: readonly number[]): string => String.fromCodePoint(...ids),
}
// The wall limit is far above the CPU limit: on a loaded machine 1 s of CPU can take several seconds.
const LIMITS = { wallMs: 60_000, cpuSec: 1, memoryBytes: 256 << 20 }

/** Answers each prompt with the response the script gives for its text. */
function scripted(respond: (prompt: string) => string): (req: GenerateRequest) => Promise<GenerateResponse> {
  return async (req) => ({
    completions: req.prompts.map((p) => ({ tokens: [...tokenizer.encode(respond(tokenizer.decode(p.tokens))), EOS], logprobs: [], finish_reason: 1 })),
  })
}

describe('program-of-thought evaluation', () => {
  it('runs each response program in the sandbox; its printed answer is graded; hostile code is stopped', async () => {
    const escape = `${tmpdir()}/dsmath-pot-escape-${process.pid}`
    const responses: Record<string, string> = {
      a: '```python\nboxes = 4 * 12\nboxes = boxes - 5\nprint(boxes)\n```', // 43, right
      b: '```python\nprint(7 * 7)\n```', // 49, reference 48: wrong
      c: '```python\nwhile True:\n    pass\n```', // stopped by the CPU limit
      d: `\`\`\`python\nopen(${JSON.stringify(escape)}, "w").write("x")\nprint(10)\n\`\`\``, // refused
      e: 'I will not write code. \\boxed{5}', // no program: no answer (the boxed text does not count)
    }
    const problems = [
      { id: 'a', question: 'qa', answer: '43' }, { id: 'b', question: 'qb', answer: '48' }, { id: 'c', question: 'qc', answer: '1' },
      { id: 'd', question: 'qd', answer: '10' }, { id: 'e', question: 'qe', answer: '5' },
    ]
    const s = await runEval(null, problems, {
      tokenizer, eosId: EOS, maxNewTokens: 100, format: 'pot', sandbox: LIMITS,
      generateFn: scripted((p) => {
        expect(p).toContain('Please write a Python program')
        return responses[/Question: q(\w)/.exec(p)![1]!]!
      }),
    })
    expect(s.results.map((r) => [r.id, r.greedy_answer, r.greedy_correct, r.sandbox])).toEqual([
      ['a', '43', true, ['ok']], ['b', '49', false, ['ok']], ['c', null, false, ['cpu_limit']], ['d', null, false, ['error']], ['e', null, false, undefined],
    ])
    expect(s.correct).toBe(1)
    expect(existsSync(escape)).toBe(false)
  })

  it('a prompt template replaces the format\'s prompt (a base model evaluated in its own format)', async () => {
    const seen: string[] = []
    const s = await runEval(null, [{ id: '1', question: 'What is 2 + 3?', answer: '5' }], {
      tokenizer, eosId: EOS, maxNewTokens: 50, promptTemplate: 'Question: {question}\nSolution:\n',
      generateFn: scripted((p) => { seen.push(p); return 'Step 1: 2 + 3 = 5.\nThe answer is \\boxed{5}.' }),
    })
    expect(seen).toEqual(['Question: What is 2 + 3?\nSolution:\n'])
    expect(s.correct).toBe(1)
  })

  it('tool-integrated: a closed code block runs, its output is appended, generation continues', async () => {
    const prompts: string[] = []
    const gen = async (prompt: string): Promise<string> => {
      prompts.push(prompt)
      if (!prompt.includes('```output')) return 'Compute it.\n```python\nx = 6 * 7\nprint(x)\n```\nand then some text the model made up'
      return 'The result is 42, so the answer is \\boxed{42}.'
    }
    const r = await toolIntegrated('P: ', gen, 3, LIMITS)
    expect(prompts).toEqual(['P: ', 'P: Compute it.\n```python\nx = 6 * 7\nprint(x)\n```\n```output\n42\n```\n'])
    expect(r.text).toBe('Compute it.\n```python\nx = 6 * 7\nprint(x)\n```\n```output\n42\n```\nThe result is 42, so the answer is \\boxed{42}.')
    expect(r.statuses).toEqual(['ok'])
    const s = await runEval(null, [{ id: '1', question: 'q', answer: '42' }], {
      tokenizer, eosId: EOS, maxNewTokens: 100, format: 'tool', sandbox: LIMITS,
      generateFn: scripted((p) => p.includes('```output\n42') ? 'So \\boxed{42}.' : '```python\nprint(40 + 2)\n```'),
    })
    expect(s.results[0]).toMatchObject({ greedy_answer: '42', greedy_correct: true, sandbox: ['ok'] })
  })

  it('tool-integrated: a second block sees the first one\'s names, and its output block holds its own output only', async () => {
    const gen = async (prompt: string): Promise<string> => {
      const outputs = prompt.split('```output').length - 1
      if (outputs === 0) return '```py \nx = 6\nprint("first", x)\n```\n'
      if (outputs === 1) return 'Then:\n```python\nprint(x * 7)\n```\n'
      return 'So \\boxed{42}.'
    }
    const r = await toolIntegrated('P: ', gen, 3, LIMITS)
    const outputs = [...r.text.matchAll(/```output\n([\s\S]*?)\n```/g)].map((m) => m[1])
    expect(outputs).toEqual(['first 6', '42'])
    expect(r.statuses).toEqual(['ok', 'ok'])
  })
})

describe('generated problems as programs', () => {
  it('each problem\'s program, run in the sandbox, prints its answer', async () => {
    const { arithmeticProblem } = await import('../../src/train/arithmetic.ts')
    const { runSandboxed } = await import('../../src/sandbox/sandbox.ts')
    for (let i = 0; i < 8; i++) {
      const p = arithmeticProblem(11, i)
      const r = await runSandboxed(p.program, LIMITS)
      expect(r.stdout.trim(), p.program).toBe(String(p.answer))
    }
  })
})
