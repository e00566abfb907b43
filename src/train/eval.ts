// Evaluation of a checkpoint: greedy decoding (temperature 0) with the paper's chain-of-thought prompt, the
// final answer extracted and compared with src/grade; with k samples at temperature 0.7 per question,
// maj@k (majority vote over the extracted answers) and pass@k (some sample is correct).
import { readFile } from 'node:fs/promises'
import { equivalentAnswers, gradeResponse } from '../grade/grade.ts'
import { extractProgram, runSandboxed, type SandboxLimits, type SandboxStatus } from '../sandbox/sandbox.ts'
import type { ArithmeticLimits } from './arithmetic.ts'
import { cotPrompt, evalProblem, generate, potPrompt, toolPrompt } from './sft.ts'
import type { GenerateRequest, GenerateResponse } from '../gen/dsmath/v1/worker.ts'
import type { WorkerConn } from './worker.ts'

export interface EvalProblem { id: string; question: string; answer: string }

/** Problem file: JSON lines {"id","question","answer"} (id optional: the line number). */
export async function readProblems(path: string): Promise<EvalProblem[]> {
  const text = await readFile(path, 'utf8').catch(() => { throw new Error(`cannot read ${path}`) })
  const out: EvalProblem[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let o: Record<string, unknown>
    try { o = JSON.parse(line) as Record<string, unknown> } catch { throw new Error(`${path}:${i + 1}: not JSON`) }
    if (typeof o !== 'object' || o === null || typeof o.question !== 'string' || o.answer === undefined || o.answer === null) throw new Error(`${path}:${i + 1}: needs "question" (string) and "answer"`)
    out.push({ id: o.id === undefined ? String(i + 1) : String(o.id), question: o.question, answer: String(o.answer) })
  })
  if (!out.length) throw new Error(`${path}: no problems`)
  return out
}

/** n held-out generated 2-3 step problems (seed EVAL_SEED, never used by pretraining or SFT). */
export function generatedProblems(n: number, limits: ArithmeticLimits = {}): EvalProblem[] {
  return Array.from({ length: n }, (_, i) => {
    const p = evalProblem(i, limits)
    return { id: `gen-${i}`, question: p.question, answer: String(p.answer) }
  })
}

/**
 * Majority vote: answers grouped by equivalence (null answers do not vote); the largest group wins, ties go
 * to the group seen first. Returns the winning answer, or null when no sample has an answer.
 */
export function majorityAnswer(answers: readonly (string | null)[]): string | null {
  const groups: { rep: string; count: number }[] = []
  for (const a of answers) {
    if (a === null || a === '') continue
    const g = groups.find((x) => x.rep === a || equivalentAnswers(a, x.rep))
    if (g) g.count++
    else groups.push({ rep: a, count: 1 })
  }
  let best: { rep: string; count: number } | null = null
  for (const g of groups) if (!best || g.count > best.count) best = g
  return best?.rep ?? null
}

/** Unbiased pass@k from n samples of which c are correct (Chen et al. 2021): 1 - C(n-c, k) / C(n, k). */
export function passAtK(n: number, c: number, k: number): number {
  if (k > n || k < 1) throw new Error(`pass@k: need 1 <= k <= n (k ${k}, n ${n})`)
  if (n - c < k) return 1
  let p = 1
  for (let i = n - c + 1; i <= n; i++) p *= 1 - k / i
  return 1 - p
}

export interface QuestionResult {
  id: string; reference: string; greedy: string; greedy_answer: string | null; greedy_correct: boolean
  /** program-of-thought / tool-integrated: how the sandboxed run(s) of the greedy response's code ended. */
  sandbox?: SandboxStatus[]
  samples?: { answer: string | null; correct: boolean }[]; majority?: string | null; maj_correct?: boolean; pass?: boolean
}

/**
 * Reads `train eval --out` JSON lines back (blank lines skipped). Errors name the line, after `source:` when
 * given; `needSamples` also requires the k samples (an evaluation run with --k).
 */
export function parseEvalResults(text: string, opts: { source?: string; needSamples?: boolean } = {}): QuestionResult[] {
  const where = (i: number): string => (opts.source ? `${opts.source}:${i + 1}` : `line ${i + 1}`)
  const out: QuestionResult[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let o: Partial<QuestionResult>
    try { o = JSON.parse(line) as Partial<QuestionResult> } catch { throw new Error(`${where(i)}: not JSON`) }
    if (typeof o.id !== 'string' || typeof o.greedy_correct !== 'boolean') throw new Error(`${where(i)}: expected an eval line with "id" and "greedy_correct"`)
    if (opts.needSamples && !Array.isArray(o.samples)) throw new Error(`${where(i)}: no "samples" (evaluate with --k)`)
    out.push(o as QuestionResult)
  })
  return out
}

export interface EvalSummary {
  n: number; correct: number; accuracy: number
  k?: number; maj_correct?: number; maj_at_k?: number; pass_correct?: number; pass_at_k?: number
  no_answer: number; generated_tokens: number; wall_sec: number
  results: QuestionResult[]
}

export interface EvalOptions {
  tokenizer: { encode(text: string): number[]; decode(ids: readonly number[], opts?: { skipSpecial?: boolean }): string }
  eosId: number
  maxNewTokens: number
  k?: number
  temperature?: number
  seed?: number
  /** Questions per Generate call. */
  chunk?: number
  /** cot (default): chain-of-thought, answer in \boxed{}; pot: the response's last ```python block runs in
   * the sandbox and its last printed line is the answer; tool: tool-integrated, each ```python block the
   * model closes runs in the sandbox, its output is appended as an ```output block and generation goes on
   * (up to maxToolCalls), the answer in \boxed{}. */
  format?: EvalFormat
  /** A prompt with {question} in place of the format's (e.g. the pretraining text's 'Question: {question}\nSolution:\n'). */
  promptTemplate?: string
  sandbox?: Partial<SandboxLimits>
  maxToolCalls?: number
  /** Generation (the worker's Generate by default; tests pass a stand-in). */
  generateFn?(req: GenerateRequest): Promise<GenerateResponse>
  onProgress?(done: number, total: number, correct: number): void
}

export type EvalFormat = 'cot' | 'pot' | 'tool'

export function promptFor(format: EvalFormat, question: string, template?: string): string {
  if (template) return template.split('{question}').join(question)
  return format === 'pot' ? potPrompt(question) : format === 'tool' ? toolPrompt(question) : cotPrompt(question)
}

/** The last non-empty line a sandboxed program printed, or null when it did not finish cleanly. */
async function runProgram(code: string, limits: Partial<SandboxLimits> | undefined): Promise<{ out: string; status: SandboxStatus }> {
  const r = await runSandboxed(code, limits)
  const out = r.status === 'ok' ? r.stdout : `${r.stdout}${r.stderr.trim().split('\n').at(-1) ?? ''}${r.status === 'error' ? '' : ` [${r.status}]`}`
  return { out, status: r.status }
}

/** Program-of-thought: the response's answer is what its last program prints (last line), run sandboxed. */
export async function programAnswer(text: string, limits?: Partial<SandboxLimits>): Promise<{ answer: string | null; status: SandboxStatus | null }> {
  const code = extractProgram(text)
  if (code === null) return { answer: null, status: null }
  const r = await runProgram(code, limits)
  const last = r.status === 'ok' ? r.out.trim().split('\n').at(-1)?.trim() : undefined
  return { answer: last || null, status: r.status }
}

// ```python or ```py (as extractProgram takes them); not a bare fence, which ```output blocks also are.
const CODE_BLOCK = /```(?:python|py)[ \t]*\n([\s\S]*?)```/g
// Earlier blocks run again (a later block sees their names) with their output discarded, so each ```output
// block holds its own block's output only, as the SFT tool format writes it.
const SILENCE_STDOUT = 'import sys as _dsmath_sys, io as _dsmath_io\n_dsmath_stdout = _dsmath_sys.stdout\n_dsmath_sys.stdout = _dsmath_io.StringIO()\n'
const RESTORE_STDOUT = '\n_dsmath_sys.stdout = _dsmath_stdout\n'

/**
 * Tool-integrated decoding of one prompt: whenever the completion closes a ```python block that no
 * ```output block follows, the text is cut after that block, the code (all blocks so far, in order, so a
 * later block sees earlier names; only the newest one's output is kept) runs in the sandbox,
 * "```output\n<stdout>\n```\n" is appended and generation continues from there, at most maxCalls times.
 */
export async function toolIntegrated(
  prompt: string, gen: (prompt: string) => Promise<string>, maxCalls: number, limits?: Partial<SandboxLimits>,
): Promise<{ text: string; statuses: SandboxStatus[] }> {
  let text = ''
  const statuses: SandboxStatus[] = []
  for (let call = 0; ; call++) {
    const more = await gen(prompt + text)
    const blocks = [...(text + more).matchAll(CODE_BLOCK)].filter((m) => m.index! + m[0].length > text.length)
    const first = blocks[0]
    if (!first || call >= maxCalls) return { text: text + more, statuses }
    const end = first.index! + first[0].length
    text = (text + more).slice(0, end)
    const all = [...text.matchAll(CODE_BLOCK)].map((m) => m[1]!)
    const newest = all.pop()!
    const code = all.length ? SILENCE_STDOUT + all.join('\n') + RESTORE_STDOUT + newest : newest
    const r = await runProgram(code, limits)
    statuses.push(r.status)
    text += `\n\`\`\`output\n${r.out.trim()}\n\`\`\`\n`
  }
}

/** Aggregates per-question results (greedy, and maj@k / pass@k when samples are present). */
export function summarize(results: QuestionResult[], k?: number): Omit<EvalSummary, 'generated_tokens' | 'wall_sec' | 'results'> {
  const n = results.length
  const correct = results.filter((r) => r.greedy_correct).length
  const out: Omit<EvalSummary, 'generated_tokens' | 'wall_sec' | 'results'> = {
    n, correct, accuracy: n ? correct / n : 0, no_answer: results.filter((r) => r.greedy_answer === null).length,
  }
  if (k) {
    const maj = results.filter((r) => r.maj_correct).length
    const pass = results.filter((r) => r.pass).length
    Object.assign(out, { k, maj_correct: maj, maj_at_k: n ? maj / n : 0, pass_correct: pass, pass_at_k: n ? pass / n : 0 })
  }
  return out
}

export async function runEval(conn: WorkerConn | null, problems: readonly EvalProblem[], opts: EvalOptions): Promise<EvalSummary> {
  const t0 = performance.now()
  const chunk = opts.chunk ?? 16
  const format = opts.format ?? 'cot'
  const gen = opts.generateFn ?? ((req: GenerateRequest) => generate(conn!, req))
  const results: QuestionResult[] = []
  let generated = 0
  const decode = (ids: readonly number[]): string => opts.tokenizer.decode(ids.filter((t) => t !== opts.eosId), { skipSpecial: true })
  // One response's answer and whether it is right: boxed (cot, tool) or the program's output (pot).
  const grade = async (text: string, ref: string): Promise<{ answer: string | null; correct: boolean; sandbox?: SandboxStatus }> => {
    if (format !== 'pot') return gradeResponse(text, ref)
    const p = await programAnswer(text, opts.sandbox)
    if (p.answer === null) return { answer: null, correct: false, ...(p.status ? { sandbox: p.status } : {}) }
    return { ...gradeResponse(`\\boxed{${p.answer}}`, ref), sandbox: p.status! }
  }
  // Tool-integrated: one prompt at a time, each continuation a greedy (or sampled) Generate call.
  const toolGen = (temperature: number, seed: number) => async (text: string): Promise<string> => {
    const res = await gen({ prompts: [{ tokens: opts.tokenizer.encode(text), loss_mask: [] }], max_new_tokens: opts.maxNewTokens, temperature, top_p: 0, seed, stop_tokens: [opts.eosId] })
    generated += res.completions[0]!.tokens.length
    return decode(res.completions[0]!.tokens)
  }
  for (let start = 0; start < problems.length; start += chunk) {
    const part = problems.slice(start, start + chunk)
    const prompts = part.map((p) => ({ tokens: opts.tokenizer.encode(promptFor(format, p.question, opts.promptTemplate)), loss_mask: [] }))
    let greedyTexts: string[]
    const toolStatuses: SandboxStatus[][] = []
    if (format === 'tool') {
      greedyTexts = []
      for (const p of part) {
        const t = await toolIntegrated(promptFor(format, p.question, opts.promptTemplate), toolGen(0, 0), opts.maxToolCalls ?? 3, opts.sandbox)
        greedyTexts.push(t.text)
        toolStatuses.push(t.statuses)
      }
    } else {
      const greedy = await gen({ prompts, max_new_tokens: opts.maxNewTokens, temperature: 0, top_p: 0, seed: 0, stop_tokens: [opts.eosId] })
      greedyTexts = greedy.completions.map((c) => { generated += c.tokens.length; return decode(c.tokens) })
    }
    let sampled: string[][] | null = null
    if (opts.k) {
      const k = opts.k
      const temperature = opts.temperature ?? 0.7
      if (format === 'tool') {
        sampled = []
        for (const [i, p] of part.entries()) {
          const row: string[] = []
          for (let j = 0; j < k; j++) row.push((await toolIntegrated(promptFor(format, p.question, opts.promptTemplate), toolGen(temperature, (opts.seed ?? 1) + (start + i) * k + j), opts.maxToolCalls ?? 3, opts.sandbox)).text)
          sampled.push(row)
        }
      } else {
        const res = await gen({
          prompts: prompts.flatMap((p) => Array.from({ length: k }, () => p)), max_new_tokens: opts.maxNewTokens,
          temperature, top_p: 0, seed: (opts.seed ?? 1) + start, stop_tokens: [opts.eosId],
        })
        generated += res.completions.reduce((a, c) => a + c.tokens.length, 0)
        sampled = part.map((_, i) => res.completions.slice(i * k, (i + 1) * k).map((c) => decode(c.tokens)))
      }
    }
    for (const [i, p] of part.entries()) {
      const text = greedyTexts[i]!
      const g = await grade(text, p.answer)
      const r: QuestionResult = { id: p.id, reference: p.answer, greedy: text, greedy_answer: g.answer, greedy_correct: g.correct }
      if (format === 'pot' && g.sandbox) r.sandbox = [g.sandbox]
      if (format === 'tool') r.sandbox = toolStatuses[i]!
      if (sampled) {
        r.samples = []
        for (const s of sampled[i]!) { const x = await grade(s, p.answer); r.samples.push({ answer: x.answer, correct: x.correct }) }
        r.majority = majorityAnswer(r.samples.map((s) => s.answer))
        r.maj_correct = r.majority !== null && gradeResponse(`\\boxed{${r.majority}}`, p.answer).correct
        r.pass = r.samples.some((s) => s.correct)
      }
      results.push(r)
    }
    opts.onProgress?.(results.length, problems.length, results.filter((r) => r.greedy_correct).length)
  }
  return { ...summarize(results, opts.k), generated_tokens: generated, wall_sec: (performance.now() - t0) / 1000, results }
}
