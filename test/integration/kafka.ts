import { Consumer, stringDeserializers, type Message } from '@platformatic/kafka'
import { kafkaBrokers, SHARDS_TOPIC } from '../../src/events/kafka.ts'

/** Every committed message on the shards topic, read from the beginning by a throwaway group. */
export async function readAllShardEvents(): Promise<Message<string, string, string, string>[]> {
  const consumer = new Consumer({
    groupId: `test-read-${Date.now()}-${Math.random()}`, clientId: 'test', bootstrapBrokers: kafkaBrokers(), deserializers: stringDeserializers,
  })
  const ends = (await consumer.listOffsets({ topics: [SHARDS_TOPIC], isolationLevel: 1 })).get(SHARDS_TOPIC) ?? []
  const out: Message<string, string, string, string>[] = []
  if (ends.every((e) => e === 0n)) { await consumer.close(); return out }
  const stream = await consumer.consume({ topics: [SHARDS_TOPIC], mode: 'earliest', autocommit: false, isolationLevel: 1, maxWaitTime: 300 })
  const pending = new Set(ends.map((e, p) => (e > 0n ? p : -1)).filter((p) => p >= 0))
  for await (const m of stream as AsyncIterable<Message<string, string, string, string>>) {
    out.push(m)
    if (m.offset + 1n >= ends[m.partition]) pending.delete(m.partition)
    if (pending.size === 0) break
  }
  await stream.close()
  await consumer.close()
  return out
}
