// Scrapes /metrics from a real corpus worker and a real registry (with its Kafka consumer) after a corpus run on
// Temporal, S3 and Kafka: pages, records and bad records by reason equal the run's manifest, every shard's
// latency was observed, the registry counted its events and its consumer lag went to 0; the worker's JSON log
// lines carry the run, workflow and shard ids.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import type { Manifest } from '../../src/shard/manifest.ts'
import { readAll } from '../../src/storage/store.ts'
import { FIXTURES, runCli, startCli } from '../helpers.ts'
import { parseMetrics } from '../obs/prom.ts'
import { freshBucket, upload } from './s3.ts'

const WARCS = ['sample-0000.warc.gz', 'warcfile.warc.gz', 'cc.warc.gz', 'clipped.warc.gz', 'example-bad-length.warc'].map((f) => `${FIXTURES}/warc/${f}`)
const taskQueue = `it-metrics-${Date.now()}`
const children: Awaited<ReturnType<typeof startCli>>[] = []
const env = { DSMATH_METRICS_HOST: '127.0.0.1', DSMATH_LAG_INTERVAL_MS: '300' }

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  expect(res.status).toBe(200)
  return parseMetrics(await res.text())
}

const jsonLines = (out: string): Record<string, unknown>[] =>
  out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)

const metricsPortOf = (child: Awaited<ReturnType<typeof startCli>>): number =>
  jsonLines(child.output()).find((l) => typeof l.metrics_port === 'number')!.metrics_port as number

describe('metrics of the corpus worker and the registry', () => {
  afterAll(() => { for (const c of children) c.kill('SIGTERM') })

  it('count what a corpus run did', { timeout: 180_000 }, async () => {
    const modelPath = await ensureDefaultModel()
    const bucket = await freshBucket('it-metrics')
    await upload(WARCS, `s3://${bucket}/in`)
    const worker = await startCli(['worker', '--task-queue', taskQueue, '--metrics-port', '0'], /worker ready/, env)
    children.push(worker)
    const state = join(await mkdtemp(join(tmpdir(), 'dsmath-reg-')), 'registry.jsonl')
    const group = `it-metrics-${Date.now()}`
    const registry = await startCli(['registry', 'serve', '--port', '0', '--state', state, '--group', group, '--metrics-port', '0'], /consuming dsmath\.shards/, env)
    children.push(registry)
    const workerPort = metricsPortOf(worker)
    const registryPort = metricsPortOf(registry)
    const before = await scrape(workerPort)
    expect(before.get('dsmath_pages_processed_total')).toBe(0)

    const runId = `it-metrics-${Date.now()}`
    const submit = await runCli(['corpus', 'submit', '--input', `s3://${bucket}/in/`, '--out', `s3://${bucket}/out`, '--model', modelPath,
      '--run-id', runId, '--wait', '--json', '--chunk-rows', '5'], { DSMATH_TASK_QUEUE: taskQueue })
    expect(submit.code, submit.stderr + worker.output()).toBe(0)
    const manifest = JSON.parse((await readAll(`s3://${bucket}/out/manifest.json`)).toString()) as Manifest

    const m = await scrape(workerPort)
    expect(manifest.counters.html_pages).toBeGreaterThan(30)
    expect(m.get('dsmath_pages_processed_total')).toBe(manifest.counters.html_pages)
    expect(m.get('dsmath_records_read_total')).toBe(manifest.counters.records_read)
    const bad = Object.entries(manifest.counters.bad_records)
    expect(bad.length).toBeGreaterThan(0)
    for (const [reason, n] of bad) expect(m.get(`dsmath_bad_records_total{reason="${reason}"}`), reason).toBe(n)
    expect(m.get('dsmath_shard_seconds_count{stage="score",outcome="ok"}')).toBe(WARCS.length)
    expect(m.get('dsmath_shard_seconds_count{stage="filter",outcome="ok"}')).toBe(WARCS.length)
    expect(m.get('dsmath_shard_seconds_sum{stage="score",outcome="ok"}')).toBeGreaterThan(0)
    expect(m.get('dsmath_shards_announced_total{outcome="sent"}')).toBe(WARCS.length)

    // The registry's consumer registered this run's shards (and whatever else the topic holds) and caught up.
    let r = await scrape(registryPort)
    for (let i = 0; i < 150; i++) {
      const registered = jsonLines(registry.output()).filter((l) => l.run_id === runId && l.created === true)
      if (registered.length === WARCS.length && r.get(`dsmath_consumer_lag{group="${group}",topic="dsmath.shards",partition="0"}`) === 0) break
      await new Promise((res) => setTimeout(res, 200))
      r = await scrape(registryPort)
    }
    expect(r.get(`dsmath_events_consumed_total{group="${group}",outcome="registered"}`)).toBeGreaterThanOrEqual(WARCS.length)
    expect(r.get(`dsmath_consumer_lag{group="${group}",topic="dsmath.shards",partition="0"}`)).toBe(0)
    const registered = jsonLines(registry.output()).filter((l) => l.run_id === runId && l.created === true)
    expect(registered.map((l) => l.shard_id).sort()).toEqual(manifest.shards.map((s) => s.shard_id).sort())

    // Worker log lines: JSON, with the run, workflow and shard ids.
    const lines = jsonLines(worker.output()).filter((l) => l.msg === 'shard scored')
    expect(lines).toHaveLength(WARCS.length)
    for (const l of lines) {
      expect(l).toMatchObject({ level: 'info', service: 'corpus-worker', run_id: runId, workflow_id: `corpus-${runId}/batch-0`, activity: 'processWarc' })
      expect(manifest.shards.map((s) => s.shard_id)).toContain(l.shard_id)
    }
    expect(jsonLines(worker.output()).filter((l) => l.msg === 'shard announced' && l.run_id === runId)).toHaveLength(WARCS.length)
  })
})
