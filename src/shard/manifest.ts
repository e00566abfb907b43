import { joinLocation } from '../storage/location.ts'
import { writeObject } from '../storage/store.ts'
import { addCounters, emptyCounters, type Counters } from '../pipeline/counters.ts'
import type { ShardInfo } from '../pipeline/shard-job.ts'

export interface Manifest {
  run_id: string
  created_at: string
  executor: 'local' | 'temporal'
  input: string
  model: string
  shards: Omit<ShardInfo, 'counters'>[]
  counters: Counters
  /** Per-WARC counters, same keys as `counters`. */
  files: { warc_path: string; shard_id: string; counters: Counters }[]
  /** WARCs that could not be read at all (missing, a directory, access denied): no shard, the reason here. */
  failed_inputs: FailedInput[]
}

export interface FailedInput { warc_path: string; error: string }

export function buildManifest(runId: string, executor: Manifest['executor'], input: string, model: string, shards: ShardInfo[], failed: FailedInput[] = []): Manifest {
  const sorted = [...shards].sort((a, b) => a.shard_id.localeCompare(b.shard_id))
  return {
    run_id: runId,
    created_at: new Date().toISOString(),
    executor,
    input,
    model,
    shards: sorted.map(({ counters: _c, ...s }) => s),
    counters: sorted.reduce((acc, s) => addCounters(acc, s.counters), emptyCounters()),
    files: sorted.map((s) => ({ warc_path: s.warc_path, shard_id: s.shard_id, counters: s.counters })),
    failed_inputs: failed,
  }
}

export async function writeManifest(outBase: string, manifest: Manifest): Promise<string> {
  const path = joinLocation(outBase, 'manifest.json')
  await writeObject(path, JSON.stringify(manifest, null, 2) + '\n', { contentType: 'application/json' })
  return path
}
