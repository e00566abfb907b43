// The vertical slice against the real services: WARCs on S3 -> Temporal -> Parquet shards on S3 ->
// one Kafka event per shard -> the gRPC registry (fed by its Kafka consumer) holds each shard once.
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import { decodeEvent } from '../../src/events/kafka.ts'
import { decodeParquet } from '../../src/shard/parquet.ts'
import type { Manifest } from '../../src/shard/manifest.ts'
import { readAll } from '../../src/storage/store.ts'
import { call, registryClient } from '../../services/registry/server.ts'
import { connectClient } from '../../workflows/client.ts'
import { corpusWorkflow } from '../../workflows/corpus.ts'
import type { CorpusRunInput } from '../../workflows/types.ts'
import { filterOptions, stageOptions } from '../../src/cli/corpus.ts'
import { FIXTURES, runCli, runPython, startCli } from '../helpers.ts'
import { freshBucket, upload } from './s3.ts'
import { readAllShardEvents } from './kafka.ts'

const WARCS = ['sample-0000.warc.gz', 'warcfile.warc.gz', 'cc.warc.gz', 'clipped.warc.gz', 'example-bad-length.warc'].map((f) => `${FIXTURES}/warc/${f}`)
const taskQueue = `it-corpus-${Date.now()}`

describe('corpus submit on Temporal, S3 and Kafka', () => {
  let bucket: string
  let worker: Awaited<ReturnType<typeof startCli>>
  let registry: Awaited<ReturnType<typeof startCli>>
  let registryPort: number
  let modelPath: string

  beforeAll(async () => {
    modelPath = await ensureDefaultModel()
    bucket = await freshBucket('it-corpus')
    await upload(WARCS, `s3://${bucket}/in`)
    worker = await startCli(['worker', '--task-queue', taskQueue], /worker ready/)
    registryPort = 50100 + Math.floor(Math.random() * 800)
    const state = join(await mkdtemp(join(tmpdir(), 'dsmath-reg-')), 'registry.jsonl')
    registry = await startCli(['registry', 'serve', '--port', String(registryPort), '--state', state, '--group', `it-registry-${Date.now()}`], /consuming dsmath\.shards/)
  })

  afterAll(async () => {
    registry?.kill('SIGTERM')
    worker?.kill('SIGTERM')
  })

  it('writes the same rows as corpus run, announces each shard once, and registers each once', { timeout: 180_000 }, async () => {
    const runId = `it-${Date.now()}`
    // Two WARCs per batch: three child workflows, run in list order.
    const submit = await runCli(['corpus', 'submit', '--input', `s3://${bucket}/in/`, '--out', `s3://${bucket}/out`, '--model', modelPath, '--run-id', runId, '--batch-size', '2', '--wait', '--json'], { DSMATH_TASK_QUEUE: taskQueue })
    expect(submit.code, submit.stderr + worker.output()).toBe(0)
    // stderr holds the progress bar alone (batches done plus the running batch's WARCs), ending at every WARC
    const progress = submit.stderr.split('\n').filter(Boolean)
    expect(progress.every((l) => l.startsWith('corpus [')), submit.stderr).toBe(true)
    expect(progress.at(-1)).toMatch(/ 5\/5 WARCs, batch 3\/3, 5 shards, \d+ docs$/)
    const result = JSON.parse(submit.stdout)
    expect(result.shards).toBe(WARCS.length)
    expect(progress.at(-1)).toContain(`${result.docs} docs`)

    // The run's own history holds the batches, not the WARC list: it stays the same size for 5 WARCs or 90,000.
    const temporal = await connectClient()
    try {
      const history = await temporal.workflow.getHandle(result.workflowId).fetchHistory()
      const children = history.events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
        .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId)
      expect(children).toEqual([0, 1, 2].map((b) => `${result.workflowId}/batch-${b}`))
      const text = historyText(history)
      expect(text).toContain('batch-000002.json') // payloads are read: the last batch's summary names its result
      for (const w of WARCS) expect(text).not.toContain(basename(w))
    } finally {
      await temporal.connection.close()
    }

    const manifest = JSON.parse((await readAll(`s3://${bucket}/out/manifest.json`)).toString()) as Manifest
    expect(manifest.shards).toHaveLength(WARCS.length)
    expect(manifest.counters.bad_records.truncated_gzip).toBe(1)
    expect(manifest.counters.bad_records.bad_content_length).toBe(2)

    // pyarrow reads every shard straight from the S3 server.
    const py = await runPython(`
import sys, json, pyarrow.fs as fs, pyarrow.parquet as pq
s3 = fs.S3FileSystem(endpoint_override=sys.argv[1], scheme='http', access_key=sys.argv[2], secret_key=sys.argv[3], region='us-east-1')
out = {}
for p in json.loads(sys.argv[4]):
    t = pq.read_table(p.removeprefix('s3://'), filesystem=s3)
    out[p] = sorted([r['warc_record_id'], r['math_score']] for r in t.select(['warc_record_id', 'math_score']).to_pylist())
print(json.dumps(out))
`, [process.env.DSMATH_S3_ENDPOINT!.replace('http://', ''), process.env.AWS_ACCESS_KEY_ID!, process.env.AWS_SECRET_ACCESS_KEY!, JSON.stringify(manifest.shards.map((s) => s.path))])
    expect(py.stderr).toBe('')
    const fromPyarrow = Object.values(JSON.parse(py.stdout) as Record<string, [string, number][]>).flat().sort()

    // The local executor on the same files gives the same records and scores.
    const localIn = await mkdtemp(join(tmpdir(), 'dsmath-local-in-'))
    for (const w of WARCS) await copyFile(w, join(localIn, basename(w)))
    const localOut = await mkdtemp(join(tmpdir(), 'dsmath-local-'))
    const local = await runCli(['corpus', 'run', '--input', localIn, '--out', localOut, '--model', modelPath, '--json'])
    expect(local.code).toBe(0)
    const localManifest = JSON.parse(await readFile(join(localOut, 'manifest.json'), 'utf8')) as Manifest
    expect(localManifest.counters).toEqual(manifest.counters)
    const localRows = (await Promise.all(localManifest.shards.map(async (s) => decodeParquet(await readFile(s.path)))))
      .flat().map((r) => [r.warc_record_id, r.math_score] as [string, number]).sort()
    expect(fromPyarrow.length).toBeGreaterThan(30)
    expect(fromPyarrow).toEqual(localRows)

    // Each shard event of this run is on the topic exactly once.
    const events = (await readAllShardEvents()).map((m) => decodeEvent(m.value)).filter((e) => e.run_id === runId)
    const keys = events.map((e) => e.idempotency_key).sort()
    expect(keys).toEqual(manifest.shards.map((s) => `${runId}/${s.shard_id}`).sort())

    // The registry (fed by its Kafka consumer) holds each shard once, with rows read back from S3.
    const client = registryClient(`127.0.0.1:${registryPort}`)
    let listed: { shards: { idempotency_key: string; rows: number }[] } = { shards: [] }
    for (let i = 0; i < 100 && listed.shards.length < WARCS.length; i++) {
      listed = await call(client.listShards.bind(client), { run_id: runId })
      if (listed.shards.length < WARCS.length) await new Promise((r) => setTimeout(r, 200))
    }
    client.close()
    expect(listed.shards.map((s) => s.idempotency_key).sort()).toEqual(keys)
    for (const s of manifest.shards) expect(listed.shards.find((e) => e.idempotency_key === `${runId}/${s.shard_id}`)?.rows).toBe(s.rows)
  })

  it('continues as new between batches and carries the totals over', { timeout: 120_000 }, async () => {
    const runId = `it-can-${Date.now()}`
    const input: CorpusRunInput = {
      runId, input: `s3://${bucket}/in/`, out: `s3://${bucket}/out-can`, modelUri: modelPath, concurrency: 1, chunkRows: 2000,
      stages: await stageOptions({}), filters: filterOptions({}), batchSize: 2, batchesPerRun: 1,
    }
    const temporal = await connectClient()
    try {
      const handle = await temporal.workflow.start(corpusWorkflow, { taskQueue, workflowId: `it-can-${runId}`, args: [input] })
      const result = await handle.result()
      expect(result).toMatchObject({ shards: WARCS.length, announced: WARCS.length, failedInputs: 0 })
      const manifest = JSON.parse((await readAll(result.manifestPath)).toString()) as Manifest
      expect(manifest.shards).toHaveLength(WARCS.length)
      expect(manifest.shards.reduce((n, s) => n + s.rows, 0)).toBe(result.docs)
      // Three batches, one per run: the first two runs end by continuing as new.
      const first = await temporal.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory()
      expect(first.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy()
      expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId)
    } finally {
      await temporal.connection.close()
    }
  })

  it('lists a WARC that is not there in failed_inputs, without retries, and finishes the others', { timeout: 120_000 }, async () => {
    const runId = `it-missing-${Date.now()}`
    const missing = `s3://${bucket}/in/not-there.warc.gz`
    const listing = join(await mkdtemp(join(tmpdir(), 'dsmath-listing-')), 'warc.paths')
    await writeFile(listing, `${missing}\ns3://${bucket}/in/cc.warc.gz\n`)
    const submit = await runCli(['corpus', 'submit', '--input', listing, '--out', `s3://${bucket}/out-missing`, '--model', modelPath, '--run-id', runId, '--wait', '--json'], { DSMATH_TASK_QUEUE: taskQueue })
    expect(submit.code, submit.stderr + worker.output()).toBe(1)
    expect(submit.stderr).toMatch(/1 WARC files could not be read/)
    expect(JSON.parse(submit.stdout)).toMatchObject({ shards: 1, failedInputs: 1 })
    const manifest = JSON.parse((await readAll(`s3://${bucket}/out-missing/manifest.json`)).toString()) as Manifest
    expect(manifest.shards.map((s) => basename(s.warc_path))).toEqual(['cc.warc.gz'])
    expect(manifest.failed_inputs).toEqual([{ warc_path: missing, error: `${missing}: no such file or object` }])
    // One attempt: the activity logs each start of a shard.
    const starts = worker.output().split('\n').filter((l) => l.includes('shard started') && l.includes('not-there.warc.gz'))
    expect(starts).toHaveLength(1)
  })
})

/** Every payload of a history, decoded: what the run's events carry (history events serialise bytes as base64). */
function historyText(history: { events?: unknown[] | null }): string {
  return JSON.stringify(history.events, (k, v) => (k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v))
}
