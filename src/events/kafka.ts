// The dsmath.shards topic: exactly-once announcement of finished shards, and an at-least-once consumer
// whose handlers are idempotent (keyed by the event's idempotency key).
import { createHash } from 'node:crypto'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka'
import { ShardEvent } from '../gen/dsmath/v1/events.ts'
import { SHARD_SCHEMA_VERSION } from '../shard/schema.ts'
import { readAll, writeObject, NotFoundError } from '../storage/store.ts'
import { consumerReconnects, eventErrors, eventsConsumed } from '../obs/metrics.ts'
import { trackLag } from './lag.ts'

export const SHARDS_TOPIC = process.env.DSMATH_SHARDS_TOPIC ?? 'dsmath.shards'
const READ_COMMITTED = 1

export function kafkaBrokers(): string[] {
  return (process.env.DSMATH_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim()).filter(Boolean)
}

function describeKafkaError(err: unknown, what: string): Error {
  const e = err as Error & { errors?: Error[] }
  const inner = e.errors?.map((x) => x.message).join('; ')
  const refused = /ECONNREFUSED|connect/i.test(`${e.message} ${inner ?? ''}`)
  return new Error(`${what}: ${refused ? `Kafka at ${kafkaBrokers().join(',')} is unreachable` : e.message}${inner && !refused ? ` (${inner})` : ''}`)
}

export async function ensureTopic(topic = SHARDS_TOPIC, partitions = 1): Promise<void> {
  const admin = new Admin({ clientId: 'dsmath-admin', bootstrapBrokers: kafkaBrokers(), retries: 2 })
  try {
    const topics = await admin.listTopics()
    if (!topics.includes(topic)) await admin.createTopics({ topics: [topic], partitions, replicas: 1 })
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw describeKafkaError(err, `creating topic ${topic}`)
  } finally {
    await admin.close()
  }
}

export function encodeEvent(e: ShardEvent): string {
  return JSON.stringify(ShardEvent.toJSON(e))
}

/**
 * A message of the topic as a ShardEvent, or an error saying what is wrong with it. fromJSON alone turns any
 * value into a number (`"rows":"abc"` is NaN), and such an event would then fail downstream on every retry
 * and hold its partition.
 */
export function decodeEvent(value: string): ShardEvent {
  const raw: unknown = JSON.parse(value)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a JSON object')
  const e = ShardEvent.fromJSON(raw)
  for (const f of ['idempotency_key', 'run_id', 'shard_id', 'path', 'sha256'] as const) if (!e[f]) throw new Error(`${f}: required`)
  for (const f of ['rows', 'bytes'] as const) if (!Number.isSafeInteger(e[f]) || e[f] < 0) throw new Error(`${f}: must be a whole number >= 0`)
  if (!Number.isInteger(e.recall_iteration) || e.recall_iteration < 0 || e.recall_iteration > INT32_MAX) throw new Error('recall_iteration: must be a whole number >= 0')
  // Older shard schemas only lack later columns; a newer one may change what this reader relies on.
  if (!Number.isInteger(e.schema_version) || e.schema_version < 1 || e.schema_version > SHARD_SCHEMA_VERSION) {
    throw new Error(`schema_version: ${e.schema_version} is not one this reader knows (1 to ${SHARD_SCHEMA_VERSION})`)
  }
  return e
}

const INT32_MAX = 2 ** 31 - 1

interface Marker {
  state: 'sending' | 'done'
  /** Per-partition end offsets (read_committed) taken before the send. */
  since?: string[]
  /** The announcement it is about: a marker of another run (the same --out, a new run id) or of another version
   * of the shard does not stand for this one. */
  key?: string
  sha256?: string
}

/**
 * Announces a shard on the topic exactly once, even when the caller is retried after dying at any point.
 * Protocol: a marker object beside the shard records the intent ('sending', with the topic's end offsets)
 * before a transactional send and 'done' after the commit. A retry first starts a transaction with the
 * same transactional id, which fences the dead attempt and aborts its open transaction; then, if the
 * marker says 'sending', it scans the topic from the recorded offsets for the key and sends only if absent.
 */
export async function announceShard(event: ShardEvent, markerPath: string): Promise<'sent' | 'already-announced'> {
  const found = await readMarker(markerPath)
  const marker = found && found.key === event.idempotency_key && found.sha256 === event.sha256 ? found : null
  if (marker?.state === 'done') return 'already-announced'
  const about = { key: event.idempotency_key, sha256: event.sha256 }
  const txId = `dsmath-shards-${createHash('sha1').update(event.idempotency_key).digest('hex').slice(0, 20)}`
  const producer = new Producer({
    clientId: 'dsmath-announcer', bootstrapBrokers: kafkaBrokers(), serializers: stringSerializers,
    idempotent: true, transactionalId: txId, producerId: -1n, producerEpoch: -1, retries: 3,
  })
  try {
    // InitProducerId for this transactional id fences any earlier attempt and aborts its open
    // transaction; nothing is sent in this one, so it is only dropped locally.
    const fence = await producer.beginTransaction()
    await fence.cancel()
    if (marker?.state === 'sending' && (await keyOnTopic(event.idempotency_key, marker.since ?? []))) {
      await writeObject(markerPath, JSON.stringify({ state: 'done', ...about } satisfies Marker))
      return 'already-announced'
    }
    await writeObject(markerPath, JSON.stringify({ state: 'sending', since: await endOffsets(), ...about } satisfies Marker))
    const tx = await producer.beginTransaction()
    await tx.send({ messages: [{ topic: SHARDS_TOPIC, key: event.idempotency_key, value: encodeEvent(event) }] })
    await tx.commit()
    await writeObject(markerPath, JSON.stringify({ state: 'done', ...about } satisfies Marker))
    return 'sent'
  } catch (err) {
    throw describeKafkaError(err, `announcing shard ${event.idempotency_key}`)
  } finally {
    await producer.close().catch(() => {})
  }
}

async function readMarker(path: string): Promise<Marker | null> {
  try {
    return JSON.parse((await readAll(path)).toString('utf8')) as Marker
  } catch (err) {
    if (err instanceof NotFoundError) return null
    throw err
  }
}

async function endOffsets(): Promise<string[]> {
  const consumer = new Consumer({ groupId: 'dsmath-offsets', clientId: 'dsmath-offsets', bootstrapBrokers: kafkaBrokers() })
  try {
    const offsets = await consumer.listOffsets({ topics: [SHARDS_TOPIC], isolationLevel: READ_COMMITTED })
    return (offsets.get(SHARDS_TOPIC) ?? []).map(String)
  } finally {
    await consumer.close()
  }
}

/** Whether a committed message with this key sits on the topic at or after the given offsets. */
async function keyOnTopic(key: string, since: string[]): Promise<boolean> {
  let found = false
  await scanShardTopic(since.map(BigInt), (m) => {
    found = m.key === key
    return !found
  })
  return found
}

/**
 * Reads the committed messages of the shards topic from the given per-partition offsets up to the current
 * end, calling `visit` for each until it returns false. Transaction markers take offsets but are never
 * delivered, so the end is also reached when no message arrives for `idleMs`.
 */
export async function scanShardTopic(
  starts: bigint[], visit: (m: Message<string, string, string, string>) => boolean, idleMs = 1500,
): Promise<void> {
  const ends = (await endOffsets()).map(BigInt)
  const from = ends.map((_, p) => starts[p] ?? 0n)
  const remaining = new Set(ends.map((e, p) => (e > from[p] ? p : -1)).filter((p) => p >= 0))
  if (remaining.size === 0) return
  const consumer = new Consumer({
    groupId: `dsmath-scan-${process.pid}-${Date.now()}`, clientId: 'dsmath-scan', bootstrapBrokers: kafkaBrokers(),
    deserializers: stringDeserializers,
  })
  const stream = await consumer.consume({
    topics: [SHARDS_TOPIC], mode: 'manual', autocommit: false, isolationLevel: READ_COMMITTED, maxWaitTime: 300,
    offsets: from.map((offset, partition) => ({ topic: SHARDS_TOPIC, partition, offset })),
  })
  const it = (stream as AsyncIterable<Message<string, string, string, string>>)[Symbol.asyncIterator]()
  try {
    while (remaining.size > 0) {
      let timer: NodeJS.Timeout | undefined
      const idle = new Promise<'idle'>((resolve) => { timer = setTimeout(() => resolve('idle'), idleMs) })
      const next = await Promise.race([it.next(), idle])
      clearTimeout(timer)
      if (next === 'idle' || next.done) return
      const m = next.value
      if (!visit(m)) return
      if (m.offset + 1n >= ends[m.partition]) remaining.delete(m.partition)
    }
  } finally {
    await stream.close()
    await consumer.close()
  }
}

export interface ShardEventConsumer {
  close(): Promise<void>
  done: Promise<void>
}

/**
 * Hands every committed event of the topic to `handle`, in order; the offset is committed only after
 * `handle` resolves, so a crash redelivers (the handler must be idempotent) and nothing is skipped.
 * A handler failure is retried every second. When the stream fails or an offset cannot be committed (the
 * broker restarted, the group's generation moved on), the consumer is closed and a new one joins the group
 * and resumes from the committed offsets, every second until it can.
 */
export async function consumeShardEvents(groupId: string, handle: (e: ShardEvent) => Promise<void>, onError?: (err: Error) => void): Promise<ShardEventConsumer> {
  await ensureTopic()
  let closed = false
  interface Session { consumer: Consumer<string, string, string, string>; stream: AsyncIterable<Message<string, string, string, string>> & { close(): Promise<void> }; lag: ReturnType<typeof trackLag> }
  const open = async (): Promise<Session> => {
    const consumer = new Consumer({
      groupId, clientId: groupId, bootstrapBrokers: kafkaBrokers(), deserializers: stringDeserializers,
    })
    const stream = await consumer.consume({
      topics: [SHARDS_TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false, isolationLevel: READ_COMMITTED, maxWaitTime: 500,
    }).catch(async (err) => {
      await consumer.close().catch(() => {})
      throw describeKafkaError(err, `consuming ${SHARDS_TOPIC}`)
    })
    return { consumer, stream: stream as unknown as Session['stream'], lag: trackLag({ group: groupId, topic: SHARDS_TOPIC, consumer, stream }) }
  }
  const shut = async (s: Session): Promise<void> => {
    s.lag.stop()
    await s.stream.close().catch(() => {})
    await s.consumer.close().catch(() => {})
  }
  const consumeSession = async (s: Session): Promise<void> => {
    for await (const m of s.stream) {
      s.lag.busy(true)
      let event: ShardEvent | undefined
      try {
        event = decodeEvent(m.value)
      } catch (err) {
        onError?.(new Error(`skipping undecodable message at ${m.topic}/${m.partition}/${m.offset}: ${(err as Error).message}`))
        eventsConsumed.inc({ group: groupId, outcome: 'undecodable' })
      }
      while (event) {
        try {
          await handle(event)
          break
        } catch (err) {
          if (closed) return
          eventErrors.inc({ group: groupId })
          onError?.(new Error(`handling ${event.idempotency_key} failed, will retry in 1 s: ${(err as Error).message}`, { cause: err }))
          await new Promise((r) => setTimeout(r, 1000))
        }
      }
      await m.commit() // a failure here ends the session: a new consumer resumes from the committed offset
      s.lag.handled(m.partition, m.offset)
      s.lag.busy(false)
    }
  }
  const sessions = superviseSessions({
    first: await open(), open, shut, consume: consumeSession, closed: () => closed, groupId, topic: SHARDS_TOPIC,
    warn: (m) => onError?.(new Error(m)),
  })
  const done = sessions.done
  return {
    done,
    async close() {
      closed = true
      await shut(sessions.current())
      await done.catch(() => {})
    },
  }
}

/**
 * Runs consumer sessions until `closed()`: when a session's stream fails, ends, or a commit is refused, the
 * session is shut and a new one opened (the group joined again from its committed offsets), every second
 * until that succeeds. A broker restart otherwise leaves a consumer stopped for good.
 */
export function superviseSessions<S>(opts: {
  first: S; open(): Promise<S>; shut(s: S): Promise<void>; consume(s: S): Promise<void>
  closed(): boolean; groupId: string; topic: string; warn(message: string): void
}): { done: Promise<void>; current(): S } {
  let session = opts.first
  const done = (async () => {
    while (!opts.closed()) {
      try {
        await opts.consume(session)
        if (opts.closed()) return
        opts.warn(`the ${opts.topic} stream ended; reconnecting`)
      } catch (err) {
        if (opts.closed()) return
        opts.warn(`consumer failed (${(err as Error).message.split('\n')[0]}); reconnecting`)
      }
      await opts.shut(session)
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000))
        if (opts.closed()) return
        try {
          session = await opts.open()
          consumerReconnects.inc({ group: opts.groupId })
          if (opts.closed()) await opts.shut(session)
          break
        } catch (err) {
          opts.warn(`rejoining group ${opts.groupId}: ${(err as Error).message.split('\n')[0]}`)
        }
      }
    }
  })()
  return { done, current: () => session }
}
