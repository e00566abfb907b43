import { describe, expect, it } from 'vitest'
import { decodeEvent } from '../../src/events/kafka.ts'
import { ShardEvent } from '../../src/gen/dsmath/v1/events.ts'
import { SHARD_SCHEMA_VERSION } from '../../src/shard/schema.ts'

const good = {
  idempotency_key: 'r/s', run_id: 'r', shard_id: 's', path: '/x/s.parquet', rows: 3, bytes: 100, sha256: 'a'.repeat(64),
  warc_path: 'w.warc.gz', schema_version: SHARD_SCHEMA_VERSION, created_at: '2026-11-30T00:00:00Z', recall_iteration: 0, kind: 'shard',
}

describe('decodeEvent', () => {
  it('reads an event as the producer writes it, and events of older shard schemas', () => {
    expect(decodeEvent(JSON.stringify(ShardEvent.toJSON(good)))).toEqual(good)
    expect(decodeEvent(JSON.stringify(ShardEvent.toJSON({ ...good, schema_version: 1 }))).schema_version).toBe(1)
  })

  it.each([
    ['[1]', /not a JSON object/],
    [JSON.stringify({ ...good, rows: 'abc' }), /^rows: must be a whole number/],
    [JSON.stringify({ ...good, rows: 1.5 }), /^rows: must be a whole number/],
    [JSON.stringify({ ...good, recall_iteration: 1e12 }), /^recall_iteration: /],
    [JSON.stringify({ ...good, schemaVersion: 'v2', schema_version: undefined }), /^schema_version: NaN is not one this reader knows/],
    [JSON.stringify({ ...good, schema_version: SHARD_SCHEMA_VERSION + 1 }), /^schema_version: \d+ is not one this reader knows/],
    [JSON.stringify({ ...good, schema_version: 0 }), /^schema_version: 0 is not/],
    [JSON.stringify({ ...good, path: '' }), /^path: required/],
  ])('refuses %s', (value, why) => {
    expect(() => decodeEvent(value)).toThrow(why)
  })
})
