import type { Message } from '@platformatic/kafka'
import { scanShardTopic } from '../../src/events/kafka.ts'

/** Every committed message on the shards topic, from the beginning. */
export async function readAllShardEvents(): Promise<Message<string, string, string, string>[]> {
  const out: Message<string, string, string, string>[] = []
  await scanShardTopic([], (m) => { out.push(m); return true })
  return out
}
