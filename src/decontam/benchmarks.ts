// Benchmark sets for decontamination: their question and answer texts, tokenised, indexed by 10-gram, and the
// texts of 3-9 tokens kept whole for exact matching. The sets bundled in sample/benchmarks (see SOURCES.md there)
// are the default; any directory of *.jsonl / *.jsonl.gz files can replace them.
import { readdir, readFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { GramTable, mostlyWords, tokenizeWithWords, Vocabulary } from './ngrams.ts'

export const DEFAULT_BENCHMARKS_DIR = fileURLToPath(new URL('../../sample/benchmarks/', import.meta.url))

/** The paper's rule: a 10-gram match drops a document; shorter texts must match whole. */
export const NGRAM = 10
/** Texts under 3 tokens ("18", "x 2", "yes") are ignored: they occur in countless unrelated pages. */
export const MIN_SHORT = 3

/**
 * Stock phrasing: a 10-gram each of whose STOCK_K-grams occurs in at least STOCK_ITEMS distinct benchmark items
 * is a chain of the benchmarks' common phrases ("is equal to the" / "the sum of the" / "sum of the squares" /
 * "of the squares of" ...): nothing in it is particular to one item, so web pages share it without having seen
 * any benchmark. Such 10-grams are not used, unless a text has no other 10-gram, in which case it keeps them all
 * (no text becomes undetectable). Every other 10-gram is used as the paper does. See README, decontamination.
 */
export const STOCK_K = 4
export const STOCK_ITEMS = 10

export interface IndexOptions {
  /** Leave stock 10-grams out of the index (default true); false uses every mostly-word 10-gram, the paper's rule. */
  stockPhrases?: boolean
}

/** The question fields, first present wins; the answer fields, all used. Field names cover every bundled set. */
const QUESTION_FIELDS = ['question', 'problem', 'informal_statement'] as const
const ANSWER_FIELDS = ['answer', 'Answer', 'golden', 'solution', 'cot', 'informal_proof'] as const
const OWN_ID_FIELDS = ['id', 'unique_id', 'problem_name'] as const

type Row = Record<string, unknown>

export interface BenchmarkItem {
  /** `<set>/<file>:<line>`, plus `#<the item's own id>` when it has one; file names without `.gz`. */
  id: string
  texts: string[]
}

export interface BenchmarkIndex {
  vocab: Vocabulary
  /** Item ids; `textItem` indexes this. */
  items: string[]
  /** Token ids of every indexed text, concatenated; text t is tokens[textStart[t] .. textStart[t + 1]). */
  tokens: Int32Array
  textStart: Int32Array
  textItem: Int32Array
  /** Each distinct 10-gram that is mostly words (`mostlyWords`) and not stock phrasing -> its first position in `tokens`. */
  grams: GramTable
  /** Texts of 3-9 tokens that are mostly words, distinct, grouped by `prefixKey` of their first two token ids. */
  shortByPrefix: Map<number, number[]>
  stats: BenchmarkStats
}

export interface BenchmarkStats {
  files: number
  items: number
  texts: number
  tokens: number
  ngrams: number
  /** 10-grams and short texts left out because they are mostly formula (digits, variables, LaTeX commands). */
  formula_ngrams: number
  /** 10-gram windows left out as stock phrasing (`STOCK_K`, `STOCK_ITEMS`), and how many distinct 10-grams that is. */
  stock_ngrams: number
  stock_distinct: number
  /** Texts all of whose mostly-word 10-grams are stock phrasing, which therefore keep them. */
  stock_kept_texts: number
  /** Texts of 10+ tokens with no mostly-word 10-gram, which therefore keep their formula 10-grams. */
  formula_kept_texts: number
  short_texts: number
  formula_short_texts: number
  /** Texts under 3 tokens. */
  ignored_texts: number
  build_ms: number
}

export async function loadBenchmarks(dir = DEFAULT_BENCHMARKS_DIR): Promise<{ items: BenchmarkItem[]; files: number }> {
  const files = await benchmarkFiles(dir)
  if (files.length === 0) throw new Error(`--benchmarks ${dir}: no *.jsonl or *.jsonl.gz files`)
  const items: BenchmarkItem[] = []
  for (const file of files) {
    const raw = await readFile(join(dir, file))
    const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')
    const name = file.split(sep).join('/').replace(/\.gz$/, '')
    text.split('\n').forEach((line, i) => {
      if (line.trim()) items.push(itemOf(parseRow(line, `${name}:${i + 1}`), `${name}:${i + 1}`))
    })
  }
  return { items, files: files.length }
}

async function benchmarkFiles(dir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(dir, { recursive: true })
  } catch (err) {
    throw new Error(`--benchmarks ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`)
  }
  return entries.filter((f) => /\.jsonl(\.gz)?$/.test(f)).sort()
}

/** JSON, plus the bare NaN values pandas writes (mmlu_stem has a few options exported as NaN), read as null. */
function parseRow(line: string, where: string): Row {
  try {
    return JSON.parse(line) as Row
  } catch {
    try {
      return JSON.parse(line.replace(/(?<=[[:,]\s*)NaN(?=\s*[,\]}])/g, 'null')) as Row
    } catch {
      throw new Error(`benchmark ${where} is not JSON`)
    }
  }
}

export function itemOf(row: Row, where: string): BenchmarkItem {
  const ownId = OWN_ID_FIELDS.map((f) => row[f]).find((v) => typeof v === 'string' || typeof v === 'number')
  const texts = [questionText(row), ...ANSWER_FIELDS.map((f) => row[f])]
    .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
    .map(String)
  return { id: ownId === undefined ? where : `${where}#${ownId}`, texts }
}

/**
 * The question as the model sees it: the stem, or the user's chat message, followed by the options of a
 * multiple-choice item. Options stay with their stem because alone they are generic ("none of the above",
 * 充分不必要条件) and would drop unrelated pages under the short-text rule.
 */
function questionText(row: Row): string | undefined {
  const stem = QUESTION_FIELDS.map((f) => row[f]).find((v) => typeof v === 'string') ?? userMessage(row.messages)
  if (typeof stem !== 'string') return undefined
  return [stem, ...optionTexts(row.options)].join('\n')
}

function userMessage(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined
  const user = messages.find((m) => m?.role === 'user' && typeof m.content === 'string')
  return user?.content
}

function optionTexts(options: unknown): string[] {
  if (typeof options === 'string') return [options]
  if (!Array.isArray(options)) return []
  return options.map((o, i) => (/^\s*\(?[A-Z]\)/.test(String(o)) ? String(o) : `(${String.fromCharCode(65 + i)}) ${String(o)}`))
}

export function buildIndex(items: BenchmarkItem[], files = 0, opts: IndexOptions = {}): BenchmarkIndex {
  const started = performance.now()
  const vocab = new Vocabulary()
  const encoded: EncodedText[] = []
  let ignored = 0
  items.forEach((item, i) => {
    item.texts.forEach((text, j) => {
      const { tokens, words } = tokenizeWithWords(text)
      if (tokens.length < MIN_SHORT) ignored++
      else encoded.push({ item: i, ids: vocab.encode(tokens), words, question: j === 0 })
    })
  })
  if (vocab.size >= 0x4000000) throw new Error(`benchmark vocabulary of ${vocab.size} tokens is too large for prefixKey`)
  const { tokens, words, textStart, textItem } = concatenate(encoded)
  const kgramItems = opts.stockPhrases === false ? undefined : kgramItemCounts(tokens, textStart, textItem, STOCK_K)
  const isQuestion = Uint8Array.from(encoded, (t) => Number(t.question))
  const { grams, formula: formulaGrams, formulaKeptTexts, stock } = indexGrams(tokens, words, textStart, isQuestion, kgramItems)
  const { byPrefix, count: shortCount, formula: formulaShort } = indexShortTexts(tokens, words, textStart, isQuestion)
  return {
    vocab, items: items.map((it) => it.id), tokens, textStart, textItem, grams, shortByPrefix: byPrefix,
    stats: {
      files, items: items.length, texts: encoded.length, tokens: tokens.length, ngrams: grams.size,
      formula_ngrams: formulaGrams, stock_ngrams: stock.windows, stock_distinct: stock.distinct, stock_kept_texts: stock.keptTexts,
      formula_kept_texts: formulaKeptTexts, short_texts: shortCount, formula_short_texts: formulaShort, ignored_texts: ignored,
      build_ms: Math.round(performance.now() - started),
    },
  }
}

/** `question`: the item's first text (its question, when it has one; the rest are answers). */
interface EncodedText { item: number; ids: Int32Array; words: Uint8Array; question: boolean }

function concatenate(encoded: EncodedText[]): { tokens: Int32Array; words: Uint8Array; textStart: Int32Array; textItem: Int32Array } {
  const textStart = new Int32Array(encoded.length + 1)
  encoded.forEach((t, i) => { textStart[i + 1] = textStart[i] + t.ids.length })
  const tokens = new Int32Array(textStart[encoded.length])
  const words = new Uint8Array(tokens.length)
  encoded.forEach((t, i) => {
    tokens.set(t.ids, textStart[i])
    words.set(t.words, textStart[i])
  })
  return { tokens, words, textStart, textItem: Int32Array.from(encoded, (t) => t.item) }
}

/**
 * For each position p of `tokens`, the number of distinct items whose texts hold the k-gram tokens[p .. p + k)
 * (0 where that k-gram would cross the end of its text). Texts of one item are consecutive. k-grams are told
 * apart by their 64-bit key alone: a collision among ~1M k-grams is ~1e-7 likely, and would only raise a count.
 */
function kgramItemCounts(tokens: Int32Array, textStart: Int32Array, textItem: Int32Array, k: number): Int32Array {
  const table = new GramTable(k, tokens.length)
  const slot = new Int32Array(tokens.length).fill(-1)
  const count = new Int32Array(tokens.length), lastItem = new Int32Array(tokens.length).fill(-1)
  let next = 0
  for (let t = 0; t + 1 < textStart.length; t++) {
    const item = textItem[t]
    for (let p = textStart[t]; p + k <= textStart[t + 1]; p++) {
      const s = table.insert(tokens, p, next)
      if (s === next) next++
      slot[p] = s
      if (lastItem[s] !== item) {
        lastItem[s] = item
        count[s]++
      }
    }
  }
  return Int32Array.from(slot, (s) => (s < 0 ? 0 : count[s]))
}

/** Whether the 10-gram at `start` is stock phrasing: each of its STOCK_K-grams is in >= STOCK_ITEMS items. */
function isStock(kgramItems: Int32Array, start: number): boolean {
  for (let p = start; p + STOCK_K <= start + NGRAM; p++) if (kgramItems[p] < STOCK_ITEMS) return false
  return true
}

interface StockCounts { windows: number; distinct: number; keptTexts: number }

function indexGrams(tokens: Int32Array, words: Uint8Array, textStart: Int32Array, isQuestion: Uint8Array, kgramItems?: Int32Array): { grams: GramTable; formula: number; formulaKeptTexts: number; stock: StockCounts } {
  const grams = new GramTable(NGRAM, tokens.length)
  const stockStarts: number[] = []
  let formula = 0, keptTexts = 0, formulaKeptTexts = 0
  for (let t = 0; t + 1 < textStart.length; t++) {
    const end = textStart[t + 1]
    const usable: number[] = [], stock: number[] = [], formulaStarts: number[] = []
    let wordCount = 0 // words in tokens[p .. p + NGRAM)
    for (let p = textStart[t]; p < end; p++) {
      wordCount += words[p]
      const start = p - NGRAM + 1
      if (start < textStart[t]) continue
      if (!mostlyWords(wordCount, NGRAM)) formulaStarts.push(start)
      else if (kgramItems && isStock(kgramItems, start)) stock.push(start)
      else usable.push(start)
      wordCount -= words[start]
    }
    const keepStock = usable.length === 0 && stock.length > 0 // nothing else would find this text: the paper's rule
    if (keepStock) keptTexts++
    // A question that is all formula (`Evaluate $\log_{5^2}5^4$.`) keeps its formula windows for the same reason.
    // Answers do not: a matrix or a sum of fractions as an answer is what clean math pages write too.
    const keepFormula = isQuestion[t] === 1 && usable.length === 0 && stock.length === 0 && formulaStarts.length > 0
    if (keepFormula) {
      formulaKeptTexts++
      for (const start of formulaStarts) grams.insert(tokens, start, start)
    } else {
      formula += formulaStarts.length
    }
    for (const start of usable) grams.insert(tokens, start, start)
    for (const start of stock) {
      if (keepStock) grams.insert(tokens, start, start)
      else stockStarts.push(start)
    }
  }
  // Distinct stock 10-grams left out of the index (one kept for some other text is in the index, so not counted).
  const seen = new GramTable(NGRAM, stockStarts.length)
  let distinct = 0
  for (const start of stockStarts) {
    if (grams.get(tokens, start) >= 0) continue
    if (seen.insert(tokens, start, start) === start) distinct++
  }
  return { grams, formula, formulaKeptTexts, stock: { windows: stockStarts.length, distinct, keptTexts } }
}

export function sameIds(a: Int32Array, aStart: number, b: Int32Array, bStart: number, length: number): boolean {
  if (aStart + length > a.length) return false
  for (let k = 0; k < length; k++) if (a[aStart + k] !== b[bStart + k]) return false
  return true
}

/** Two token ids as one exact number key (ids stay far below 2^26). */
export const prefixKey = (first: number, second: number): number => first * 0x4000000 + second

function indexShortTexts(tokens: Int32Array, words: Uint8Array, textStart: Int32Array, isQuestion: Uint8Array): { byPrefix: Map<number, number[]>; count: number; formula: number } {
  const byPrefix = new Map<number, number[]>()
  const seen = new Set<string>()
  let formula = 0
  for (let t = 0; t + 1 < textStart.length; t++) {
    const start = textStart[t], length = textStart[t + 1] - start
    if (length >= NGRAM) continue
    // A short answer that is mostly formula (`x 2`, `frac 1 2`) is on countless clean pages; a question is not.
    if (!isQuestion[t] && !mostlyWords(words.subarray(start, start + length).reduce((a, b) => a + b, 0), length)) {
      formula++
      continue
    }
    const key = tokens.subarray(start, start + length).join(',')
    if (seen.has(key)) continue
    seen.add(key)
    const prefix = prefixKey(tokens[start], tokens[start + 1])
    const list = byPrefix.get(prefix)
    if (list) list.push(t)
    else byPrefix.set(prefix, [t])
  }
  return { byPrefix, count: seen.size, formula }
}

/** The item whose text holds position `pos` of `tokens`. */
export function itemAt(index: BenchmarkIndex, pos: number): string {
  let lo = 0, hi = index.textStart.length - 2
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (index.textStart[mid] <= pos) lo = mid
    else hi = mid - 1
  }
  return index.items[index.textItem[lo]]
}

export async function loadIndex(dir?: string, opts: IndexOptions = {}): Promise<BenchmarkIndex> {
  const { items, files } = await loadBenchmarks(dir)
  return buildIndex(items, files, opts)
}
