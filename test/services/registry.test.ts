// The shard registry over real gRPC on loopback: idempotent registration, validation, health, restart.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { describe, expect, it } from 'vitest'
import { encodeParquet } from '../../src/shard/parquet.ts'
import type { ShardRow } from '../../src/shard/schema.ts'
import { call, registryClient, startRegistryServer } from '../../services/registry/server.ts'

const row = (i: number): ShardRow => ({
  url: `https://a.org/${i}`, domain: 'a.org', warc_path: 'x.warc.gz', warc_record_id: `<urn:uuid:${i}>`, warc_offset: i, warc_length: 1,
  fetch_time: 0, http_status: 200, charset: 'utf-8', title: '', text: `page ${i}`, lang: 'en', lang_score: 1, math_score: 0.5,
})

async function shardFile(dir: string, rows: number): Promise<{ path: string; sha256: string; bytes: number }> {
  const bytes = encodeParquet(Array.from({ length: rows }, (_, i) => row(i)))
  const path = join(dir, 'shard.parquet')
  await writeFile(path, bytes)
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }
}

describe('ShardRegistryService', () => {
  it('registers a shard once, however often the event arrives, and keeps it across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-registry-'))
    const shard = await shardFile(dir, 7)
    const state = join(dir, 'registry.jsonl')
    const event = { idempotency_key: 'r1/s1', run_id: 'r1', shard_id: 's1', path: shard.path, rows: 7, bytes: shard.bytes, sha256: shard.sha256, warc_path: 'x', schema_version: 1, created_at: '', recall_iteration: 0, kind: 'shard' }

    const server = await startRegistryServer({ statePath: state })
    const client = registryClient(`127.0.0.1:${server.port}`)
    const first = await call(client.registerShard.bind(client), { event })
    const again = await call(client.registerShard.bind(client), { event })
    expect(first.created).toBe(true)
    expect(first.entry?.rows).toBe(7)
    expect(again.created).toBe(false)
    expect((await call(client.listShards.bind(client), { run_id: 'r1' })).shards).toHaveLength(1)

    const bad = await call(client.registerShard.bind(client), { event: { ...event, sha256: 'nope' } }).catch((e) => e)
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT)
    expect(bad.details).toMatch(/^event\.sha256/)
    client.close()
    await server.close()

    const restarted = await startRegistryServer({ statePath: state })
    const client2 = registryClient(`127.0.0.1:${restarted.port}`)
    expect((await call(client2.registerShard.bind(client2), { event })).created).toBe(false)
    expect((await call(client2.getShard.bind(client2), { idempotency_key: 'r1/s1' })).entry?.bytes).toBe(shard.bytes)
    client2.close()
    await restarted.close()
  })

  it('refuses a path that is not a Parquet shard or not a regular file, naming event.path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-registry-'))
    const junk = join(dir, 'junk.parquet')
    await writeFile(junk, 'not parquet')
    const sha256 = createHash('sha256').update('not parquet').digest('hex')
    const fifo = join(dir, 'pipe.parquet')
    execFileSync('mkfifo', [fifo])
    const server = await startRegistryServer({ statePath: join(dir, 'registry.jsonl') })
    const client = registryClient(`127.0.0.1:${server.port}`)
    const event = { idempotency_key: 'r1/junk', run_id: 'r1', shard_id: 'junk', path: junk, rows: 1, bytes: 11, sha256, warc_path: 'x', schema_version: 1, created_at: '', recall_iteration: 0, kind: 'shard' }
    const notParquet = await call(client.registerShard.bind(client), { event }).catch((e) => e)
    expect(notParquet.code, notParquet.details).toBe(grpc.status.FAILED_PRECONDITION)
    expect(notParquet.details).toMatch(new RegExp(`^event\\.path: ${junk} is not a Parquet shard`))
    const pipe = await call(client.registerShard.bind(client), { event: { ...event, idempotency_key: 'r1/pipe', shard_id: 'pipe', path: fifo } }).catch((e) => e)
    expect(pipe.code).toBe(grpc.status.FAILED_PRECONDITION)
    expect(pipe.details).toBe(`event.path: cannot read shard: ${fifo} is not a regular file`)
    client.close()
    await server.close()
  })

  it('answers a request the decoder refuses (rows 2^60, past 2^53) with INVALID_ARGUMENT, not INTERNAL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-registry-'))
    const server = await startRegistryServer({ statePath: join(dir, 'registry.jsonl') })
    // RegisterShardRequest { event: { rows: 2^60 } }, by hand: the generated encoder cannot write it.
    const event = Buffer.from([0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])
    const request = Buffer.concat([Buffer.from([0x0a, event.length]), event])
    const Raw = grpc.makeGenericClientConstructor({
      registerShard: {
        path: '/dsmath.v1.ShardRegistryService/RegisterShard', requestStream: false, responseStream: false,
        requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b,
      },
    }, 'Raw')
    const client = new Raw(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as { registerShard: (r: Buffer, cb: (e: grpc.ServiceError | null) => void) => void; close(): void }
    const err = await new Promise<grpc.ServiceError | null>((resolve) => client.registerShard(request, resolve))
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT)
    expect(err?.details).toMatch(/^request: cannot be decoded/)
    client.close()
    await server.close()
  })

  it('answers health checks and requires the token when one is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-registry-'))
    const server = await startRegistryServer({ statePath: join(dir, 'r.jsonl'), authToken: 's3cret' })
    const client = registryClient(`127.0.0.1:${server.port}`)
    const denied = await call(client.listShards.bind(client), { run_id: '' }).catch((e) => e)
    expect(denied.code).toBe(grpc.status.UNAUTHENTICATED)
    expect((await call(client.listShards.bind(client), { run_id: '' }, { authToken: 's3cret' })).shards).toEqual([])
    const health = new (grpc.makeGenericClientConstructor({
      Check: {
        path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
        requestSerialize: () => Buffer.alloc(0), requestDeserialize: () => ({}),
        responseSerialize: () => Buffer.alloc(0), responseDeserialize: (b: Buffer) => ({ status: b[1] }),
      },
    }, 'Health'))(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Check: (req: object, cb: (e: Error | null, r: { status: number }) => void) => void }
    const res = await new Promise<{ status: number }>((resolve, reject) => health.Check({}, (e, r) => (e ? reject(e) : resolve(r))))
    expect(res.status).toBe(1) // SERVING
    health.close()
    client.close()
    await server.close()
  })
})
