// The filter phase after scoring: a scored shard (scored/<shard>.parquet) -> benchmark decontamination -> URL,
// exact and near-duplicate removal against the run's persistent dedup index -> the final shard
// (shards/<shard>.parquet) plus a report of every drop (reports/<shard>.{dedup,decontam}.jsonl).
//
// Decontamination comes first so that a contaminated page never enters the index, where it would stand for, and
// so drop, a clean copy of the same page.
// Shards go through here one at a time, in WARC order, so which copy of a duplicate stays does not depend on which
// worker finished first: the earliest shard's copy stays (within a shard, the highest score; see dedup.ts). The
// index is committed only after the final shard and its reports are written, and a document whose id the index
// already holds is kept, so a retry after a crash writes the same shard.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadIndex, type BenchmarkIndex } from '../decontam/benchmarks.ts'
import { decontaminate } from '../decontam/decontam.ts'
import { dedupDocs } from '../dedup/dedup.ts'
import { IndexStore } from '../dedup/index-store.ts'
import { decodeParquet, encodeParquet } from '../shard/parquet.ts'
import type { ShardRow } from '../shard/schema.ts'
import { joinLocation, parseLocation } from '../storage/location.ts'
import { NotFoundError, readAll, writeObject } from '../storage/store.ts'
import { addCounters, bump, emptyCounters } from './counters.ts'
import type { Doc } from './docio.ts'
import { shardPath, type ShardInfo } from './shard-job.ts'

export interface FilterOptions {
  dedup: boolean
  decontam: boolean
  /** Benchmark sets for decontamination (default: the bundled sample/benchmarks). */
  benchmarksDir?: string
}

export const DEFAULT_FILTERS: FilterOptions = { dedup: true, decontam: true }

export const dedupIndexLocation = (outBase: string): string => joinLocation(outBase, '_dedup')

const reportPath = (outBase: string, shardId: string, stage: string): string =>
  joinLocation(outBase, 'reports', `${shardId}.${stage}.jsonl`)

const benchmarkIndexes = new Map<string, Promise<BenchmarkIndex>>()

/** The benchmark index, built once per process and directory. */
export function benchmarksFor(dir?: string): Promise<BenchmarkIndex> {
  const key = dir ?? ''
  let index = benchmarkIndexes.get(key)
  if (!index) {
    index = loadIndex(dir)
    index.catch(() => benchmarkIndexes.delete(key))
    benchmarkIndexes.set(key, index)
  }
  return index
}

/** Filters one scored shard into its final shard; `scored` is what the scoring job returned. */
export async function filterShard(scored: ShardInfo, outBase: string, opts: FilterOptions): Promise<ShardInfo> {
  const rows = decodeParquet(await readAll(scored.path))
  const counters = addCounters(emptyCounters(), scored.counters)
  let docs: Doc[] = rows.map((row) => ({ ...row, id: row.warc_record_id, text: row.text }))
  let dedupIndex: DedupIndexHandle | undefined
  try {
    if (opts.decontam) {
      const { kept, report } = decontaminate(docs, await benchmarksFor(opts.benchmarksDir))
      docs = kept
      if (report.length > 0) bump(counters.dropped, 'decontam', report.length)
      await writeObject(reportPath(outBase, scored.shard_id, 'decontam'), jsonLines(report))
    }
    if (opts.dedup) {
      dedupIndex = await openDedupIndex(outBase)
      const { kept, dropped, stats } = dedupDocs(docs, { store: dedupIndex.store })
      docs = kept
      for (const [reason, n] of Object.entries(stats.dropped)) if (n > 0) bump(counters.dropped, `dedup_${reason}`, n)
      await writeObject(reportPath(outBase, scored.shard_id, 'dedup'), jsonLines(dropped))
    }
    const final = docs.map(({ id: _id, ...row }) => row as unknown as ShardRow)
    counters.docs_written = final.length
    const bytes = encodeParquet(final)
    const path = shardPath(outBase, scored.shard_id)
    await writeObject(path, bytes)
    await dedupIndex?.commit()
    return {
      shard_id: scored.shard_id, path, warc_path: scored.warc_path, rows: final.length, bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'), counters,
    }
  } finally {
    await dedupIndex?.close()
  }
}

const jsonLines = (items: object[]): string => items.map((x) => JSON.stringify(x) + '\n').join('')

interface DedupIndexHandle {
  store: IndexStore
  commit(): Promise<void>
  close(): Promise<void>
}

const INDEX_FILES = ['meta.json', 'entries.jsonl'] as const

/**
 * The run's dedup index under <out>/_dedup. A local --out is used in place; an S3 one is copied to a temporary
 * directory and its files written back on commit (one writer at a time: the filter phase is sequential).
 */
async function openDedupIndex(outBase: string): Promise<DedupIndexHandle> {
  const location = dedupIndexLocation(outBase)
  const parsed = parseLocation(location)
  if (parsed.kind === 'file') {
    const store = await IndexStore.open(parsed.path)
    return { store, commit: async () => { await store.commit() }, close: () => store.close() }
  }
  const dir = await mkdtemp(join(tmpdir(), 'dsmath-dedup-'))
  for (const name of INDEX_FILES) {
    try {
      await writeFile(join(dir, name), await readAll(joinLocation(location, name)))
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
    }
  }
  const store = await IndexStore.open(dir)
  return {
    store,
    commit: async () => {
      await store.commit()
      for (const name of INDEX_FILES) await writeObject(joinLocation(location, name), await readFile(join(dir, name)))
    },
    close: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
