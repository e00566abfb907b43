// Evaluation of a checkpoint: greedy decoding (temperature 0) with the paper's chain-of-thought prompt, the
// final answer extracted and compared with src/grade; with k samples at temperature 0.7 per question,
// maj@k (majority vote over the extracted answers) and pass@k (some sample is correct).
import { readFile } from 'node:fs/promises'
import { equivalentAnswers, gradeResponse } from '../grade/grade.ts'
import { cotPrompt, evalProblem, generate } from './sft.ts'
import type { WorkerConn } from './worker.ts'

export interface EvalProblem { id: string; question: string; answer: string }

/** Problem file: JSON lines {"id","question","answer"} (id optional: the line number). */
export async function readProblems(path: string): Promise<EvalProblem[]> {
  const text = await readFile(path, 'utf8')
  const out: EvalProblem[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let o: Record<string, unknown>
    try { o = JSON.parse(line) as Record<string, unknown> } catch { throw new Error(`${path}:${i + 1}: not JSON`) }
    if (typeof o.question !== 'string' || o.answer === undefined || o.answer === null) throw new Error(`${path}:${i + 1}: needs "question" (string) and "answer"`)
    out.push({ id: o.id === undefined ? String(i + 1) : String(o.id), question: o.question, answer: String(o.answer) })
  })
  return out
}

/** n held-out generated 2-3 step problems (seed EVAL_SEED, never used by pretraining or SFT). */
export function generatedProblems(n: number): EvalProblem[] {
  return Array.from({ length: n }, (_, i) => {
    const p = evalProblem(i)
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
  samples?: { answer: string | null; correct: boolean }[]; majority?: string | null; maj_correct?: boolean; pass?: boolean
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
  onProgress?(done: number, total: number, correct: number): void
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

export async function runEval(conn: WorkerConn, problems: readonly EvalProblem[], opts: EvalOptions): Promise<EvalSummary> {
  const t0 = performance.now()
  const chunk = opts.chunk ?? 16
  const results: QuestionResult[] = []
  let generated = 0
  const decode = (ids: readonly number[]): string => opts.tokenizer.decode(ids.filter((t) => t !== opts.eosId), { skipSpecial: true })
  for (let start = 0; start < problems.length; start += chunk) {
    const part = problems.slice(start, start + chunk)
    const prompts = part.map((p) => ({ tokens: opts.tokenizer.encode(cotPrompt(p.question)), loss_mask: [] }))
    const greedy = await generate(conn, { prompts, max_new_tokens: opts.maxNewTokens, temperature: 0, top_p: 0, seed: 0, stop_tokens: [opts.eosId] })
    let sampled: string[][] | null = null
    if (opts.k) {
      const k = opts.k
      const res = await generate(conn, {
        prompts: prompts.flatMap((p) => Array.from({ length: k }, () => p)), max_new_tokens: opts.maxNewTokens,
        temperature: opts.temperature ?? 0.7, top_p: 0, seed: (opts.seed ?? 1) + start, stop_tokens: [opts.eosId],
      })
      generated += res.completions.reduce((a, c) => a + c.tokens.length, 0)
      sampled = part.map((_, i) => res.completions.slice(i * k, (i + 1) * k).map((c) => decode(c.tokens)))
    }
    part.forEach((p, i) => {
      const c = greedy.completions[i]!
      generated += c.tokens.length
      const text = decode(c.tokens)
      const g = gradeResponse(text, p.answer)
      const r: QuestionResult = { id: p.id, reference: p.answer, greedy: text, greedy_answer: g.answer, greedy_correct: g.correct }
      if (sampled) {
        r.samples = sampled[i]!.map((s) => gradeResponse(s, p.answer))
        r.majority = majorityAnswer(r.samples.map((s) => s.answer))
        r.maj_correct = r.majority !== null && gradeResponse(`\\boxed{${r.majority}}`, p.answer).correct
        r.pass = r.samples.some((s) => s.correct)
      }
      results.push(r)
    })
    opts.onProgress?.(results.length, problems.length, results.filter((r) => r.greedy_correct).length)
  }
  return { ...summarize(results, opts.k), generated_tokens: generated, wall_sec: (performance.now() - t0) / 1000, results }
}
