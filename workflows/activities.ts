// Activities of the corpus workflow: each body calls one src/ module. Heartbeats carry the resume point.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApplicationFailure, Context } from '@temporalio/activity'
import { announceShard } from '../src/events/kafka.ts'
import { FastTextModel } from '../src/fasttext/model.ts'
import { loadModels } from '../src/pipeline/document.ts'
import { filterShard, type FilterOptions } from '../src/pipeline/filter-shard.ts'
import { resolveInputs } from '../src/pipeline/inputs.ts'
import { eventMarkerPath, runShardJob, shardIdFor, type Checkpoint, type ShardInfo } from '../src/pipeline/shard-job.ts'
import { buildManifest, writeManifest, type FailedInput } from '../src/shard/manifest.ts'
import { SHARD_SCHEMA_VERSION } from '../src/shard/schema.ts'
import { joinLocation } from '../src/storage/location.ts'
import { isUnreadable, readAll, writeObject } from '../src/storage/store.ts'
import { createLogger, type Logger } from '../src/obs/log.ts'
import {
  badRecords, docsWritten, pagesDropped, pagesProcessed, recordsRead, shardSeconds, shardsAnnounced,
} from '../src/obs/metrics.ts'
import { emptyCounters, type Counters } from '../src/pipeline/counters.ts'
import { UNREADABLE_INPUT } from './failures.ts'
import type { CorpusRunInput, ProcessWarcInput, WarcList } from './types.ts'

const models = new Map<string, Promise<FastTextModel>>()

function modelFor(uri: string): Promise<FastTextModel> {
  let m = models.get(uri)
  if (!m) {
    m = (async () => {
      if (!uri.startsWith('s3://')) return FastTextModel.load(uri)
      const dir = await mkdtemp(join(tmpdir(), 'dsmath-model-'))
      await writeFile(join(dir, 'model.bin'), await readAll(uri))
      return FastTextModel.load(join(dir, 'model.bin'))
    })()
    m.catch(() => models.delete(uri))
    models.set(uri, m)
  }
  return m
}

/** Where a run keeps its WARC list and its batches' results, under --out. */
function runDir(out: string, runId: string): string {
  return joinLocation(out, '_runs', runId)
}

/** Resolves --input and writes the list to storage, one JSON string per line: a Common Crawl dump lists ~90,000
 * WARCs, several MB, past what a Temporal payload may carry. */
export async function listWarcs(input: string, base: string | undefined, out: string, runId: string): Promise<WarcList> {
  const warcs = await resolveInputs(input, base)
  const path = joinLocation(runDir(out, runId), 'warcs.jsonl')
  await writeObject(path, warcs.map((w) => JSON.stringify(w)).join('\n') + '\n', { contentType: 'application/x-ndjson' })
  return { path, count: warcs.length }
}

// Each batch of a run reads the same list: the last few lists read stay in memory.
const lists = new Map<string, Promise<string[]>>()

function readList(path: string): Promise<string[]> {
  let list = lists.get(path)
  if (!list) {
    list = readAll(path).then((b) => b.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as string))
    list.catch(() => lists.delete(path))
    lists.set(path, list)
    if (lists.size > 4) lists.delete(lists.keys().next().value!)
  }
  return list
}

export async function readWarcSlice(list: WarcList, start: number, end: number): Promise<string[]> {
  const warcs = await readList(list.path)
  if (warcs.length !== list.count) throw ApplicationFailure.nonRetryable(`${list.path}: holds ${warcs.length} WARCs, the run listed ${list.count}`)
  return warcs.slice(start, end)
}

function batchResultPath(out: string, runId: string, batch: number): string {
  return joinLocation(runDir(out, runId), `batch-${String(batch).padStart(6, '0')}.json`)
}

interface BatchResult { shards: ShardInfo[]; failed: FailedInput[] }

export async function writeBatchResult(out: string, runId: string, batch: number, result: BatchResult): Promise<string> {
  const path = batchResultPath(out, runId, batch)
  await writeObject(path, JSON.stringify(result) + '\n', { contentType: 'application/json' })
  return path
}

const baseLog = createLogger('corpus-worker')

/** A logger carrying the ids of the current activity: run, workflow, shard, attempt. */
function activityLog(fields: { run_id?: string; shard_id?: string }): Logger {
  const info = Context.current().info
  return baseLog.child({ ...fields, workflow_id: info.workflowExecution?.workflowId, activity: info.activityType, attempt: info.attempt })
}

/** Adds to the metrics what a shard's counters gained since `before` (work done by this attempt). */
function countProgress(before: Counters, after: Counters): void {
  pagesProcessed.inc(after.html_pages - before.html_pages)
  recordsRead.inc(after.records_read - before.records_read)
  docsWritten.inc(after.docs_written - before.docs_written)
  for (const [reason, n] of Object.entries(after.bad_records)) {
    const d = n - (before.bad_records[reason] ?? 0)
    if (d > 0) badRecords.inc({ reason }, d)
  }
  for (const [stage, n] of Object.entries(after.dropped)) {
    const d = n - (before.dropped[stage] ?? 0)
    if (d > 0) pagesDropped.inc({ stage }, d)
  }
}

async function timed<T>(stage: string, log: Logger, fn: () => Promise<T>): Promise<T> {
  const end = shardSeconds.startTimer({ stage })
  try {
    const out = await fn()
    end({ outcome: 'ok' })
    return out
  } catch (err) {
    end({ outcome: 'error' })
    log.warn(`${stage} failed`, { error: (err as Error).message })
    throw err
  }
}

/** Fault injection for tests and chaos runs: a pause after every record, in milliseconds. */
const recordDelayMs = Number(process.env.DSMATH_FAULT_RECORD_DELAY_MS ?? 0)

export async function processWarc(job: ProcessWarcInput): Promise<ShardInfo & { resumed_from: number }> {
  const ctx = Context.current()
  const resumeFrom = ctx.info.heartbeatDetails as Checkpoint | undefined
  const log = activityLog({ run_id: job.runId, shard_id: shardIdFor(job.warcPath) })
  log.info('shard started', { warc_path: job.warcPath, resumed_from: resumeFrom?.offset ?? 0 })
  let last: Checkpoint | undefined = resumeFrom
  let counted = resumeFrom?.counters ?? emptyCounters()
  const info = await timed('score', log, async () => scoreUnlessUnreadable(job.warcPath, async () => runShardJob({
    warcPath: job.warcPath, outBase: job.out, models: await loadModels(await modelFor(job.modelUri)), chunkRows: job.chunkRows, stages: job.stages, resumeFrom,
    onCheckpoint: (cp) => {
      last = cp
      ctx.heartbeat(cp)
      countProgress(counted, cp.counters)
      counted = cp.counters
    },
    afterRecord: async () => {
      ctx.heartbeat(last) // also how a cancellation of the run reaches this activity
      // A cancelled run stops here, between records, at its last checkpoint (the heartbeat above).
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('cancelled')
      if (recordDelayMs > 0) await ctx.sleep(recordDelayMs)
    },
  })))
  countProgress(counted, info.counters)
  log.info('shard scored', { rows: info.rows, records_read: info.counters.records_read, bad_records: info.counters.bad_records, resumed_from: resumeFrom?.offset ?? 0 })
  return { ...info, resumed_from: resumeFrom?.offset ?? 0 }
}

/** A WARC that is missing or not a file fails for good (no retries); the workflow lists it in failed_inputs. */
async function scoreUnlessUnreadable<T>(warcPath: string, score: () => Promise<T>): Promise<T> {
  try {
    return await score()
  } catch (err) {
    if (isUnreadable(err, warcPath)) throw ApplicationFailure.nonRetryable(err.message, UNREADABLE_INPUT)
    throw err
  }
}

export async function filterScoredShard(out: string, scored: ShardInfo, filters: FilterOptions): Promise<ShardInfo> {
  const log = activityLog({ shard_id: scored.shard_id })
  const info = await timed('filter', log, () => filterShard(scored, out, filters))
  for (const [stage, n] of Object.entries(info.counters.dropped)) {
    const d = n - (scored.counters.dropped[stage] ?? 0)
    if (d > 0) pagesDropped.inc({ stage }, d)
  }
  log.info('shard filtered', { rows: info.rows, dropped: info.counters.dropped })
  return { ...scored, ...info } // keeps what the scoring activity recorded beyond ShardInfo (resumed_from)
}

export async function announce(runId: string, out: string, shard: ShardInfo): Promise<'sent' | 'already-announced'> {
  const log = activityLog({ run_id: runId, shard_id: shard.shard_id })
  const outcome = await timed('announce', log, () => announceShard({
    idempotency_key: `${runId}/${shard.shard_id}`, run_id: runId, shard_id: shard.shard_id, path: shard.path,
    rows: shard.rows, bytes: shard.bytes, sha256: shard.sha256, warc_path: shard.warc_path,
    schema_version: SHARD_SCHEMA_VERSION, created_at: new Date().toISOString(), recall_iteration: 0, kind: 'shard',
  }, eventMarkerPath(out, shard.shard_id)))
  shardsAnnounced.inc({ outcome })
  log.info(outcome === 'sent' ? 'shard announced' : 'shard already announced', { outcome })
  return outcome
}

/** The run's manifest, from the results its `batches` batches wrote. */
export async function writeRunManifest(input: CorpusRunInput, batches: number): Promise<string> {
  const shards: ShardInfo[] = [], failed: FailedInput[] = []
  for (let b = 0; b < batches; b++) {
    const r = JSON.parse((await readAll(batchResultPath(input.out, input.runId, b))).toString('utf8')) as BatchResult
    shards.push(...r.shards)
    failed.push(...r.failed)
  }
  return writeManifest(input.out, buildManifest(input.runId, 'temporal', input.input, input.modelUri, shards, failed))
}
