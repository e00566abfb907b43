// The pretrain service's shard feed keeps consuming across a Kafka broker restart: a shard announced after the
// restart is recorded (once) and its offset committed, because the feed closes its consumer and rejoins the
// group from the committed offsets (as the registry's consumer does). Runs against a broker of its own
// (test/integration/private-kafka.ts), so stopping it does not disturb the shared dev broker.
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeEvent } from '../../src/events/kafka.ts'
import { ShardLog, startShardFeed, type ShardFeed, type ShardRecord } from '../../services/pretrain/shards.ts'
import { startPrivateKafka, type PrivateKafka } from './private-kafka.ts'

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, limitMs: number, detail: () => string): Promise<number> {
  const t0 = Date.now()
  while (!(await ok())) {
    if (Date.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs / 1000} s\n${detail()}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  return Date.now() - t0
}

describe('pretrain shard feed across a Kafka broker restart', () => {
  let kafka: PrivateKafka | undefined
  let feed: ShardFeed | undefined
  let dir = ''
  const brokersBefore = process.env.DSMATH_KAFKA_BROKERS
  afterAll(async () => {
    await feed?.close()
    await kafka?.destroy()
    if (dir) await rm(dir, { recursive: true, force: true })
    if (brokersBefore === undefined) delete process.env.DSMATH_KAFKA_BROKERS
    else process.env.DSMATH_KAFKA_BROKERS = brokersBefore
  })

  it('records a shard announced after the restart and commits its offset', async () => {
    kafka = await startPrivateKafka()
    process.env.DSMATH_KAFKA_BROKERS = kafka.brokers // kafkaBrokers() reads it on every call
    dir = await mkdtemp(join(tmpdir(), 'dsmath-feed-'))
    const topic = 'dsmath.shards.feed-rejoin'
    const group = 'dsmath-pretrain-feed-rejoin'
    const admin = new Admin({ clientId: 'it-feed', bootstrapBrokers: [kafka.brokers] })
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    await admin.close()

    const events = await Promise.all([0, 1].map(async (i) => {
      const bytes = Buffer.from(`shard ${i}\n`)
      const path = join(dir, `shard-${i}.parquet`) // the feed reads the bytes back and checks the sha256; it does not parse them
      await writeFile(path, bytes)
      return {
        idempotency_key: `feed-rejoin/shard-${i}`, run_id: 'feed-rejoin', shard_id: `shard-${i}`, path, rows: 1, bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'), warc_path: '', schema_version: 1, created_at: new Date().toISOString(),
        recall_iteration: 0, kind: 'shard',
      }
    }))
    const announce = async (i: number): Promise<void> => {
      const producer = new Producer({ clientId: 'it-feed', bootstrapBrokers: [kafka!.brokers], serializers: stringSerializers, retries: 10 })
      try {
        await producer.send({ messages: [{ topic, key: events[i]!.idempotency_key, value: encodeEvent(events[i]!) }] })
      } finally {
        await producer.close()
      }
    }
    const committed = async (): Promise<bigint> => {
      const c = new Consumer({ groupId: group, clientId: 'it-feed-offsets', bootstrapBrokers: [kafka!.brokers] })
      try {
        return (await c.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] })).get(topic)?.[0] ?? -1n
      } catch {
        return -1n
      } finally {
        await c.close().catch(() => {})
      }
    }

    const log = await ShardLog.open(join(dir, 'shards.jsonl'))
    const recorded: ShardRecord[] = []
    const warnings: string[] = []
    const detail = (): string => `recorded: ${recorded.map((r) => r.key).join(', ')}\nwarnings:\n${warnings.join('\n')}`
    feed = await startShardFeed({
      topic, groupId: group, source: 'feed-rejoin', log, maxWaitMs: 5000,
      onShard: (r) => recorded.push(r), onWarning: (m) => warnings.push(m),
    })
    await announce(0)
    await waitFor('shard-0 recorded', () => recorded.length === 1, 60_000, detail)
    await waitFor('offset 1 committed', async () => (await committed()) === 1n, 30_000, detail)

    // Down for 12 s: longer than the client's own retries (3, a second apart), so the stream fails. A short
    // outage the client rides out by itself is not the case under test.
    await kafka.stop()
    await new Promise((r) => setTimeout(r, 12_000))
    await kafka.start()
    await announce(1)
    // The consumer notices the dead connection, rejoins (a session of 10 s), and resumes from offset 1.
    const ms = await waitFor('shard-1 recorded after the broker restart', () => recorded.length === 2, 120_000, detail)
    await waitFor('offset 2 committed after the restart', async () => (await committed()) === 2n, 60_000, detail)
    console.log(`shard-1 recorded ${(ms / 1000).toFixed(1)} s after it was announced; warnings: ${warnings.length}`)

    expect(recorded.map((r) => r.key)).toEqual(['feed-rejoin/shard-0', 'feed-rejoin/shard-1'])
    expect(log.records.map((r) => r.key)).toEqual(['feed-rejoin/shard-0', 'feed-rejoin/shard-1'])
    expect(warnings.some((w) => /reconnecting/.test(w))).toBe(true)

    // A restarted service: a new feed on the same group and log starts from the committed offset 2, catches up
    // on shard-1 announced again (a retried announcer) and records nothing twice.
    await feed.close()
    await announce(1)
    const again = await startShardFeed({
      topic, groupId: group, source: 'feed-rejoin', log, maxWaitMs: 120_000,
      onShard: (r) => recorded.push(r), onWarning: (m) => warnings.push(m),
    })
    feed = again
    const t0 = Date.now()
    await again.caughtUp
    expect(Date.now() - t0).toBeLessThan(60_000)
    await waitFor('offset 3 committed by the new feed', async () => (await committed()) === 3n, 60_000, detail)
    expect(recorded).toHaveLength(2)
    expect(log.records).toHaveLength(2)
  })
})
