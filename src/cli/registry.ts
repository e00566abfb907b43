import { appendFile } from 'node:fs/promises'
import { status } from '@grpc/grpc-js'
import { consumeShardEvents } from '../events/kafka.ts'
import { call, registryClient, startRegistryServer } from '../../services/registry/server.ts'
import { intFlag, log, parse } from './args.ts'

const USAGE = `
dsmath registry serve [--host H] [--port P] [--state FILE] [--group G] [--no-consume]
Serves dsmath.v1.ShardRegistryService over gRPC (health checking and reflection included) and consumes
the dsmath.shards topic (consumer group --group, default dsmath-registry), handing each event to the
service; a repeated event changes nothing. Set DSMATH_AUTH_TOKEN to require a bearer token.
  --state FILE   append-only registry log (default .dsmath/registry.jsonl)
`

export async function registryServe(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    host: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, group: { type: 'string' }, 'no-consume': { type: 'boolean' },
  }, USAGE)
  const authToken = process.env.DSMATH_AUTH_TOKEN || undefined
  const host = (values.host as string | undefined) ?? '127.0.0.1'
  const statePath = (values.state as string | undefined) ?? '.dsmath/registry.jsonl'
  const server = await startRegistryServer({ host, port: intFlag(values, 'port', 50051), statePath, authToken })
  log(`registry listening on ${host}:${server.port}`)
  let consumer: Awaited<ReturnType<typeof consumeShardEvents>> | undefined
  if (!values['no-consume']) {
    const client = registryClient(`127.0.0.1:${server.port}`)
    const group = (values.group as string | undefined) ?? 'dsmath-registry'
    const rejectedLog = `${statePath}.rejected.jsonl`
    consumer = await consumeShardEvents(group, async (event) => {
      try {
        const res = await call(client.registerShard.bind(client), { event }, { authToken })
        log(`${res.created ? 'registered' : 'already registered'} ${event.idempotency_key} (${res.entry?.rows} rows)`)
      } catch (err) {
        const code = (err as { code?: number }).code
        if (code !== status.INVALID_ARGUMENT && code !== status.FAILED_PRECONDITION) throw err
        // A permanently bad event must not block the partition: record it and move on.
        await appendFile(rejectedLog, JSON.stringify({ event, error: (err as Error).message, at: new Date().toISOString() }) + '\n')
        log(`rejected ${event.idempotency_key}: ${(err as Error).message} (recorded in ${rejectedLog})`)
      }
    }, (err) => log(`event handling failed, will retry: ${err.message}`))
    log(`consuming dsmath.shards as group ${group}`)
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await consumer?.close()
  await server.close()
  return 0
}
