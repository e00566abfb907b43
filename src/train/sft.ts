// Supervised fine-tuning (stage 2 of DeepSeekMath) on chain-of-thought examples: the prompt is the problem
// plus the paper's instruction, the response the worked solution. Examples are drawn at random and
// concatenated into sequences up to the context length; the loss counts response tokens only (loss_mask).
import { existsSync } from 'node:fs'
import { copyFile, mkdir, appendFile, writeFile, readFile, readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { GenerateRequest, GenerateResponse, TokenSequence, TrainStepResponse } from '../gen/dsmath/v1/worker.ts'
import { EOS, Tokenizer } from '../tokenizer/tokenizer.ts'
import { arithmeticProblem, GENERATED_ARITHMETIC, parseGeneratedUri, type ArithmeticLimits, type ArithmeticProblem } from './arithmetic.ts'
import { plotMetrics, stepDir, type StepMetrics } from './pretrain.ts'
import { Rng, mix32 } from './rng.ts'
import { learningRate, PAPER_DECAY_AT, PAPER_DECAY_FACTORS } from './schedule.ts'
import type { WorkerConn } from './worker.ts'

/** The paper's chain-of-thought instruction (section 2.3 / 3.1 evaluation and SFT prompts). */
export const COT_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.'

/** The prompt for a question (the same one for SFT and evaluation). */
export function cotPrompt(question: string): string {
  return `Question: ${question}\n${COT_INSTRUCTION}\nSolution:\n`
}

/** Program-of-thought: the answer is what the program prints (the paper's PoT setting, sandboxed here). */
export const POT_INSTRUCTION = 'Please write a Python program to solve the problem; it prints the final answer.'
/** Tool-integrated reasoning (the paper's prompt). */
export const TOOL_INSTRUCTION = 'Please integrate natural language reasoning with programs to solve the problem above, and put your final answer within \\boxed{}.'

export function potPrompt(question: string): string {
  return `Question: ${question}\n${POT_INSTRUCTION}\nSolution:\n`
}

export function toolPrompt(question: string): string {
  return `Question: ${question}\n${TOOL_INSTRUCTION}\nSolution:\n`
}

/** Generator seeds of the SFT examples and of the held-out evaluation problems: disjoint streams, both
 * different from the pretraining run's seed (the pretrain stream is arithmeticDocument(run seed, i)). */
export const SFT_SEED = 0x5f7a11
export const EVAL_SEED = 0xe7a1

/** SFT example i: a 2-4 step problem from the SFT stream. */
export function sftProblem(index: number, limits: ArithmeticLimits = {}): ArithmeticProblem {
  return arithmeticProblem(SFT_SEED, index, undefined, limits)
}

/** Held-out evaluation problem i: 2 or 3 steps, alternating. */
export function evalProblem(index: number, limits: ArithmeticLimits = {}): ArithmeticProblem {
  return arithmeticProblem(EVAL_SEED, index, 2 + (index % 2), limits)
}

// -- datasets: the generator (chain-of-thought, program-of-thought or tool-integrated solutions) and files --

export type SftFormatName = 'cot' | 'pot' | 'tool'
export const GENERATED_SFT = GENERATED_ARITHMETIC

export interface SftDatasetSpec {
  /** generated:arithmetic[?max-value=N], or a JSON-lines file of {"question","response"}, GSM8K rows {"question","answer"
   * ending "#### N"} or MATH rows {"problem","solution"}. */
  uri: string
  format: SftFormatName
  /** Relative weight among the datasets (> 0). */
  weight: number
  /** Use only the first N examples of a file (0: all). */
  maxExamples: number
}

export interface SftExample { prompt: string; response: string }

/** The prompt of a format; a template's {question} is replaced by the question instead when given. */
export function promptOf(format: SftFormatName, question: string, template?: string): string {
  if (template) return template.split('{question}').join(question)
  return format === 'pot' ? potPrompt(question) : format === 'tool' ? toolPrompt(question) : cotPrompt(question)
}

/** A generated problem's response in each format: worked solution; program; program, its output, answer. */
export function generatedResponse(p: ArithmeticProblem, format: SftFormatName): string {
  if (format === 'pot') return '```python\n' + p.program + '\n```'
  if (format === 'tool') return '```python\n' + p.program + '\n```\n```output\n' + p.answer + '\n```\nThe answer is \\boxed{' + p.answer + '}.'
  return p.solution
}

/** A file row as (question, response): GSM8K's calculator annotations dropped and "#### N" made a boxed answer. */
export function rowExample(row: Record<string, unknown>): { question: string; response: string } | null {
  if (typeof row.question === 'string' && typeof row.response === 'string') return { question: row.question, response: row.response }
  if (typeof row.question === 'string' && typeof row.answer === 'string' && row.answer.includes('####')) {
    const [work, final] = row.answer.split('####')
    const steps = work!.replace(/<<[^>]*>>/g, '').trim()
    return { question: row.question, response: `${steps}\nThe answer is \\boxed{${final!.trim().replace(/,/g, '')}}.` }
  }
  if (typeof row.problem === 'string' && typeof row.solution === 'string') return { question: row.problem, response: row.solution }
  return null
}

export async function readSftFile(path: string, maxExamples = 0): Promise<{ question: string; response: string }[]> {
  const text = await readFile(path, 'utf8').catch(() => { throw new Error(`cannot read ${path}`) })
  const out: { question: string; response: string }[] = []
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue
    let row: Record<string, unknown>
    try { row = JSON.parse(line) as Record<string, unknown> } catch { throw new Error(`${path}:${i + 1}: not JSON`) }
    const ex = typeof row === 'object' && row !== null ? rowExample(row) : null
    if (!ex) throw new Error(`${path}:${i + 1}: needs {"question","response"}, GSM8K's {"question","answer"} or MATH's {"problem","solution"}`)
    out.push(ex)
    if (maxExamples > 0 && out.length >= maxExamples) break
  }
  if (!out.length) throw new Error(`${path}: no examples`)
  return out
}

/**
 * Example i of a weighted mixture of datasets: the dataset is chosen by a hash of i against the cumulative
 * weights (so i alone fixes the example), then the generator's problem i or the file's row i mod its size.
 */
export async function sftExampleSource(specs: readonly SftDatasetSpec[], promptTemplate?: string): Promise<(i: number) => SftExample> {
  const rows = await Promise.all(specs.map((s) => (parseGeneratedUri(s.uri) ? Promise.resolve(null) : readSftFile(s.uri, s.maxExamples))))
  const total = specs.reduce((a, s) => a + s.weight, 0)
  const cum: number[] = []
  let acc = 0
  for (const s of specs) { acc += s.weight / total; cum.push(acc) }
  return (i) => {
    const u = specs.length === 1 ? 0 : mix32(i ^ 0x2545f491) / 2 ** 32
    let d = cum.findIndex((c) => u < c)
    if (d < 0) d = specs.length - 1
    const spec = specs[d]!, file = rows[d]
    if (!file) {
      const p = sftProblem(spec.maxExamples > 0 ? i % spec.maxExamples : i, parseGeneratedUri(spec.uri)!)
      return { prompt: promptOf(spec.format, p.question, promptTemplate), response: generatedResponse(p, spec.format) }
    }
    const ex = file[i % file.length]!
    return { prompt: promptOf(spec.format, ex.question, promptTemplate), response: ex.response }
  }
}

export interface Encoder { encode(text: string): number[] }

export interface EncodedExample { tokens: number[]; mask: boolean[] }

/** Prompt tokens (mask false), then response tokens and EOS (mask true). */
export function encodeExample(tok: Encoder, eosId: number, prompt: string, response: string): EncodedExample {
  const p = tok.encode(prompt)
  const r = tok.encode(response)
  r.push(eosId)
  return { tokens: [...p, ...r], mask: [...p.map(() => false), ...r.map(() => true)] }
}

export interface PackedSequence { tokens: number[]; loss_mask: boolean[]; examples: number }

/**
 * Packs examples drawn at random (seeded) into sequences of at most seqLen + 1 tokens (the model reads seqLen
 * and predicts seqLen), whole examples only: an example that does not fit starts the next sequence, and one
 * longer than seqLen + 1 on its own is skipped (counted). The position is the RNG state and the next example.
 */
export class SftPacker {
  readonly rng: Rng
  private pending: EncodedExample | null = null
  skipped = 0
  drawn = 0
  constructor(
    private readonly example: (index: number) => EncodedExample, readonly seqLen: number, seed: number,
    readonly poolSize = 1 << 30,
  ) {
    this.rng = Rng.fromSeed(seed, 23)
  }

  private draw(): EncodedExample {
    for (;;) {
      const i = Math.floor(this.rng.next() * this.poolSize)
      this.drawn++
      const ex = this.example(i)
      if (ex.tokens.length <= this.seqLen + 1) return ex
      this.skipped++
    }
  }

  nextSequence(): PackedSequence {
    const tokens: number[] = [], mask: boolean[] = []
    let examples = 0
    for (;;) {
      const ex = this.pending ?? this.draw()
      this.pending = null
      if (tokens.length + ex.tokens.length > this.seqLen + 1) { this.pending = ex; break }
      tokens.push(...ex.tokens)
      mask.push(...ex.mask)
      examples++
    }
    return { tokens, loss_mask: mask, examples }
  }

  nextBatch(batchSize: number): PackedSequence[] {
    return Array.from({ length: batchSize }, () => this.nextSequence())
  }
}

// -- worker calls with masks and generation (WorkerConn's trainStep sends no mask) --

export function maskedTrainStep(conn: WorkerConn, seqs: readonly PackedSequence[], lr: number): Promise<TrainStepResponse> {
  const sequences: TokenSequence[] = seqs.map((s) => ({ tokens: s.tokens, loss_mask: s.loss_mask }))
  return conn.invoke('trainStep', { sequences, learning_rate: lr }, 600_000)
}

export function generate(conn: WorkerConn, req: GenerateRequest): Promise<GenerateResponse> {
  return conn.invoke('generate', req, 1_800_000)
}

// -- the run --

/** The tokenizer.json of a checkpoint: the run directory's (two levels up from checkpoints/step-N). */
export function checkpointTokenizerPath(checkpoint: string): string {
  return join(dirname(dirname(checkpoint.replace(/\/+$/, ''))), 'tokenizer.json')
}

/**
 * The tokenizer of a checkpoint (or --tokenizer's). When the run directory has none, the error says whether
 * `checkpoint` is a checkpoint at all, and points from a run directory to its checkpoints.
 */
export async function checkpointTokenizer(checkpoint: string, tokenizerFlag?: string): Promise<{ tokenizer: Tokenizer; eosId: number; path: string }> {
  const path = tokenizerFlag ?? checkpointTokenizerPath(checkpoint)
  if (!tokenizerFlag && !existsSync(path)) {
    if (!existsSync(join(checkpoint, 'state.json'))) {
      const steps = existsSync(join(checkpoint, 'checkpoints')) ? (await readdir(join(checkpoint, 'checkpoints'))).filter((d) => /^step-\d+$/.test(d)).sort() : []
      const hint = steps.length ? `; a run directory: give one of its checkpoints, e.g. ${join(checkpoint, 'checkpoints', steps[steps.length - 1])}` : ''
      throw new Error(`--checkpoint ${checkpoint}: not a checkpoint (no state.json)${hint}`)
    }
    throw new Error(`--checkpoint ${checkpoint}: no tokenizer.json in its run directory (${path}); give --tokenizer`)
  }
  return { ...(await loadTokenizer(path)), path }
}

export async function loadTokenizer(path: string): Promise<{ tokenizer: Tokenizer; eosId: number }> {
  const text = await readFile(path, 'utf8').catch(() => { throw new Error(`tokenizer: cannot read ${path}`) })
  const tokenizer = Tokenizer.fromString(text)
  const eosId = tokenizer.tokenId(EOS)
  if (eosId === undefined) throw new Error(`tokenizer ${path}: no ${EOS} token`)
  return { tokenizer, eosId }
}

export interface SftRunConfig {
  checkpoint: string
  tokenizer: string
  outDir: string
  steps: number
  seqLen: number
  batchSize: number
  lr: number
  warmup: number
  seed: number
  /** Default: the generator's chain-of-thought examples. */
  datasets?: SftDatasetSpec[]
  /** {question} is replaced by the question; default: each format's own prompt. */
  promptTemplate?: string
  /** LR schedule kind (default multi_step, as pretraining; the paper's SFT uses constant). */
  schedule?: 'multi_step' | 'constant' | 'cosine'
  /** Save a checkpoint every N steps as well as at the end (0: only at the end). */
  checkpointEvery?: number
}

export interface SftSummary {
  steps: number; first_loss: number | null; last_loss: number | null; tokens: number; response_tokens: number
  tokens_per_sec: number; examples: number; skipped_examples: number; checkpoint: string; init_checkpoint: string
  tokenizer: string; metrics: string; plot: string; wall_sec: number
}

export interface SftHooks {
  onStep?(m: StepMetrics & { response_tokens: number }): void
  onCheckpoint?(c: { path: string; step: number; tokens: number; loss: number; created_at: string }): void | Promise<void>
  shouldStop?(): boolean
}

export async function runSft(cfg: SftRunConfig, conn: WorkerConn, hooks: SftHooks = {}): Promise<SftSummary> {
  const t0 = performance.now()
  await mkdir(cfg.outDir, { recursive: true })
  const { tokenizer, eosId } = await loadTokenizer(cfg.tokenizer)
  const tokOut = join(cfg.outDir, 'tokenizer.json')
  if (tokOut !== cfg.tokenizer) await copyFile(cfg.tokenizer, tokOut)
  const loaded = await conn.invoke<{ path: string }, { step: number; model?: { max_seq_len: number } }>('loadCheckpoint', { path: cfg.checkpoint }, 300_000)
  const maxSeq = loaded.model?.max_seq_len ?? 0
  if (maxSeq && maxSeq < cfg.seqLen) throw new Error(`--seq-len ${cfg.seqLen} exceeds the checkpoint's max_seq_len ${maxSeq} (pretrain with --seq-len >= ${cfg.seqLen})`)
  const source = await sftExampleSource(cfg.datasets ?? [{ uri: GENERATED_SFT, format: 'cot', weight: 1, maxExamples: 0 }], cfg.promptTemplate)
  const cache = new Map<number, EncodedExample>()
  const example = (i: number): EncodedExample => {
    let e = cache.get(i)
    if (!e) {
      const x = source(i)
      e = encodeExample(tokenizer, eosId, x.prompt, x.response)
      if (cache.size > 50_000) cache.clear()
      cache.set(i, e)
    }
    return e
  }
  const packer = new SftPacker(example, cfg.seqLen, mix32(cfg.seed))
  const schedule = {
    kind: cfg.schedule ?? 'multi_step' as const, peakLr: cfg.lr, warmupSteps: Math.min(cfg.warmup, cfg.steps), totalSteps: cfg.steps,
    decayAt: [...PAPER_DECAY_AT], decayFactors: [...PAPER_DECAY_FACTORS], minLrRatio: 0,
  }
  const metricsPath = join(cfg.outDir, 'metrics.jsonl')
  const plotPath = join(cfg.outDir, 'loss.svg')
  await writeFile(metricsPath, '')
  const history: StepMetrics[] = []
  let first: number | null = null, last: number | null = null, tokens = 0, respTokens = 0, trainMs = 0, examples = 0, step = 0
  while (step < cfg.steps) {
    if (hooks.shouldStop?.()) break
    const s0 = performance.now()
    const batch = packer.nextBatch(cfg.batchSize)
    const lr = learningRate(step, schedule)
    const r = await maskedTrainStep(conn, batch, lr)
    const ms = performance.now() - s0
    step++
    first ??= r.loss
    last = r.loss
    tokens += Number(r.input_tokens)
    respTokens += Number(r.tokens)
    trainMs += ms
    examples += batch.reduce((a, s) => a + s.examples, 0)
    const m = {
      step, loss: r.loss, lr, tokens: Number(r.input_tokens), total_tokens: tokens, grad_norm: r.grad_norm,
      tokens_per_sec: Number(r.input_tokens) / (ms / 1000), step_ms: ms, worker_ms: r.step_time_ms, batch_sha256: '',
      time: new Date().toISOString(), response_tokens: Number(r.tokens),
    }
    history.push(m)
    await appendFile(metricsPath, JSON.stringify(m) + '\n')
    hooks.onStep?.(m)
    if (cfg.checkpointEvery && step % cfg.checkpointEvery === 0 && step < cfg.steps) await save(step)
  }
  async function save(at: number): Promise<string> {
    const path = stepDir(cfg.outDir, at)
    const created_at = new Date().toISOString()
    await conn.invoke('saveCheckpoint', {
      path, client_state_json: JSON.stringify({ kind: 'dsmath.sft', step: at, init_checkpoint: cfg.checkpoint, total_tokens: tokens, loss: last, created_at }),
    }, 300_000)
    await hooks.onCheckpoint?.({ path, step: at, tokens, loss: last ?? 0, created_at })
    return path
  }
  const checkpoint = await save(step)
  await writeFile(plotPath, plotMetrics(history, `dsmath sft: ${cfg.outDir}`))
  return {
    steps: step, first_loss: first, last_loss: last, tokens, response_tokens: respTokens,
    tokens_per_sec: trainMs > 0 ? tokens / (trainMs / 1000) : 0, examples, skipped_examples: packer.skipped,
    checkpoint, init_checkpoint: cfg.checkpoint, tokenizer: tokOut, metrics: metricsPath, plot: plotPath,
    wall_sec: (performance.now() - t0) / 1000,
  }
}
