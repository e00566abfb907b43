// The corpus job as a Temporal workflow: resolve the inputs, fan out one scoring activity per WARC file
// (bounded; a WARC that cannot be read at all is listed in the manifest's failed_inputs); filter the scored shards (dedup against the run's index, decontamination) one at a time in WARC
// order, as soon as a shard and every shard before it are scored; announce each final shard on Kafka; then
// write the manifest. Deterministic: no I/O here.
import { ActivityFailure, ApplicationFailure, condition, proxyActivities } from '@temporalio/workflow'
import type * as activities from './activities.ts'
import type { ShardInfo } from '../src/pipeline/shard-job.ts'
import type { FailedInput } from '../src/shard/manifest.ts'
import { UNREADABLE_INPUT } from './failures.ts'
import type { CorpusRunInput, CorpusRunResult } from './types.ts'

const { resolveWarcs, writeRunManifest } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5 },
})
const { filterScoredShard } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 20 },
})
const { announce } = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 20 },
})

export async function corpusWorkflow(input: CorpusRunInput): Promise<CorpusRunResult> {
  // A killed worker is noticed when its heartbeats stop; the retry resumes from the last heartbeat.
  const { processWarc } = proxyActivities<typeof activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds ?? 30} seconds`,
    retry: { initialInterval: '1 second', maximumAttempts: 20 },
  })
  const warcs = await resolveWarcs(input.input, input.base)
  const scored: (ShardInfo | FailedInput | undefined)[] = warcs.map(() => undefined)
  let next = 0
  const scoreLane = async (): Promise<void> => {
    while (next < warcs.length) {
      const i = next++
      try {
        scored[i] = await processWarc({ runId: input.runId, warcPath: warcs[i], out: input.out, modelUri: input.modelUri, chunkRows: input.chunkRows, stages: input.stages })
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : undefined
        if (!(cause instanceof ApplicationFailure && cause.type === UNREADABLE_INPUT)) throw err
        scored[i] = { warc_path: warcs[i], error: cause.message }
      }
    }
  }
  const shards: ShardInfo[] = []
  const failed: FailedInput[] = []
  let announced = 0, alreadyAnnounced = 0
  const filterInOrder = async (): Promise<void> => {
    for (let i = 0; i < warcs.length; i++) {
      await condition(() => scored[i] !== undefined)
      const done = scored[i]!
      if ('error' in done) { failed.push(done); continue }
      const info = await filterScoredShard(input.out, done, input.filters)
      const outcome = await announce(input.runId, input.out, info)
      if (outcome === 'sent') announced++
      else alreadyAnnounced++
      shards.push(info)
    }
  }
  await Promise.all([
    filterInOrder(),
    ...Array.from({ length: Math.max(1, Math.min(input.concurrency, warcs.length)) }, scoreLane),
  ])
  const manifestPath = await writeRunManifest(input, shards, failed)
  return {
    runId: input.runId, manifestPath, shards: shards.length,
    docs: shards.reduce((n, s) => n + s.rows, 0), announced, alreadyAnnounced, failedInputs: failed.length,
  }
}
