// The dsmath Temporal worker: registers the workflow bundle (corpus and recall) and their activities on the task queue.
import { fileURLToPath } from 'node:url'
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker'
import * as corpusActivities from './activities.ts'
import * as recallActivities from './recall-activities.ts'
import { CORPUS_TASK_QUEUE } from './types.ts'

export const WORKFLOWS_PATH = fileURLToPath(new URL('./index.ts', import.meta.url))

export function temporalAddress(): string {
  return process.env.DSMATH_TEMPORAL_ADDRESS ?? '127.0.0.1:7233'
}

let runtimeInstalled = false
export function quietRuntime(level: 'WARN' | 'INFO' = 'WARN'): void {
  if (runtimeInstalled) return
  Runtime.install({ logger: new DefaultLogger(level) })
  runtimeInstalled = true
}

export async function connectWorkerConnection(address = temporalAddress()): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address })
  } catch (err) {
    throw new Error(`Temporal at ${address} is unreachable: ${(err as Error).message.split('\n')[0]}`)
  }
}

export async function createCorpusWorker(opts: {
  connection: NativeConnection; namespace?: string; taskQueue?: string; maxActivities?: number
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? CORPUS_TASK_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: { ...corpusActivities, ...recallActivities },
    maxConcurrentActivityTaskExecutions: opts.maxActivities ?? 4,
  })
}
