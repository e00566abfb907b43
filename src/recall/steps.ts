// The steps of one recall iteration, each reading and writing its state under the run's --out, so the local
// executor (loop.ts) and the Temporal workflow (workflows/recall.ts) run the very same code and a retried or
// resumed step finds what the steps before it wrote:
//   iterations/<k>/model.bin                  classifier of iteration k
//   iterations/<k>/scores/<shard>.jsonl.gz    {url, domain, tokens, math_score, text} per page of one WARC
//   iterations/<k>/collection.parquet         the pages collected in iteration k (its shard)
//   iterations/<k>/seed-added.jsonl.gz        {url, text} of the pages that joined the seed after review k
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { DEFAULT_MODEL_PARAMS, readSeed } from '../fasttext/default-model.ts'
import { FastTextModel, trainSupervised, type TrainParams } from '../fasttext/model.ts'
import { buildSeedLines, shuffle } from '../fasttext/seed.ts'
import { classifierText } from '../fasttext/tokenize.ts'
import { crawlPages } from '../pipeline/crawl-text.ts'
import { readDocs, writeDocs } from '../pipeline/docio.ts'
import { domainOf, MATH_LABEL } from '../pipeline/document.ts'
import { shardIdFor } from '../pipeline/shard-job.ts'
import { joinLocation } from '../storage/location.ts'
import { readAll, writeObject } from '../storage/store.ts'
import { isMathUrl } from './rules.ts'

/**
 * The paper's 3 epochs are sized for a seed of ~1M examples. On the sample crawl's seed (~1,000 passages) they
 * leave most pages at an undecided 0.5 (3 epochs: recall 1.0 at precision 0.74; 10: precision 0.80; 25: the
 * classifier learns the seed by heart and recalls nothing). With the native fastText engine, over seeds 1-3:
 * 5 epochs gave final recall 0.949-0.974, precision 0.966-0.974; 6 epochs 0.962-0.987, 0.955-0.970;
 * 7 epochs 0.979-0.983, 0.955-0.966, with recall rising over 3 iterations instead of 2.
 */
export const RECALL_EPOCHS = 7

export interface RecallParams {
  maxIterations: number
  /** Stop when this share of an iteration's collection was already collected in the previous one. */
  stopOverlap: number
  /** A domain goes to review when more than this share of its pages was collected. */
  domainShare: number
  /** Pages scoring at least this are collection candidates. */
  minScore: number
  /** Keep the top pages up to this many tokens (default: no limit). */
  tokenBudget?: number
  seed: number
  /** Classifier settings (default: the paper's, with a 100k-bucket table, and RECALL_EPOCHS epochs). */
  trainParams?: Partial<TrainParams>
}

export const DEFAULT_RECALL_PARAMS: RecallParams = { maxIterations: 5, stopOverlap: 0.98, domainShare: 0.1, minScore: 0.5, seed: 1 }

export interface PoolPage { url: string; domain: string; text: string; tokens: number }
export interface ScoredPage extends PoolPage { math_score: number }

export interface DomainStat {
  domain: string
  pages: number
  collected: number
  share: number
  /** Up to 50 of its URLs, for the reviewer's path tree. */
  sample_urls: string[]
  /** Its pages' math_score in ten bins (0-0.1, ..., 0.9-1), when scored. */
  score_histogram?: number[]
}

export interface CollectResult {
  /** Distinct pages scored (the pool). */
  pages_scored: number
  pages_collected: number
  tokens_collected: number
  overlap_with_previous: number | null
  score_histogram: number[]
  /** Domains above the share threshold not reviewed before, with sampled URLs for the reviewer. */
  domains_to_review: DomainStat[]
  /** The ten domains with the most pages collected. */
  top_domains: { domain: string; collected: number; pages: number }[]
  recall?: number
  precision?: number
}

const iterationDir = (out: string, k: number): string => joinLocation(out, 'iterations', String(k))
export const modelPath = (out: string, k: number): string => joinLocation(iterationDir(out, k), 'model.bin')
export const scoresPath = (out: string, k: number, warc: string): string => joinLocation(iterationDir(out, k), 'scores', `${shardIdFor(warc)}.jsonl.gz`)
export const collectionPath = (out: string, k: number): string => joinLocation(iterationDir(out, k), 'collection.parquet')
const seedAddedPath = (out: string, k: number): string => joinLocation(iterationDir(out, k), 'seed-added.jsonl.gz')

/** Every HTML page of the WARCs, one per URL, sorted by URL (the same pool for every executor). */
export async function loadPool(warcs: string[]): Promise<PoolPage[]> {
  const byUrl = new Map<string, PoolPage>()
  for await (const p of crawlPages(warcs)) {
    if (!byUrl.has(p.url)) byUrl.set(p.url, { url: p.url, domain: domainOf(p.url), text: p.text, tokens: countTokens(p.text) })
  }
  return [...byUrl.values()].sort((a, b) => a.url.localeCompare(b.url))
}

const countTokens = (text: string): number => text.split(/\s+/).filter(Boolean).length

async function readJsonlGz<T>(path: string): Promise<T[]> {
  return gunzipSync(await readAll(path)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T)
}

const writeJsonlGz = (path: string, rows: object[]): Promise<boolean> =>
  writeObject(path, gzipSync(rows.map((r) => JSON.stringify(r) + '\n').join('')))

/** Pages that joined the seed after the reviews of iterations 1 .. k-1. */
export async function recalledBefore(out: string, k: number): Promise<{ url: string; text: string }[]> {
  const pages: { url: string; text: string }[] = []
  for (let i = 1; i < k; i++) pages.push(...await readJsonlGz<{ url: string; text: string }>(seedAddedPath(out, i)))
  return pages
}

/**
 * Iteration k's classifier: the seed plus the pages recalled through review, against random pool pages (not in
 * the seed, not under a marked math path) as negatives. The classes are balanced by sampling the initial seed
 * down, never the recalled pages: they are what the seed lacked, and a few dozen forum threads sampled down among
 * hundreds of encyclopedia entries would teach the classifier nothing (measured on the sample crawl: recall stuck
 * at 0.83 with uniform sampling). The same seed draws the same negatives every iteration, so iterations differ by
 * what review added, not by sampling noise.
 */
export async function trainStep(out: string, k: number, pool: PoolPage[], markedPaths: string[], params: RecallParams): Promise<string> {
  const recalled = await recalledBefore(out, k)
  const seedUrls = new Set(recalled.map((p) => p.url))
  const seedTexts = readSeed('positives.jsonl.gz')
  const candidates = pool.filter((p) => !seedUrls.has(p.url) && !isMathUrl(markedPaths, p.url))
  const negativeCount = Math.max(1, Math.min(candidates.length, seedTexts.length + recalled.length))
  const negatives = buildSeedLines([], shuffle([...candidates], params.seed).slice(0, negativeCount).map((p) => p.text), params.seed, false).lines
  const recalledLines = buildSeedLines(recalled.map((p) => p.text), [], params.seed, false).lines
  const initial = shuffle(buildSeedLines(seedTexts, [], params.seed, false).lines, params.seed)
  const positives = [...recalledLines, ...initial].slice(0, Math.max(recalledLines.length, negatives.length))
  const model = await trainSupervised(shuffle([...positives, ...negatives], params.seed).join('\n') + '\n',
    { ...DEFAULT_MODEL_PARAMS, epoch: RECALL_EPOCHS, ...params.trainParams })
  const path = modelPath(out, k)
  const dir = await mkdtemp(join(tmpdir(), 'dsmath-recall-model-'))
  try {
    await model.save(join(dir, 'model.bin'))
    await writeObject(path, await readAll(join(dir, 'model.bin')))
  } finally {
    model.dispose()
    await rm(dir, { recursive: true, force: true })
  }
  return path
}

// The classifier of the iteration being scored, kept while its WARCs are scored; a new iteration's replaces it.
let loaded: { path: string; model: Promise<FastTextModel> } | undefined

async function loadModelAt(path: string): Promise<FastTextModel> {
  if (loaded?.path === path) return loaded.model
  const previous = loaded?.model
  const model = (async () => {
    await previous?.then((m) => m.dispose(), () => {})
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-recall-model-'))
    try {
      await writeFile(join(dir, 'model.bin'), await readAll(path))
      return await FastTextModel.load(join(dir, 'model.bin'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
  loaded = { path, model }
  model.catch(() => { if (loaded?.model === model) loaded = undefined })
  return model
}

/** Scores the pages of one WARC with iteration k's classifier; `onPage` lets an activity heartbeat. */
export async function scoreStep(out: string, k: number, warc: string, onPage?: (n: number) => void | Promise<void>): Promise<number> {
  const model = await loadModelAt(modelPath(out, k))
  const rows: ScoredPage[] = []
  const seen = new Set<string>()
  for await (const p of crawlPages([warc])) {
    if (seen.has(p.url)) continue
    seen.add(p.url)
    rows.push({ url: p.url, domain: domainOf(p.url), text: p.text, tokens: countTokens(p.text), math_score: model.probability(classifierText(p.text), MATH_LABEL) })
    await onPage?.(rows.length)
  }
  await writeJsonlGz(scoresPath(out, k, warc), rows)
  return rows.length
}

/**
 * Ranks iteration k's scored pages, keeps the top ones (score >= minScore, up to the token budget), writes the
 * collection, and finds the domains to review. A URL in two WARCs counts once, as in the first.
 */
export async function collectStep(out: string, k: number, warcs: string[], params: RecallParams, reviewedDomains: string[], labels?: Map<string, string>): Promise<CollectResult> {
  const byUrl = new Map<string, ScoredPage>()
  for (const warc of warcs) {
    for (const p of await readJsonlGz<ScoredPage>(scoresPath(out, k, warc))) if (!byUrl.has(p.url)) byUrl.set(p.url, p)
  }
  const scored = [...byUrl.values()].sort((a, b) => a.url.localeCompare(b.url))
  const collection = collect(scored, params.minScore, params.tokenBudget)
  await writeDocs(collectionPath(out, k), collection.map((p) => ({ url: p.url, domain: p.domain, text: p.text, math_score: p.math_score })))
  const urls = new Set(collection.map((p) => p.url))
  const previous = k > 1 ? await collectedUrls(out, k - 1) : null
  const reviewed = new Set(reviewedDomains)
  const stats = domainStats(scored, urls)
  return {
    pages_scored: scored.length,
    pages_collected: collection.length,
    tokens_collected: collection.reduce((n, p) => n + p.tokens, 0),
    overlap_with_previous: previous ? collectionOverlap(urls, previous) : null,
    score_histogram: histogram(scored.map((p) => p.math_score)),
    domains_to_review: stats.filter((d) => d.share > params.domainShare && !reviewed.has(d.domain)),
    top_domains: [...stats].sort((a, b) => b.collected - a.collected || a.domain.localeCompare(b.domain)).slice(0, 10)
      .map(({ domain, collected, pages }) => ({ domain, collected, pages })),
    ...(labels ? quality(urls, labels) : {}),
  }
}

/**
 * How much of the larger of two successive collections the other one shares: while the collection grows, the
 * share of this iteration's pages already collected last time (the paper's measure); a collection that shrank
 * is measured against the previous one, so a collapse (100 pages to 1) is no overlap. Two empty ones: 1.
 */
export function collectionOverlap(current: ReadonlySet<string>, previous: ReadonlySet<string>): number {
  const larger = Math.max(current.size, previous.size)
  if (larger === 0) return 1
  let shared = 0
  for (const u of current) if (previous.has(u)) shared++
  return shared / larger
}

export async function collectedUrls(out: string, k: number): Promise<Set<string>> {
  return new Set((await readDocs(collectionPath(out, k))).map((d) => String(d.url)))
}

/** Pages under the marked math paths, not collected in iteration k and not yet in the seed, join the seed. */
export async function extendSeedStep(out: string, k: number, pool: PoolPage[], markedPaths: string[]): Promise<number> {
  const collected = await collectedUrls(out, k)
  const inSeed = new Set((await recalledBefore(out, k)).map((p) => p.url))
  const added = pool.filter((p) => !collected.has(p.url) && !inSeed.has(p.url) && isMathUrl(markedPaths, p.url))
  await writeJsonlGz(seedAddedPath(out, k), added.map((p) => ({ url: p.url, text: p.text })))
  return added.length
}

export function collect<T extends PoolPage & { math_score: number }>(scored: T[], minScore: number, tokenBudget?: number): T[] {
  const ranked = scored.filter((p) => p.math_score >= minScore).sort((a, b) => b.math_score - a.math_score || a.url.localeCompare(b.url))
  if (tokenBudget === undefined) return ranked
  const out: T[] = []
  let tokens = 0
  for (const p of ranked) {
    if (tokens + p.tokens > tokenBudget) break
    tokens += p.tokens
    out.push(p)
  }
  return out
}

export function domainStats(pool: (PoolPage & { math_score?: number })[], collected: Set<string>): DomainStat[] {
  const byDomain = new Map<string, (PoolPage & { math_score?: number })[]>()
  for (const p of pool) {
    const list = byDomain.get(p.domain)
    if (list) list.push(p)
    else byDomain.set(p.domain, [p])
  }
  return [...byDomain].map(([domain, pages]) => {
    const got = pages.filter((p) => collected.has(p.url))
    const scores = pages.flatMap((p) => (p.math_score === undefined ? [] : [p.math_score]))
    return {
      domain, pages: pages.length, collected: got.length, share: got.length / pages.length, sample_urls: spread(pages, 50).map((p) => p.url),
      ...(scores.length ? { score_histogram: histogram(scores) } : {}),
    }
  }).sort((a, b) => b.share - a.share || a.domain.localeCompare(b.domain))
}

/** Up to n items evenly spaced through the list (so a sample covers every path, not the alphabet's start). */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)])
}

function quality(collected: Set<string>, labels: Map<string, string>): { recall: number; precision: number } {
  const math = [...labels].filter(([, l]) => l === 'math').map(([u]) => u)
  const hit = math.filter((u) => collected.has(u)).length
  return { recall: hit / Math.max(1, math.length), precision: hit / Math.max(1, collected.size) }
}

function histogram(scores: number[]): number[] {
  const bins = new Array(10).fill(0) as number[]
  for (const s of scores) bins[Math.min(9, Math.floor(s * 10))]++
  return bins
}
