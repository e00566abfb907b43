// The corpus job as Temporal workflows. The run resolves its inputs into a list kept in storage (a Common
// Crawl dump lists ~90,000 WARCs, more than a payload may carry), then runs them in batches, one child workflow
// per batch and one batch after another, continuing as new every BATCHES_PER_RUN batches so that no history
// grows with the input. A batch fans out one scoring activity per WARC (bounded; a WARC that cannot be read at
// all is listed in the manifest's failed_inputs) and filters the scored shards (dedup against the run's index,
// decontamination) one at a time in list order, as soon as a shard and every shard before it are scored; it
// announces each final shard on Kafka and writes its shards to storage. The run then writes the manifest.
// Deterministic: no I/O here.
import {
  ActivityFailure, ApplicationFailure, condition, continueAsNew, defineQuery, executeChild, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow'
import type * as activities from './activities.ts'
import type { ShardInfo } from '../src/pipeline/shard-job.ts'
import type { FailedInput } from '../src/shard/manifest.ts'
import { UNREADABLE_INPUT } from './failures.ts'
import { BATCHES_PER_RUN, DEFAULT_BATCH_SIZE } from './limits.ts'
import type {
  BatchProgress, BatchSummary, CorpusBatchInput, CorpusCarry, CorpusProgress, CorpusRunInput, CorpusRunResult,
} from './types.ts'

/** A run's progress: batches done and their totals (the running batch answers batchProgressQuery). */
export const corpusProgressQuery = defineQuery<CorpusProgress>('corpusProgress')
/** A batch's progress: its WARCs scored and filtered so far. */
export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress')

const { listWarcs, readWarcSlice, writeBatchResult, writeRunManifest } = proxyActivities<typeof activities>({
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

/** WARCs per batch: --batch-size, or by default enough that the scoring lanes seldom idle at a batch's end. */
export function batchSizeFor(input: Pick<CorpusRunInput, 'batchSize' | 'concurrency'>): number {
  return Math.max(1, input.batchSize ?? Math.max(DEFAULT_BATCH_SIZE, 4 * input.concurrency))
}

export async function corpusWorkflow(input: CorpusRunInput, carry?: CorpusCarry): Promise<CorpusRunResult> {
  const totals = carry?.totals ?? { shards: 0, docs: 0, announced: 0, alreadyAnnounced: 0, failedInputs: 0 }
  const size = batchSizeFor(input)
  const first = carry?.nextBatch ?? 0
  let list = carry?.list ?? null
  let batch = first
  setHandler(corpusProgressQuery, () => ({
    warcs: list?.count ?? null, batchSize: size, batches: list ? Math.ceil(list.count / size) : null, batchesDone: batch,
    shards: totals.shards, docs: totals.docs, failedInputs: totals.failedInputs,
  }))
  list ??= await listWarcs(input.input, input.base, input.out, input.runId)
  const batches = Math.ceil(list.count / size)
  for (let b = first; b < batches; b++) {
    if (b - first >= (input.batchesPerRun ?? BATCHES_PER_RUN)) return continueAsNew<typeof corpusWorkflow>(input, { list, nextBatch: b, totals })
    const done = await executeChild(corpusBatchWorkflow, {
      workflowId: `${workflowInfo().workflowId}/batch-${b}`,
      args: [{ run: input, list, batch: b, start: b * size, end: Math.min(list.count, (b + 1) * size) }],
    })
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += done[k]
    batch = b + 1
  }
  const manifestPath = await writeRunManifest(input, batches)
  return { runId: input.runId, manifestPath, ...totals }
}

export async function corpusBatchWorkflow(job: CorpusBatchInput): Promise<BatchSummary> {
  const input = job.run
  // A killed worker is noticed when its heartbeats stop; the retry resumes from the last heartbeat.
  const { processWarc } = proxyActivities<typeof activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds ?? 30} seconds`,
    retry: { initialInterval: '1 second', maximumAttempts: 20 },
  })
  const progress: BatchProgress = { warcs: job.end - job.start, scored: 0, filtered: 0 }
  setHandler(batchProgressQuery, () => progress)
  const warcs = await readWarcSlice(job.list, job.start, job.end)
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
      progress.scored++
    }
  }
  const shards: ShardInfo[] = []
  const failed: FailedInput[] = []
  let announced = 0, alreadyAnnounced = 0
  const filterInOrder = async (): Promise<void> => {
    for (let i = 0; i < warcs.length; i++) {
      await condition(() => scored[i] !== undefined)
      const done = scored[i]!
      scored[i] = undefined // the batch's state holds what is still to filter, not every shard seen
      if ('error' in done) failed.push(done)
      else {
        const info = await filterScoredShard(input.out, done, input.filters)
        const outcome = await announce(input.runId, input.out, info)
        if (outcome === 'sent') announced++
        else alreadyAnnounced++
        shards.push(info)
      }
      progress.filtered++
    }
  }
  await Promise.all([
    filterInOrder(),
    ...Array.from({ length: Math.max(1, Math.min(input.concurrency, warcs.length)) }, scoreLane),
  ])
  const resultPath = await writeBatchResult(input.out, input.runId, job.batch, { shards, failed })
  return {
    batch: job.batch, resultPath, shards: shards.length, docs: shards.reduce((n, s) => n + s.rows, 0),
    announced, alreadyAnnounced, failedInputs: failed.length,
  }
}
