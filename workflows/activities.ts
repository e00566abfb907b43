// Activities of the corpus workflow: each body calls one src/ module. Heartbeats carry the resume point.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Context } from '@temporalio/activity'
import { announceShard } from '../src/events/kafka.ts'
import { FastTextModel } from '../src/fasttext/model.ts'
import { loadModels } from '../src/pipeline/document.ts'
import { filterShard, type FilterOptions } from '../src/pipeline/filter-shard.ts'
import { resolveInputs } from '../src/pipeline/inputs.ts'
import { eventMarkerPath, runShardJob, type Checkpoint, type ShardInfo } from '../src/pipeline/shard-job.ts'
import { buildManifest, writeManifest } from '../src/shard/manifest.ts'
import { SHARD_SCHEMA_VERSION } from '../src/shard/schema.ts'
import { readAll } from '../src/storage/store.ts'
import type { CorpusRunInput, ProcessWarcInput } from './types.ts'

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

export async function resolveWarcs(input: string, base?: string): Promise<string[]> {
  return resolveInputs(input, base)
}

/** Fault injection for tests and chaos runs: a pause after every record, in milliseconds. */
const recordDelayMs = Number(process.env.DSMATH_FAULT_RECORD_DELAY_MS ?? 0)

export async function processWarc(job: ProcessWarcInput): Promise<ShardInfo & { resumed_from: number }> {
  const ctx = Context.current()
  const resumeFrom = ctx.info.heartbeatDetails as Checkpoint | undefined
  let last: Checkpoint | undefined = resumeFrom
  const info = await runShardJob({
    warcPath: job.warcPath, outBase: job.out, models: await loadModels(await modelFor(job.modelUri)), chunkRows: job.chunkRows, stages: job.stages, resumeFrom,
    onCheckpoint: (cp) => { last = cp; ctx.heartbeat(cp) },
    afterRecord: async () => {
      ctx.heartbeat(last)
      if (recordDelayMs > 0) await ctx.sleep(recordDelayMs)
    },
  })
  ctx.log.info('shard finished', { shard: info.shard_id, rows: info.rows, resumedFrom: resumeFrom?.offset ?? 0 })
  return { ...info, resumed_from: resumeFrom?.offset ?? 0 }
}

export async function filterScoredShard(out: string, scored: ShardInfo, filters: FilterOptions): Promise<ShardInfo> {
  const info = await filterShard(scored, out, filters)
  Context.current().log.info('shard filtered', { shard: info.shard_id, rows: info.rows, dropped: info.counters.dropped })
  return { ...scored, ...info } // keeps what the scoring activity recorded beyond ShardInfo (resumed_from)
}

export async function announce(runId: string, out: string, shard: ShardInfo): Promise<'sent' | 'already-announced'> {
  return announceShard({
    idempotency_key: `${runId}/${shard.shard_id}`, run_id: runId, shard_id: shard.shard_id, path: shard.path,
    rows: shard.rows, bytes: shard.bytes, sha256: shard.sha256, warc_path: shard.warc_path,
    schema_version: SHARD_SCHEMA_VERSION, created_at: new Date().toISOString(), recall_iteration: 0, kind: 'shard',
  }, eventMarkerPath(out, shard.shard_id))
}

export async function writeRunManifest(input: CorpusRunInput, shards: ShardInfo[]): Promise<string> {
  return writeManifest(input.out, buildManifest(input.runId, 'temporal', input.input, input.modelUri, shards))
}
