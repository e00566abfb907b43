// Activities of the recall workflow: each body calls one step of src/recall/steps.ts. Scoring heartbeats.
import { createHash } from 'node:crypto'
import { Context } from '@temporalio/activity'
import { announceShard } from '../src/events/kafka.ts'
import { parquetRowCount } from '../src/shard/parquet.ts'
import { SHARD_SCHEMA_VERSION } from '../src/shard/schema.ts'
import { joinLocation } from '../src/storage/location.ts'
import { readAll } from '../src/storage/store.ts'
import { loadLabels } from '../src/cli/recall.ts'
import { INITIAL_SEED_SIZE, type IterationReport } from '../src/recall/loop.ts'
import { writeRecallReport, type RecallSummary } from '../src/recall/report.ts'
import { rulesForDomains } from '../src/recall/rules.ts'
import {
  collectionPath, collectStep, extendSeedStep, loadPool, scoreStep, trainStep,
  type CollectResult, type DomainStat, type PoolPage, type RecallParams,
} from '../src/recall/steps.ts'

// The pool is read from the WARCs once per worker process and run (pages are needed to train and to extend
// the seed); a restarted worker reads it again.
const pools = new Map<string, Promise<PoolPage[]>>()
function poolOf(warcs: string[]): Promise<PoolPage[]> {
  const key = warcs.join('\n')
  let pool = pools.get(key)
  if (!pool) {
    pool = loadPool(warcs)
    pool.catch(() => pools.delete(key))
    pools.clear() // one run's pool at a time
    pools.set(key, pool)
  }
  return pool
}

/**
 * Heartbeats every few seconds while `work` runs, so a killed worker's activity is retried after the heartbeat
 * timeout rather than its start-to-close timeout. (fastText training blocks the event loop while it runs, and the
 * workflow gives training a longer heartbeat timeout.)
 */
async function keepAlive<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current()
  ctx.heartbeat()
  const timer = setInterval(() => ctx.heartbeat(), 2000)
  try {
    return await work()
  } finally {
    clearInterval(timer)
  }
}

export async function recallInitialSeedSize(): Promise<number> {
  return INITIAL_SEED_SIZE()
}

export async function recallTrain(a: { out: string; k: number; warcs: string[]; marked: string[]; params: RecallParams }): Promise<string> {
  return keepAlive(async () => trainStep(a.out, a.k, await poolOf(a.warcs), a.marked, a.params))
}

/** Fault injection for tests and chaos runs: a pause after every page scored, in milliseconds. */
const pageDelayMs = Number(process.env.DSMATH_FAULT_RECORD_DELAY_MS ?? 0)

export async function recallScoreWarc(a: { out: string; k: number; warc: string }): Promise<number> {
  const ctx = Context.current()
  return scoreStep(a.out, a.k, a.warc, async (n) => {
    ctx.heartbeat(n)
    if (pageDelayMs > 0) await ctx.sleep(pageDelayMs)
  })
}

export async function recallCollect(a: { out: string; k: number; warcs: string[]; params: RecallParams; reviewed: string[]; labelsPath?: string }): Promise<CollectResult> {
  return keepAlive(async () => {
    const labels = a.labelsPath ? await loadLabels(a.labelsPath) : undefined
    return collectStep(a.out, a.k, a.warcs, a.params, a.reviewed, labels)
  })
}

export async function recallApplyRules(rules: string[], domains: DomainStat[]): Promise<string[]> {
  return rulesForDomains(rules, domains)
}

export async function recallExtendSeed(a: { out: string; k: number; warcs: string[]; marked: string[] }): Promise<number> {
  return keepAlive(async () => extendSeedStep(a.out, a.k, await poolOf(a.warcs), a.marked))
}

export async function recallReport(a: { out: string; runId: string; iterations: IterationReport[]; converged: boolean }): Promise<RecallSummary> {
  const pool = a.iterations.at(-1)?.pages_scored ?? 0
  return keepAlive(() => writeRecallReport(a.out, a.runId, { iterations: a.iterations, converged: a.converged, pool, finalIteration: a.iterations.length }, 0))
}

/**
 * Announces iteration k's collection on the shard topic exactly once (see events/kafka.ts), as a shard of the
 * run with its iteration number, or, with kind 'corpus.ready', as the run's final corpus.
 */
export async function recallAnnounce(a: { out: string; runId: string; k: number; kind: 'shard' | 'corpus.ready' }): Promise<'sent' | 'already-announced'> {
  const path = collectionPath(a.out, a.k)
  const bytes = await readAll(path)
  const shardId = a.kind === 'shard' ? `iteration-${a.k}` : 'corpus.ready'
  return announceShard({
    idempotency_key: `${a.runId}/${shardId}`, run_id: a.runId, shard_id: shardId, path, rows: parquetRowCount(bytes), bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'), warc_path: '', schema_version: SHARD_SCHEMA_VERSION,
    created_at: new Date().toISOString(), recall_iteration: a.k, kind: a.kind,
  }, joinLocation(a.out, '_events', `${shardId}.json`))
}
