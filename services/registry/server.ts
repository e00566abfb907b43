// ShardRegistryService over gRPC, with health checking and reflection; optionally fed by the
// dsmath.shards consumer, which hands each event to the service through a loopback gRPC client.
import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { HealthImplementation } from 'grpc-health-check'
import type { ShardEvent } from '../../src/gen/dsmath/v1/events.ts'
import {
  ShardRegistryServiceClient, ShardRegistryServiceService, type RegisterShardResponse, type ShardEntry,
  type ShardRegistryServiceServer,
} from '../../src/gen/dsmath/v1/registry.ts'
import { parquetRowCount } from '../../src/shard/parquet.ts'
import { parseLocation } from '../../src/storage/location.ts'
import { readAll } from '../../src/storage/store.ts'
import { RpcError, safeService, unary } from '../grpc-common.ts'
import { RegistryStore } from './store.ts'

const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url))
const SERVICE_NAME = 'dsmath.v1.ShardRegistryService'

function validateEvent(e: ShardEvent | undefined): ShardEvent {
  if (!e) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'event: required')
  for (const f of ['idempotency_key', 'run_id', 'shard_id', 'path', 'sha256'] as const) {
    if (!e[f]) throw new RpcError(grpc.status.INVALID_ARGUMENT, `event.${f}: required`)
  }
  if (e.idempotency_key !== `${e.run_id}/${e.shard_id}`) {
    throw new RpcError(grpc.status.INVALID_ARGUMENT, `event.idempotency_key: must be run_id/shard_id ('${e.run_id}/${e.shard_id}')`)
  }
  if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'event.sha256: must be 64 hex digits')
  return e
}

export class Registry {
  private inflight = new Map<string, Promise<RegisterShardResponse>>()

  constructor(private readonly store: RegistryStore) {}

  /** Idempotent: the first call for a key reads the shard and records it; later calls return that entry. */
  register(event: ShardEvent | undefined): Promise<RegisterShardResponse> {
    const e = validateEvent(event)
    const existing = this.store.get(e.idempotency_key)
    if (existing) return Promise.resolve({ entry: existing, created: false })
    let p = this.inflight.get(e.idempotency_key)
    if (!p) {
      p = this.registerNew(e).finally(() => this.inflight.delete(e.idempotency_key))
      this.inflight.set(e.idempotency_key, p)
      return p
    }
    return p.then((r) => ({ entry: r.entry, created: false }))
  }

  private async registerNew(e: ShardEvent): Promise<RegisterShardResponse> {
    let bytes: Buffer
    try {
      // A FIFO or device would block the read, and every later registration behind it.
      const loc = parseLocation(e.path)
      if (loc.kind === 'file' && !(await stat(loc.path)).isFile()) throw new Error(`${e.path} is not a regular file`)
      bytes = await readAll(e.path)
    } catch (err) {
      throw new RpcError(grpc.status.FAILED_PRECONDITION, `event.path: cannot read shard: ${(err as Error).message}`)
    }
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (sha !== e.sha256) throw new RpcError(grpc.status.FAILED_PRECONDITION, `event.sha256: shard ${e.path} has sha256 ${sha}`)
    const entry: ShardEntry = {
      idempotency_key: e.idempotency_key, run_id: e.run_id, shard_id: e.shard_id, path: e.path,
      rows: rowCountOf(e.path, bytes), bytes: bytes.length, sha256: sha, registered_at: new Date().toISOString(),
    }
    await this.store.add(entry)
    return { entry, created: true }
  }

  get(key: string): ShardEntry {
    if (!key) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'idempotency_key: required')
    const e = this.store.get(key)
    if (!e) throw new RpcError(grpc.status.NOT_FOUND, `idempotency_key: no shard '${key}'`)
    return e
  }

  list(runId: string): ShardEntry[] {
    return this.store.list(runId)
  }
}

function rowCountOf(path: string, bytes: Buffer): number {
  try {
    return parquetRowCount(bytes)
  } catch (err) {
    throw new RpcError(grpc.status.FAILED_PRECONDITION, `event.path: ${path} is not a Parquet shard (${(err as Error).message})`)
  }
}

export interface RunningRegistry {
  port: number
  registry: Registry
  close(): Promise<void>
}

export async function startRegistryServer(opts: { host?: string; port?: number; statePath: string; authToken?: string }): Promise<RunningRegistry> {
  const registry = new Registry(await RegistryStore.open(opts.statePath))
  const impl: ShardRegistryServiceServer = {
    registerShard: unary((req) => registry.register(req.event)),
    getShard: unary((req) => ({ entry: registry.get(req.idempotency_key) })),
    listShards: unary((req) => ({ shards: registry.list(req.run_id) })),
  }
  const server = new grpc.Server()
  server.addService(...safeService(ShardRegistryServiceService, impl, opts.authToken))
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' })
  health.addToServer(server)
  new ReflectionService(loadSync('dsmath/v1/registry.proto', { includeDirs: [SCHEMAS] })).addToServer(server)
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port}: ${err.message}`)) : resolve(p))),
  )
  return {
    port, registry,
    close: () => new Promise<void>((resolve) => {
      health.setStatus('', 'NOT_SERVING')
      server.tryShutdown(() => resolve())
    }),
  }
}

export function registryClient(address: string): ShardRegistryServiceClient {
  return new ShardRegistryServiceClient(address, grpc.credentials.createInsecure())
}

/** Calls a unary method with a deadline and, when a token is given, the bearer metadata. */
export function call<Req, Res>(
  fn: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req, opts: { deadlineMs?: number; authToken?: string } = {},
): Promise<Res> {
  const md = new grpc.Metadata()
  if (opts.authToken) md.set('authorization', `Bearer ${opts.authToken}`)
  return new Promise((resolve, reject) => {
    fn(req, md, { deadline: Date.now() + (opts.deadlineMs ?? 30_000) }, (err, res) => (err ? reject(err) : resolve(res)))
  })
}
