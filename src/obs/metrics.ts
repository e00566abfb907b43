// Prometheus metrics of every dsmath process (corpus worker, shard registry and its consumer, pretrain service),
// in one registry, served as text on GET /metrics by startMetricsServer. The PyTorch worker has its own
// (services/worker/metrics.py, prometheus_client) with the same names where they overlap.
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export const registry = new Registry()
let defaultsCollected = false

/** Pages (HTML responses) and records the corpus worker read, counted when a chunk is checkpointed and when a shard ends. */
export const pagesProcessed = new Counter({
  name: 'dsmath_pages_processed_total', help: 'HTML pages processed by the corpus worker (rate() is pages/s)', registers: [registry],
})
export const recordsRead = new Counter({
  name: 'dsmath_records_read_total', help: 'WARC records read by the corpus worker', registers: [registry],
})
export const docsWritten = new Counter({
  name: 'dsmath_docs_written_total', help: 'Documents written to scored shards', registers: [registry],
})
export const badRecords = new Counter({
  name: 'dsmath_bad_records_total', help: 'WARC records that could not be read, by reason (quarantined)', labelNames: ['reason'], registers: [registry],
})
export const pagesDropped = new Counter({
  name: 'dsmath_pages_dropped_total', help: 'Pages dropped by a stage (language, dedup_*, decontam)', labelNames: ['stage'], registers: [registry],
})
export const shardSeconds = new Histogram({
  name: 'dsmath_shard_seconds', help: 'Wall time of one shard activity attempt, by stage (score, filter, announce) and outcome',
  labelNames: ['stage', 'outcome'], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600], registers: [registry],
})
export const shardsAnnounced = new Counter({
  name: 'dsmath_shards_announced_total', help: 'Shard announcements on Kafka, by outcome (sent, already-announced)', labelNames: ['outcome'], registers: [registry],
})

/** Kafka consumers (registry, pretrain shard feed). */
export const consumerLag = new Gauge({
  name: 'dsmath_consumer_lag', help: 'Committed-read end offset minus the next offset this consumer will handle',
  labelNames: ['group', 'topic', 'partition'], registers: [registry],
})
export const eventsConsumed = new Counter({
  name: 'dsmath_events_consumed_total', help: 'Shard events handled by a consumer, by outcome (registered, already-registered, rejected, undecodable)',
  labelNames: ['group', 'outcome'], registers: [registry],
})
export const consumerReconnects = new Counter({
  name: 'dsmath_consumer_reconnects_total', help: 'Times a consumer was closed and joined its group again (stream failed, commit refused)',
  labelNames: ['group'], registers: [registry],
})
export const eventErrors = new Counter({
  name: 'dsmath_event_errors_total', help: 'Failed attempts to handle a shard event (retried)', labelNames: ['group'], registers: [registry],
})

/** Training (pretrain service; the PyTorch worker exports the same names for the steps it runs). */
export const trainLoss = new Gauge({
  name: 'dsmath_train_loss', help: 'Loss of the last training step', labelNames: ['job'], registers: [registry],
})
export const trainTokensPerSecond = new Gauge({
  name: 'dsmath_train_tokens_per_second', help: 'Tokens per second of the last training steps', labelNames: ['job'], registers: [registry],
})
export const trainTokens = new Counter({
  name: 'dsmath_train_tokens_total', help: 'Tokens trained on', labelNames: ['job'], registers: [registry],
})
export const trainSteps = new Counter({
  name: 'dsmath_train_steps_total', help: 'Training steps', labelNames: ['job'], registers: [registry],
})
export const trainStep = new Gauge({
  name: 'dsmath_train_step', help: 'Step of the last training step', labelNames: ['job'], registers: [registry],
})

export const rlRewardMean = new Gauge({
  name: 'dsmath_rl_reward_mean', help: 'Mean reward of the last RL step (GRPO, online RFT)', labelNames: ['job'], registers: [registry],
})

/** One training step of a job (pretrain, SFT, reward model, GRPO): loss, step, and tokens when the step reports them. */
export function observeTrainStep(job: string, m: { step: number; loss: number; tokens?: number; tokensPerSecond?: number; rewardMean?: number }): void {
  trainLoss.set({ job }, m.loss)
  trainStep.set({ job }, m.step)
  trainSteps.inc({ job })
  if (m.tokens !== undefined) trainTokens.inc({ job }, m.tokens)
  if (m.tokensPerSecond !== undefined) trainTokensPerSecond.set({ job }, m.tokensPerSecond)
  if (m.rewardMean !== undefined) rlRewardMean.set({ job }, m.rewardMean)
}

/** The port from the flag, else DSMATH_METRICS_PORT; undefined when neither is set (no server). */
export function metricsPort(flag?: string | boolean): number | undefined {
  const v = typeof flag === 'string' ? flag : process.env.DSMATH_METRICS_PORT
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`metrics port must be an integer in [0, 65535], got '${v}'`)
  return n
}

export interface MetricsServer { port: number; close(): Promise<void> }

/** Serves GET /metrics (Prometheus text format) and GET /healthz. Host from DSMATH_METRICS_HOST, default 0.0.0.0. */
export async function startMetricsServer(port: number, host = process.env.DSMATH_METRICS_HOST ?? '0.0.0.0'): Promise<MetricsServer> {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: registry, prefix: 'dsmath_' })
    defaultsCollected = true
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(text)
      }, (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(err.message)
      })
    } else if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('ok\n')
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`metrics: cannot listen on ${host}:${port}: ${err.message}`)))
    server.listen(port, host, () => resolve())
  })
  server.unref()
  const addr = server.address()
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** For a serve command: starts the metrics server when --metrics-port or DSMATH_METRICS_PORT is given (a bad value is a usage error). */
export async function serveMetrics(flag: string | boolean | undefined): Promise<MetricsServer | undefined> {
  let port: number | undefined
  try {
    port = metricsPort(flag)
  } catch (err) {
    const { UsageError } = await import('../cli/args.ts')
    throw new UsageError(`--metrics-port: ${(err as Error).message}`)
  }
  if (port === undefined) return undefined
  const server = await startMetricsServer(port)
  process.stderr.write(`metrics on http://${process.env.DSMATH_METRICS_HOST ?? '0.0.0.0'}:${server.port}/metrics\n`)
  return server
}
