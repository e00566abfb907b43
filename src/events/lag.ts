// Consumer lag for dsmath_consumer_lag: per partition, the topic's read_committed end offset minus the next
// offset this consumer will hand to its handler. Transaction markers take an offset each and are never
// delivered, so while the handler is idle and the stream has fetched up to the end, the lag is 0 (not the
// marker's 1).
import type { Consumer, MessagesStream } from '@platformatic/kafka'
import { consumerLag } from '../obs/metrics.ts'

const READ_COMMITTED = 1

export interface LagTracker {
  /** The handler finished the message at `offset` of `partition`. */
  handled(partition: number, offset: bigint): void
  busy(b: boolean): void
  /** Computes the lag now and sets the gauge; returns it per partition. */
  refresh(): Promise<bigint[]>
  stop(): void
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyConsumer = Consumer<any, any, any, any>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStream = MessagesStream<any, any, any, any>

export function trackLag(opts: { group: string; topic: string; consumer: AnyConsumer; stream: AnyStream; intervalMs?: number }): LagTracker {
  const next = new Map<number, bigint>()
  let isBusy = false
  let stopped = false
  const refresh = async (): Promise<bigint[]> => {
    const ends = (await opts.consumer.listOffsets({ topics: [opts.topic], isolationLevel: READ_COMMITTED })).get(opts.topic) ?? []
    const lags = ends.map((end, p) => {
      const fetched = opts.stream.offsetsToFetch.get(`${opts.topic}:${p}`)
      const committed = opts.stream.offsetsCommitted.get(`${opts.topic}:${p}`)
      let pos = next.get(p) ?? committed ?? fetched ?? 0n
      if (!isBusy && fetched !== undefined && fetched >= end && pos >= (committed ?? 0n)) pos = end
      const lag = end > pos ? end - pos : 0n
      consumerLag.set({ group: opts.group, topic: opts.topic, partition: String(p) }, Number(lag))
      return lag
    })
    return lags
  }
  const interval = opts.intervalMs ?? Number(process.env.DSMATH_LAG_INTERVAL_MS ?? 5000)
  const tick = (): void => {
    if (stopped) return
    refresh().catch(() => {}).finally(() => { if (!stopped) timer = setTimeout(tick, interval).unref() })
  }
  let timer = setTimeout(tick, 0).unref()
  return {
    handled: (p, offset) => { next.set(p, offset + 1n) },
    busy: (b) => { isBusy = b },
    refresh,
    stop: () => { stopped = true; clearTimeout(timer) },
  }
}
