import { connectWorkerConnection, createCorpusWorker, quietRuntime, temporalAddress } from '../../workflows/worker.ts'
import { createLogger } from '../obs/log.ts'
import { metricsPort, startMetricsServer } from '../obs/metrics.ts'
import { intFlag, parse, UsageError } from './args.ts'

const USAGE = `
dsmath worker [--task-queue Q] [--max-activities N] [--namespace NS] [--metrics-port P]
Runs a Temporal worker for corpus workflows (Temporal at $DSMATH_TEMPORAL_ADDRESS, default 127.0.0.1:7233).
Stops on SIGINT/SIGTERM after in-flight activities heartbeat their last checkpoint.
Logs are JSON lines on stderr (run_id, workflow_id, shard_id). --metrics-port (or $DSMATH_METRICS_PORT)
serves Prometheus metrics on http://0.0.0.0:P/metrics.
`

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    'task-queue': { type: 'string' }, 'max-activities': { type: 'string' }, namespace: { type: 'string' }, 'metrics-port': { type: 'string' },
  }, USAGE)
  const log = createLogger('corpus-worker')
  let port: number | undefined
  try { port = metricsPort(values['metrics-port']) } catch (err) { throw new UsageError(`--metrics-port: ${(err as Error).message}`) }
  quietRuntime(process.env.DSMATH_LOG_LEVEL === 'info' ? 'INFO' : 'WARN', true)
  const connection = await connectWorkerConnection()
  const worker = await createCorpusWorker({
    connection, taskQueue: values['task-queue'] as string | undefined, namespace: values.namespace as string | undefined,
    maxActivities: intFlag(values, 'max-activities', 4, 1),
  })
  const metrics = port === undefined ? undefined : await startMetricsServer(port)
  log.info(`worker ready: Temporal ${temporalAddress()}, task queue ${worker.options.taskQueue}`, {
    temporal: temporalAddress(), task_queue: worker.options.taskQueue, metrics_port: metrics?.port,
  })
  await worker.run()
  await connection.close()
  await metrics?.close()
  return 0
}
