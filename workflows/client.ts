// Client side of the corpus workflow: backs `dsmath corpus submit`.
import { Client, Connection } from '@temporalio/client'
import { corpusWorkflow } from './corpus.ts'
import { CORPUS_TASK_QUEUE, type CorpusRunInput, type CorpusRunResult } from './types.ts'
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

export async function submitCorpusRun(client: Client, input: CorpusRunInput, wait: boolean): Promise<{ workflowId: string; result?: CorpusRunResult }> {
  const workflowId = workflowIdFor(input.runId)
  const handle = await client.workflow.start(corpusWorkflow, { taskQueue: CORPUS_TASK_QUEUE, workflowId, args: [input] })
    .catch(alreadyRunning(input.runId, workflowId))
  return { workflowId, result: wait ? await handle.result() : undefined }
}
