import { connectWorkerConnection, createCorpusWorker, quietRuntime, temporalAddress } from '../../workflows/worker.ts'
import { intFlag, log, parse } from './args.ts'

const USAGE = `
dsmath worker [--task-queue Q] [--max-activities N] [--namespace NS]
Runs a Temporal worker for corpus workflows (Temporal at $DSMATH_TEMPORAL_ADDRESS, default 127.0.0.1:7233).
Stops on SIGINT/SIGTERM after in-flight activities heartbeat their last checkpoint.
`

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'task-queue': { type: 'string' }, 'max-activities': { type: 'string' }, namespace: { type: 'string' } }, USAGE)
  quietRuntime(process.env.DSMATH_LOG_LEVEL === 'info' ? 'INFO' : 'WARN')
  const connection = await connectWorkerConnection()
  const worker = await createCorpusWorker({
    connection, taskQueue: values['task-queue'] as string | undefined, namespace: values.namespace as string | undefined,
    maxActivities: intFlag(values, 'max-activities', 4, 1),
  })
  log(`worker ready: Temporal ${temporalAddress()}, task queue ${worker.options.taskQueue}`)
  await worker.run()
  await connection.close()
  return 0
}
