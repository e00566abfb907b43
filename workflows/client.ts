// Client side of the corpus workflow: backs `dsmath corpus submit`.
import { Client, Connection } from '@temporalio/client'
import { batchProgressQuery, corpusProgressQuery, corpusWorkflow } from './corpus.ts'
import { CORPUS_TASK_QUEUE, type CorpusProgress, type CorpusRunInput, type CorpusRunResult } from './types.ts'
import { temporalAddress } from './worker.ts'

export async function connectClient(address = temporalAddress()): Promise<Client> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: '5s' })
    return new Client({ connection })
  } catch (err) {
    throw new Error(`Temporal at ${address} is unreachable: ${(err as Error).message.split('\n')[0]}`)
  }
}

/** A start refused because the workflow id is taken, said with the run id the user gave. */
export function alreadyRunning(runId: string, workflowId: string): (err: Error) => never {
  return (err) => {
    throw err.name === 'WorkflowExecutionAlreadyStartedError' ? new Error(`run ${runId} is already running (workflow ${workflowId}); give another --run-id`) : err
  }
}

export function workflowIdFor(runId: string): string {
  return `corpus-${runId}`
}

/** A run's progress with WARC counts: the batches done plus what the running batch has filtered. */
export interface CorpusRunProgress extends CorpusProgress { warcsDone: number }

export async function corpusRunProgress(client: Client, workflowId: string): Promise<CorpusRunProgress> {
  const p = await client.workflow.getHandle(workflowId).query(corpusProgressQuery)
  let warcsDone = Math.min(p.warcs ?? 0, p.batchesDone * p.batchSize)
  if (p.batches !== null && p.batchesDone < p.batches) {
    // the running batch; not started yet (or already gone) counts as nothing done in it
    const b = await client.workflow.getHandle(`${workflowId}/batch-${p.batchesDone}`).query(batchProgressQuery).catch(() => null)
    warcsDone += b?.filtered ?? 0
  }
  return { ...p, warcsDone }
}

/**
 * Starts a run. With `onProgress`, while waiting for the result, the run's progress is read every `everyMs`
 * (a failed read is skipped: progress is best effort, the result is not).
 */
export async function submitCorpusRun(client: Client, input: CorpusRunInput, wait: boolean, onProgress?: (p: CorpusRunProgress) => void, everyMs = 1000): Promise<{ workflowId: string; result?: CorpusRunResult }> {
  const workflowId = workflowIdFor(input.runId)
  const handle = await client.workflow.start(corpusWorkflow, { taskQueue: CORPUS_TASK_QUEUE, workflowId, args: [input] })
    .catch(alreadyRunning(input.runId, workflowId))
  if (!wait) return { workflowId }
  let finished = false
  const watching = (async () => {
    while (onProgress && !finished) {
      const p = await corpusRunProgress(client, workflowId).catch(() => null)
      if (p && !finished) onProgress(p)
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  let result: CorpusRunResult
  try {
    result = await handle.result()
  } finally {
    finished = true
    await watching
  }
  const last = onProgress ? await corpusRunProgress(client, workflowId).catch(() => null) : null
  if (last) onProgress!(last)
  return { workflowId, result }
}
