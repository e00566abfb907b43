// Client side of the recall workflow: backs `dsmath recall submit|status` and `dsmath review ...`.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client'
import { recallStatusQuery, recallWorkflow, submitReviewUpdate } from './recall.ts'
import type { RecallRunInput, RecallRunResult, RecallStatus, ReviewSubmission } from './recall-types.ts'
import { alreadyRunning } from './client.ts'
import { CORPUS_TASK_QUEUE } from './types.ts'

export const recallWorkflowId = (runId: string): string => `recall-${runId}`

export async function startRecall(client: Client, input: RecallRunInput): Promise<string> {
  const workflowId = recallWorkflowId(input.runId)
  await client.workflow.start(recallWorkflow, { taskQueue: CORPUS_TASK_QUEUE, workflowId, args: [input] })
    .catch(alreadyRunning(input.runId, workflowId))
  return workflowId
}

export async function recallResult(client: Client, runId: string): Promise<RecallRunResult> {
  return client.workflow.getHandle(recallWorkflowId(runId)).result() as Promise<RecallRunResult>
}

export async function recallStatus(client: Client, runId: string): Promise<RecallStatus> {
  try {
    return await client.workflow.getHandle(recallWorkflowId(runId)).query(recallStatusQuery)
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new Error(`unknown run '${runId}': no workflow ${recallWorkflowId(runId)}`)
    throw err
  }
}

/** Sends a review; a rejected one throws an Error whose message is the workflow's reason. */
export async function submitReview(client: Client, review: ReviewSubmission): Promise<{ accepted: number }> {
  try {
    return await client.workflow.getHandle(recallWorkflowId(review.runId)).executeUpdate(submitReviewUpdate, { args: [review] })
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new Error(err.cause?.message ?? err.message)
    if ((err as Error).name === 'WorkflowNotFoundError') throw new Error(`unknown run '${review.runId}': no workflow ${recallWorkflowId(review.runId)}`)
    throw err
  }
}

/** Runs whose recall workflow is running (newest first), from Temporal's visibility store. */
export async function runningRecalls(client: Client): Promise<string[]> {
  const ids: string[] = []
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'recallWorkflow' AND ExecutionStatus = 'Running'` })) {
    if (wf.workflowId.startsWith('recall-')) ids.push(wf.workflowId.slice('recall-'.length))
  }
  return ids
}
