// Document deduplication: same normalised URL, same normalised text, then MinHash-LSH near-duplicates.
//
// Keep rule: whatever an index already holds (an earlier batch or run) stays and the new document is dropped.
// Within a batch, documents are taken by math_score, highest first (a missing score counts lowest), ties in input
// order, and each is compared with what has been kept so far, so the best-scored document of a duplicate cluster is
// the one kept. A near-duplicate is an LSH candidate whose estimated Jaccard reaches the threshold.
// A document whose own id (not a position) was committed to the index by an earlier run is that run's copy
// re-processed: it is kept and not added again, so re-running a shard gives the same output.
import { docId, ownId, type Doc } from '../pipeline/docio.ts'
import { DocIndex, sha1, textSha1, type IndexEntry, type IndexStore } from './index-store.ts'
import { DEFAULT_PARAMS, signature, type MinHashParams } from './minhash.ts'
import { normalizeUrl } from './url.ts'

export type DropReason = 'url' | 'exact' | 'near'

export interface Dropped {
  id: string
  reason: DropReason
  duplicate_of: string
  /** Estimated Jaccard of word shingles, for near-duplicates. */
  similarity?: number
}

export interface DedupStats {
  docs: number
  kept: number
  dropped: Record<DropReason, number>
  /** Kept because the index already held them under the same id (a re-run). */
  already_indexed: number
  /** Distinct (document, indexed entry) pairs that shared an LSH band and had their similarity estimated. */
  lsh_candidates: number
  index_entries: number
  params: MinHashParams
  threshold: number
}

export interface DedupOptions {
  params?: Partial<MinHashParams>
  /** Estimated Jaccard at or above which an LSH candidate is a near-duplicate. */
  threshold?: number
  /** Persistent index: read for earlier documents, and given the kept ones (the caller commits). */
  store?: IndexStore
}

export const DEFAULT_THRESHOLD = 0.55

export interface DedupResult {
  kept: Doc[]
  dropped: Dropped[]
  stats: DedupStats
}

export function dedupDocs(docs: Doc[], opts: DedupOptions = {}): DedupResult {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD
  const index = opts.store?.index ?? new DocIndex({ ...DEFAULT_PARAMS, ...opts.params })
  checkParams(index.params, opts.params ?? {})
  const addEntry = (e: IndexEntry): void => { opts.store ? opts.store.add(e) : index.add(e) }
  const batchStart = index.size
  const candidatesBefore = index.candidatesChecked
  const keep = new Array<boolean>(docs.length).fill(false)
  const droppedAt = new Map<number, Dropped>()
  let alreadyIndexed = 0

  for (const i of keepOrder(docs)) {
    const doc = docs[i]
    const id = docId(doc, i)
    // Indexed by an earlier run under its own id, with the same text: a re-run of that input keeps it again.
    const own = ownId(doc) !== undefined ? index.entryOfId(id) : undefined
    if (own !== undefined && own < batchStart && index.entryOfText(textSha1(doc.text)) === own) {
      keep[i] = true
      alreadyIndexed++
      continue
    }
    const entry: IndexEntry = { id, urlSha1: urlSha1(doc), textSha1: textSha1(doc.text), signature: null }
    const match = exactMatch(index, entry)
    if (match) {
      droppedAt.set(i, { id, reason: match.reason, duplicate_of: index.idOf(match.entry) })
      continue
    }
    entry.signature = signature(doc.text, index.params)
    const near = entry.signature ? index.nearest(entry.signature, threshold) : undefined
    if (near) {
      droppedAt.set(i, { id, reason: 'near', duplicate_of: index.idOf(near.entry), similarity: round3(near.similarity) })
      continue
    }
    keep[i] = true
    addEntry(entry)
  }

  const dropped = [...droppedAt.entries()].sort(([a], [b]) => a - b).map(([, d]) => d)
  const count = (reason: DropReason): number => dropped.filter((d) => d.reason === reason).length
  const stats: DedupStats = {
    docs: docs.length,
    kept: docs.length - dropped.length,
    dropped: { url: count('url'), exact: count('exact'), near: count('near') },
    already_indexed: alreadyIndexed,
    lsh_candidates: index.candidatesChecked - candidatesBefore,
    index_entries: index.size,
    params: index.params,
    threshold,
  }
  return { kept: docs.filter((_, i) => keep[i]), dropped, stats }
}

/** Indices by math_score, highest first, ties (and unscored documents) in input order. */
function keepOrder(docs: Doc[]): number[] {
  const score = (d: Doc): number => (typeof d.math_score === 'number' && !Number.isNaN(d.math_score) ? d.math_score : -Infinity)
  return docs.map((_, i) => i).sort((a, b) => score(docs[b]) - score(docs[a]) || a - b)
}

function checkParams(used: MinHashParams, requested: Partial<MinHashParams>): void {
  for (const k of Object.keys(requested) as (keyof MinHashParams)[]) {
    if (requested[k] !== undefined && requested[k] !== used[k]) {
      throw new Error(`the index uses ${k} ${used[k]}, not ${requested[k]}`)
    }
  }
}

function urlSha1(d: Doc): string | null {
  return typeof d.url === 'string' && d.url.trim() !== '' ? sha1(normalizeUrl(d.url)) : null
}

function exactMatch(index: DocIndex, e: IndexEntry): { reason: DropReason; entry: number } | undefined {
  const byUrl = e.urlSha1 ? index.entryOfUrl(e.urlSha1) : undefined
  if (byUrl !== undefined) return { reason: 'url', entry: byUrl }
  const byText = index.entryOfText(e.textSha1)
  if (byText !== undefined) return { reason: 'exact', entry: byText }
  return undefined
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000
