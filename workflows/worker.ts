// The dsmath Temporal worker: registers the workflow bundle (corpus and recall) and their activities on the task queue.
import { fileURLToPath } from 'node:url'
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker'
import * as corpusActivities from './activities.ts'
import * as recallActivities from './recall-activities.ts'
import { CORPUS_TASK_QUEUE } from './types.ts'
import { createLogger } from '../src/obs/log.ts'

export const WORKFLOWS_PATH = fileURLToPath(new URL('./index.ts', import.meta.url))

export function temporalAddress(): string {
  return process.env.DSMATH_TEMPORAL_ADDRESS ?? '127.0.0.1:7233'
}

let runtimeInstalled = false
/**
 * Installs the Temporal runtime's logger at `level`. With `json`, its lines (SDK, core, workflow and activity
 * loggers) are JSON objects like the worker's own (src/obs/log.ts), with the SDK's metadata as fields.
 */
export function quietRuntime(level: 'WARN' | 'INFO' = 'WARN', json = false): void {
  if (runtimeInstalled) return
  const jsonLog = json ? createLogger('corpus-worker').child({ source: 'temporal' }) : undefined
  Runtime.install({
    logger: jsonLog
      ? new DefaultLogger(level, (e) => {
        const lvl = e.level === 'ERROR' ? 'error' : e.level === 'WARN' ? 'warn' : e.level === 'INFO' ? 'info' : 'debug'
        jsonLog[lvl](e.message, e.meta as Record<string, unknown> | undefined)
      })
      : new DefaultLogger(level),
  })
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
