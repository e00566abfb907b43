// announceShard on the real broker: once per announcement, and a marker left by another run (the same --out, a
// new run id) or by another version of the shard does not stand for this one.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { announceShard, decodeEvent } from '../../src/events/kafka.ts'
import type { ShardEvent } from '../../src/gen/dsmath/v1/events.ts'
import { SHARD_SCHEMA_VERSION } from '../../src/shard/schema.ts'
import { readAllShardEvents } from './kafka.ts'

const eventOf = (runId: string, sha256: string): ShardEvent => ({
  idempotency_key: `${runId}/s1`, run_id: runId, shard_id: 's1', path: '/x/s1.parquet', rows: 1, bytes: 10, sha256,
  warc_path: 'w.warc.gz', schema_version: SHARD_SCHEMA_VERSION, created_at: new Date().toISOString(), recall_iteration: 0, kind: 'shard',
})

describe('announceShard', () => {
  it('announces a new run into the same output, and a rewritten shard, despite the earlier marker', { timeout: 120_000 }, async () => {
    const marker = join(await mkdtemp(join(tmpdir(), 'dsmath-announce-')), '_events', 's1.json')
    const stamp = Date.now()
    const first = eventOf(`ann-a-${stamp}`, 'a'.repeat(64))
    expect(await announceShard(first, marker)).toBe('sent')
    expect(await announceShard(first, marker)).toBe('already-announced')
    const rerun = eventOf(`ann-b-${stamp}`, 'a'.repeat(64))
    expect(await announceShard(rerun, marker)).toBe('sent')
    const rewritten = eventOf(`ann-b-${stamp}`, 'b'.repeat(64))
    expect(await announceShard(rewritten, marker)).toBe('sent')
    const keys = (await readAllShardEvents()).map((m) => decodeEvent(m.value)).filter((e) => e.run_id.endsWith(`-${stamp}`)).map((e) => `${e.idempotency_key} ${e.sha256[0]}`)
    expect(keys.sort()).toEqual([`ann-a-${stamp}/s1 a`, `ann-b-${stamp}/s1 a`, `ann-b-${stamp}/s1 b`])
  })
})
