// The local executor: every WARC of --input through the scoring job in this process (a few at a time), each
// scored shard through the filter phase in WARC order as soon as it and the ones before it are scored, then
// the manifest.
import type { FastTextModel } from '../fasttext/model.ts'
import { buildManifest, writeManifest, type FailedInput, type Manifest } from '../shard/manifest.ts'
import { basename } from '../storage/location.ts'
import { isUnreadable } from '../storage/store.ts'
import { badTotal } from './counters.ts'
import { loadModels, type StageOptions } from './document.ts'
import { DEFAULT_FILTERS, filterShard, type FilterOptions } from './filter-shard.ts'
import { runShardJob, type ShardInfo } from './shard-job.ts'

export interface LocalRunOptions {
  runId: string
  input: string
  warcs: string[]
  out: string
  model: FastTextModel
  modelPath: string
  concurrency?: number
  stages?: StageOptions
  filters?: FilterOptions
  log?: (msg: string) => void
}

/**
 * A WARC that cannot be read at all (missing, a directory) is recorded in the manifest's failed_inputs and the run
 * carries on with the others, as on Temporal; bad records inside a readable WARC are counted per file; any other
 * error (the output cannot be written, say) ends the run.
 */
export async function runLocal(opts: LocalRunOptions): Promise<{ manifest: Manifest; manifestPath: string }> {
  const models = await loadModels(opts.model)
  const scored = opts.warcs.map(() => deferred<ShardInfo | FailedInput>())
  let next = 0
  const scoreLane = async (): Promise<void> => {
    while (next < opts.warcs.length) {
      const i = next++
      const warcPath = opts.warcs[i]
      try {
        scored[i].resolve(await runShardJob({ warcPath, outBase: opts.out, models, stages: opts.stages }))
      } catch (err) {
        if (isUnreadable(err, warcPath)) { scored[i].resolve({ warc_path: warcPath, error: err.message }); continue }
        scored[i].reject(err)
        throw err
      }
    }
  }
  const scoring = Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 2, opts.warcs.length) }, scoreLane))
  scoring.catch(() => {}) // a failure also rejects its deferred, which the filter loop reports
  const shards: ShardInfo[] = []
  const failed: FailedInput[] = []
  const t0 = Date.now()
  for (let i = 0; i < opts.warcs.length; i++) {
    const done = await scored[i].promise
    const progress = `[${i + 1}/${opts.warcs.length}] ${basename(opts.warcs[i])}`
    if ('error' in done) {
      failed.push(done)
      opts.log?.(`${progress}: failed, skipped: ${done.error}`)
      continue
    }
    const info = await filterShard(done, opts.out, opts.filters ?? DEFAULT_FILTERS)
    shards.push(info)
    opts.log?.(`${progress}: ${info.counters.records_read} records, ` +
      `${info.rows} docs, ${dropTotal(info)} dropped, ${badTotal(info.counters)} bad (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  }
  await scoring
  const manifest = buildManifest(opts.runId, 'local', opts.input, opts.modelPath, shards, failed)
  return { manifest, manifestPath: await writeManifest(opts.out, manifest) }
}

const dropTotal = (info: ShardInfo): number => Object.values(info.counters.dropped).reduce((a, b) => a + b, 0)

interface Deferred<T> { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void }

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {})
  return { promise, resolve, reject }
}
