import { appendFile } from 'node:fs/promises'
import { status } from '@grpc/grpc-js'
import { consumeShardEvents } from '../events/kafka.ts'
import { call, registryClient, startRegistryServer } from '../../services/registry/server.ts'
import { createLogger } from '../obs/log.ts'
import { eventsConsumed, metricsPort, startMetricsServer } from '../obs/metrics.ts'
import { intFlag, parse, UsageError } from './args.ts'

const USAGE = `
dsmath registry serve [--host H] [--port P] [--state FILE] [--group G] [--no-consume] [--metrics-port P]
Serves dsmath.v1.ShardRegistryService over gRPC (health checking and reflection included) and consumes
the dsmath.shards topic (consumer group --group, default dsmath-registry), handing each event to the
service; a repeated event changes nothing. Set DSMATH_AUTH_TOKEN to require a bearer token.
  --state FILE   append-only registry log (default .dsmath/registry.jsonl)
  --metrics-port P  serve Prometheus metrics on http://0.0.0.0:P/metrics (or $DSMATH_METRICS_PORT)
Logs are JSON lines on stderr (run_id, shard_id, idempotency_key).
`

export async function registryServe(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    host: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, group: { type: 'string' }, 'no-consume': { type: 'boolean' },
    'metrics-port': { type: 'string' },
  }, USAGE)
  const logger = createLogger('registry')
  let mport: number | undefined
  try { mport = metricsPort(values['metrics-port']) } catch (err) { throw new UsageError(`--metrics-port: ${(err as Error).message}`) }
  const authToken = process.env.DSMATH_AUTH_TOKEN || undefined
  const host = (values.host as string | undefined) ?? '127.0.0.1'
  const statePath = (values.state as string | undefined) ?? '.dsmath/registry.jsonl'
  const server = await startRegistryServer({ host, port: intFlag(values, 'port', 50051), statePath, authToken })
  const metrics = mport === undefined ? undefined : await startMetricsServer(mport)
  logger.info(`registry listening on ${host}:${server.port}`, { port: server.port, state: statePath, metrics_port: metrics?.port })
  let consumer: Awaited<ReturnType<typeof consumeShardEvents>> | undefined
  if (!values['no-consume']) {
    const client = registryClient(`127.0.0.1:${server.port}`)
    const group = (values.group as string | undefined) ?? 'dsmath-registry'
    const rejectedLog = `${statePath}.rejected.jsonl`
    consumer = await consumeShardEvents(group, async (event) => {
      try {
        const res = await call(client.registerShard.bind(client), { event }, { authToken })
        eventsConsumed.inc({ group, outcome: res.created ? 'registered' : 'already-registered' })
        logger.info(`${res.created ? 'registered' : 'already registered'} ${event.idempotency_key} (${res.entry?.rows} rows)`, {
          run_id: event.run_id, shard_id: event.shard_id, idempotency_key: event.idempotency_key, rows: res.entry?.rows, created: res.created,
        })
      } catch (err) {
        const code = (err as { code?: number }).code
        if (code !== status.INVALID_ARGUMENT && code !== status.FAILED_PRECONDITION) throw err
        // A permanently bad event must not block the partition: record it and move on.
        await appendFile(rejectedLog, JSON.stringify({ event, error: (err as Error).message, at: new Date().toISOString() }) + '\n')
        eventsConsumed.inc({ group, outcome: 'rejected' })
        logger.warn(`rejected ${event.idempotency_key}: ${(err as Error).message} (recorded in ${rejectedLog})`, {
          run_id: event.run_id, shard_id: event.shard_id, idempotency_key: event.idempotency_key,
        })
      }
    }, (err) => logger.warn(err.message, { group }))
    logger.info(`consuming dsmath.shards as group ${group}`, { group })
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await consumer?.close()
  await server.close()
  await metrics?.close()
  return 0
}
