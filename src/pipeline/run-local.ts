// The local executor: every WARC of --input through the shard job in this process, then the manifest.
import type { FastTextModel } from '../fasttext/model.ts'
import { buildManifest, writeManifest, type Manifest } from '../shard/manifest.ts'
import { basename } from '../storage/location.ts'
import { badTotal } from './counters.ts'
import { loadModels, type StageOptions } from './document.ts'
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
  log?: (msg: string) => void
}

export async function runLocal(opts: LocalRunOptions): Promise<{ manifest: Manifest; manifestPath: string }> {
  const models = await loadModels(opts.model)
  const shards: ShardInfo[] = []
  let next = 0, done = 0
  const worker = async (): Promise<void> => {
    while (next < opts.warcs.length) {
      const warc = opts.warcs[next++]
      const t0 = Date.now()
      const info = await runShardJob({ warcPath: warc, outBase: opts.out, models, stages: opts.stages })
      shards.push(info)
      opts.log?.(`[${++done}/${opts.warcs.length}] ${basename(warc)}: ${info.counters.records_read} records, ${info.rows} docs, ${badTotal(info.counters)} bad (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 2, opts.warcs.length) }, worker))
  const manifest = buildManifest(opts.runId, 'local', opts.input, opts.modelPath, shards)
  return { manifest, manifestPath: await writeManifest(opts.out, manifest) }
}
