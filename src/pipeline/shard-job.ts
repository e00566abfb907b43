// One WARC file -> one scored Parquet shard (scored/<shard>.parquet), resumable. Rows are staged in chunk files as the file is read;
// after each chunk the caller gets a checkpoint (next record offset, chunks written, counters) to persist
// (a Temporal heartbeat, or nothing for local runs). A retry given that checkpoint resumes at the offset,
// keeps the chunks before it, and the final shard holds every record exactly once.
import { createHash } from 'node:crypto'
import { decodeParquet, encodeParquet } from '../shard/parquet.ts'
import type { ShardRow } from '../shard/schema.ts'
import { basename, joinLocation } from '../storage/location.ts'
import { NotFoundError, readAll, readStream, removeObject, removePrefix, writeObject } from '../storage/store.ts'
import { readWarc } from '../warc/reader.ts'
import { isBad } from '../warc/record.ts'
import { addCounters, bump, emptyCounters, type Counters } from './counters.ts'
import { recordToRow, type Models, type StageOptions } from './document.ts'

export interface Checkpoint {
  /** File offset of the first record not yet in a staged chunk. */
  offset: number
  /** Chunks staged so far (chunk-00000 .. chunk-(n-1)). */
  chunks: number
  counters: Counters
}

export interface ShardInfo {
  shard_id: string
  path: string
  warc_path: string
  rows: number
  bytes: number
  sha256: string
  counters: Counters
}

export interface ShardJob {
  warcPath: string
  outBase: string
  models: Models
  stages?: StageOptions
  resumeFrom?: Checkpoint
  /** Stage a chunk after this many rows (and at least at the end). */
  chunkRows?: number
  onCheckpoint?: (cp: Checkpoint) => void | Promise<void>
  /** Called after every record; lets tests and fault campaigns slow a worker down. */
  afterRecord?: () => Promise<void>
}

/** Stable shard id for a WARC: its file name plus a short hash of the full location. */
export function shardIdFor(warcPath: string): string {
  const name = basename(warcPath).replace(/\.(warc|arc)(\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_')
  return `${name}-${createHash('sha1').update(warcPath).digest('hex').slice(0, 8)}`
}

/** The final shard, after the filter phase (filter-shard.ts). */
export function shardPath(outBase: string, shardId: string): string {
  return joinLocation(outBase, 'shards', `${shardId}.parquet`)
}

/** The shard as the scoring job writes it: every HTML page with its text and score, before the filter phase. */
export function scoredShardPath(outBase: string, shardId: string): string {
  return joinLocation(outBase, 'scored', `${shardId}.parquet`)
}

/** Where the exactly-once announcement of a shard keeps its state (see events/kafka.ts). */
export function eventMarkerPath(outBase: string, shardId: string): string {
  return joinLocation(outBase, '_events', `${shardId}.json`)
}

const chunkPath = (outBase: string, shardId: string, i: number): string =>
  joinLocation(outBase, '_staging', shardId, `chunk-${String(i).padStart(5, '0')}.parquet`)

/** Written once the scored shard is complete, before its staging area goes: what that attempt returned. */
const finishedPath = (outBase: string, shardId: string): string => joinLocation(outBase, '_staging', `${shardId}.finished.json`)

async function readFinished(outBase: string, shardId: string): Promise<ShardInfo | null> {
  try {
    return JSON.parse((await readAll(finishedPath(outBase, shardId))).toString('utf8')) as ShardInfo
  } catch (err) {
    if (err instanceof NotFoundError) return null
    throw err
  }
}

export async function runShardJob(job: ShardJob): Promise<ShardInfo> {
  const shardId = shardIdFor(job.warcPath)
  // A retry of an attempt that finished the shard but whose completion was lost (its heartbeats timed out just
  // before it returned): the staging area is gone, so return what that attempt wrote instead of resuming.
  if (job.resumeFrom) {
    const finished = await readFinished(job.outBase, shardId)
    if (finished) return finished
  } else {
    // A fresh start: what an earlier run into the same output finished must not answer this run's retries.
    await removeObject(finishedPath(job.outBase, shardId))
  }
  const chunkRows = job.chunkRows ?? 2000
  const cp: Checkpoint = job.resumeFrom
    ? structuredClone(job.resumeFrom)
    : { offset: 0, chunks: 0, counters: emptyCounters() }
  let pending: ShardRow[] = []
  // Counters of records read since the last checkpoint; merged into the checkpoint when a chunk is staged.
  let uncommitted = emptyCounters()

  const stage = async (nextOffset: number): Promise<void> => {
    if (pending.length > 0) {
      await writeObject(chunkPath(job.outBase, shardId, cp.chunks), encodeParquet(pending))
      cp.chunks++
    }
    pending = []
    cp.offset = nextOffset
    cp.counters = addCounters(cp.counters, uncommitted)
    uncommitted = emptyCounters()
    await job.onCheckpoint?.(structuredClone(cp))
  }

  // Blocks may be reused by the reader (reuseBlocks): recordToRow reads each synchronously and keeps only strings.
  for await (const rec of readWarc(readStream(job.warcPath, cp.offset), cp.offset, { reuseBlocks: true })) {
    if (isBad(rec)) {
      bump(uncommitted.bad_records, rec.bad)
      await quarantine(job, shardId, rec.offset, rec.length, rec.bad, rec.message, rec.raw)
    } else {
      const row = recordToRow(rec, job.warcPath, job.models, uncommitted, job.stages)
      if (row) pending.push(row)
      if (pending.length >= chunkRows && rec.resumeOffset !== null) await stage(rec.resumeOffset)
    }
    await job.afterRecord?.()
  }
  cp.counters = addCounters(cp.counters, uncommitted)
  return finishShard(job, shardId, cp, pending)
}

async function quarantine(job: ShardJob, shardId: string, offset: number, length: number, reason: string, message: string, raw: Buffer): Promise<void> {
  const base = joinLocation(job.outBase, 'quarantine', shardId, `${offset}`)
  await writeObject(`${base}.bin`, raw)
  await writeObject(`${base}.json`, JSON.stringify({ warc_path: job.warcPath, offset, length, reason, message, raw_bytes: raw.length }) + '\n')
}

/** Writes the staged chunks plus the rows read since into the shard, and removes the staging area. */
async function finishShard(job: ShardJob, shardId: string, cp: Checkpoint, tail: ShardRow[]): Promise<ShardInfo> {
  const rows: ShardRow[] = []
  for (let i = 0; i < cp.chunks; i++) rows.push(...decodeParquet(await readAll(chunkPath(job.outBase, shardId, i))))
  rows.push(...tail)
  const bytes = encodeParquet(rows)
  const path = scoredShardPath(job.outBase, shardId)
  await writeObject(path, bytes)
  const info: ShardInfo = {
    shard_id: shardId, path, warc_path: job.warcPath, rows: rows.length, bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'), counters: cp.counters,
  }
  await writeObject(finishedPath(job.outBase, shardId), JSON.stringify(info))
  await removePrefix(joinLocation(job.outBase, '_staging', shardId) + '/')
  return info
}
