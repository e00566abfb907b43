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

export function workflowIdFor(runId: string): string {
  return `corpus-${runId}`
}

export async function submitCorpusRun(client: Client, input: CorpusRunInput, wait: boolean): Promise<{ workflowId: string; result?: CorpusRunResult }> {
  const workflowId = workflowIdFor(input.runId)
  const handle = await client.workflow.start(corpusWorkflow, { taskQueue: CORPUS_TASK_QUEUE, workflowId, args: [input] }).catch((err: Error) => {
    throw err.name === 'WorkflowExecutionAlreadyStartedError' ? new Error(`run ${input.runId} is already running (workflow ${workflowId}); give another --run-id`) : err
  })
  return { workflowId, result: wait ? await handle.result() : undefined }
}
