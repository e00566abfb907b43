// A job's feed of corpus shards from a Kafka topic (dsmath.shards by default). Consumed in the job's own
// group with offsets committed only after the shard is appended (fsynced) to the job's shard log, so a crash
// redelivers and nothing is lost; the log is keyed by the event's idempotency key, so a redelivered or
// re-announced shard is counted once.
import { createHash } from 'node:crypto'
import { mkdir, open, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { trackLag, type LagTracker } from '../../src/events/lag.ts'
import { Admin, Consumer, stringDeserializers, type Message, type MessagesStream } from '@platformatic/kafka'
import { decodeEvent, kafkaBrokers, superviseSessions } from '../../src/events/kafka.ts'
import { readAll } from '../../src/storage/store.ts'

export interface ShardRecord {
  key: string
  source: string
  path: string
  sha256: string
  rows: number
  topic: string
  partition: number
  offset: string
  recorded_at: string
}

/** The job's durable list of shards (JSON lines, fsynced per append), replayed on start. */
export class ShardLog {
  readonly records: ShardRecord[] = []
  private readonly keys = new Set<string>()
  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<ShardLog> {
    const log = new ShardLog(path)
    await mkdir(dirname(path), { recursive: true })
    for (const line of (await readFile(path, 'utf8').catch(() => '')).split('\n')) {
      if (!line.trim()) continue
      try {
        const r = JSON.parse(line) as ShardRecord
        if (!log.keys.has(`${r.source}\u0000${r.key}`)) { log.keys.add(`${r.source}\u0000${r.key}`); log.records.push(r) }
      } catch { /* a torn last line: never acknowledged, so Kafka redelivers it */ }
    }
    return log
  }

  has(source: string, key: string): boolean { return this.keys.has(`${source}\u0000${key}`) }

  async append(r: ShardRecord): Promise<boolean> {
    if (this.has(r.source, r.key)) return false
    const fh = await open(this.path, 'a')
    try {
      await fh.write(JSON.stringify(r) + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.keys.add(`${r.source}\u0000${r.key}`)
    this.records.push(r)
    return true
  }
}

export interface ShardFeed {
  /** Resolves once the events on the topic when the feed started have been handled (or after maxWaitMs). */
  caughtUp: Promise<void>
  close(): Promise<void>
}

async function endOffsets(topic: string): Promise<bigint[]> {
  const admin = new Admin({ clientId: 'dsmath-pretrain-admin', bootstrapBrokers: kafkaBrokers(), retries: 2 })
  try {
    const topics = await admin.listTopics()
    if (!topics.includes(topic)) await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 }).catch((e: Error) => { if (!/exists/i.test(e.message)) throw e })
  } finally {
    await admin.close()
  }
  const c = new Consumer({ groupId: 'dsmath-pretrain-offsets', clientId: 'dsmath-pretrain-offsets', bootstrapBrokers: kafkaBrokers() })
  try {
    return ((await c.listOffsets({ topics: [topic], isolationLevel: 1 })).get(topic) ?? []).map(BigInt)
  } finally {
    await c.close()
  }
}

/**
 * Consumes `topic` in `groupId`; each shard event (kind "shard" or empty) whose file reads back with the
 * announced sha256 is appended to `log` for `source`, then `onShard` runs, then the offset is committed.
 * Events that can never be used (undecodable, unreadable or mismatching shard) are reported and skipped.
 */
export async function startShardFeed(opts: {
  topic: string; groupId: string; source: string; log: ShardLog
  onShard(r: ShardRecord): void; onWarning(msg: string): void; maxWaitMs?: number
}): Promise<ShardFeed> {
  const ends = await endOffsets(opts.topic)
  const handled = ends.map(() => -1n)
  let lastActivity = Date.now()
  // A short session: after a crash the restarted service's consumer joins once the dead member's session
  // lapses (seconds, not the client's default minute).
  const newConsumer = (): Consumer<string, string, string, string> => new Consumer({
    groupId: opts.groupId, clientId: opts.groupId, bootstrapBrokers: kafkaBrokers(), deserializers: stringDeserializers,
    sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 1000,
  })
  interface Session { consumer: Consumer<string, string, string, string>; stream: MessagesStream<string, string, string, string>; lag: LagTracker }
  const open = async (consumer = newConsumer()): Promise<Session> => {
    const stream = await consumer.consume({
      topics: [opts.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, isolationLevel: 1, maxWaitTime: 500,
    }).catch(async (err) => {
      await consumer.close().catch(() => {})
      throw err
    })
    return { consumer, stream, lag: trackLag({ group: opts.groupId, topic: opts.topic, consumer, stream }) }
  }
  const shut = async (s: Session): Promise<void> => {
    s.lag.stop()
    await s.stream.close().catch(() => {})
    await s.consumer.close().catch(() => {})
  }
  const first = newConsumer()
  // What the group committed before (a restart): those events are already in the shard log.
  const committed = (await first.listCommittedOffsets({ topics: [{ topic: opts.topic, partitions: ends.map((_, p) => p) }] }).catch(() => new Map<string, bigint[]>())).get(opts.topic) ?? []
  ends.forEach((_, p) => { if ((committed[p] ?? -1n) > 0n) handled[p] = committed[p]! - 1n })
  const session = await open(first)
  let closed = false
  const handle = async (m: Message<string, string, string, string>): Promise<void> => {
    let event
    try {
      event = decodeEvent(m.value)
    } catch (err) {
      opts.onWarning(`${opts.topic}/${m.partition}/${m.offset}: undecodable event skipped (${(err as Error).message})`)
      return
    }
    if (event.kind && event.kind !== 'shard') return
    if (!event.idempotency_key || opts.log.has(opts.source, event.idempotency_key)) return
    let bytes: Buffer
    try {
      bytes = await readAll(event.path)
    } catch (err) {
      opts.onWarning(`shard ${event.idempotency_key}: cannot read ${event.path} (${(err as Error).message}); skipped`)
      return
    }
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (event.sha256 && sha !== event.sha256) {
      opts.onWarning(`shard ${event.idempotency_key}: ${event.path} has sha256 ${sha}, the event says ${event.sha256}; skipped`)
      return
    }
    const r: ShardRecord = {
      key: event.idempotency_key, source: opts.source, path: event.path, sha256: sha, rows: event.rows, topic: opts.topic,
      partition: m.partition, offset: String(m.offset), recorded_at: new Date().toISOString(),
    }
    if (await opts.log.append(r)) opts.onShard(r)
  }
  const consumeSession = async (s: Session): Promise<void> => {
    for await (const m of s.stream as AsyncIterable<Message<string, string, string, string>>) {
      s.lag.busy(true)
      for (;;) {
        try {
          await handle(m) // fails only on a shard log write (or a transient read): retried
          break
        } catch (err) {
          if (closed) return
          opts.onWarning(`shard event ${m.partition}/${m.offset}: ${(err as Error).message}; retrying`)
          await new Promise((r) => setTimeout(r, 1000))
        }
      }
      // A refused commit (the broker restarted, the group's generation moved on) ends the session: a new
      // consumer resumes from the committed offset, and the shard log answers the redelivery as a duplicate.
      await m.commit()
      handled[m.partition] = m.offset
      s.lag.handled(m.partition, m.offset)
      s.lag.busy(false)
      lastActivity = Date.now()
    }
  }
  // When the stream fails, ends, or a commit is refused, close the consumer and join the group again with
  // a new one, every second until it can (as the registry's consumer does, src/events/kafka.ts).
  const sessions = superviseSessions({
    first: session, open, shut, consume: consumeSession, closed: () => closed, groupId: opts.groupId, topic: opts.topic,
    warn: opts.onWarning,
  })
  const done = sessions.done
  done.catch((err) => { if (!closed) opts.onWarning(`consumer stopped: ${(err as Error).message}`) })
  // Caught up: every partition handled up to its end offset at start. Transaction markers take an offset
  // each and are never delivered, so one short of the end also counts once the stream has been idle a while.
  const started = Date.now()
  const caughtUp = new Promise<void>((resolve) => {
    const check = (): void => {
      const idle = Date.now() - lastActivity > 2000
      const ok = ends.every((e, p) => e === 0n || handled[p]! + 1n >= e || (idle && handled[p]! + 2n >= e))
      if (ok || closed || Date.now() - started > (opts.maxWaitMs ?? 60_000)) { resolve(); return }
      setTimeout(check, 200)
    }
    check()
  })
  return {
    caughtUp,
    async close() {
      closed = true
      await shut(sessions.current())
      await done.catch(() => {})
    },
  }
}
