// The recall loop on Temporal, unattended (review rules), on S3, with its worker SIGKILLed while scoring and
// the Temporal server restarted mid-run, ends with the same collection as the local executor, and announces each
// iteration's collection and the final corpus on Kafka exactly once.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeEvent } from '../../src/events/kafka.ts'
import { readDocs } from '../../src/pipeline/docio.ts'
import { writeSampleCrawl } from '../../src/recall/sample-crawl.ts'
import { connectClient } from '../../workflows/client.ts'
import { recallResult, recallStatus } from '../../workflows/recall-client.ts'
import type { RecallStatus } from '../../workflows/recall-types.ts'
import { REPO, runCli, startCli } from '../helpers.ts'
import { readAllShardEvents } from './kafka.ts'
import { freshBucket, upload } from './s3.ts'

const taskQueue = `it-recall-${Date.now()}`
const workers: Awaited<ReturnType<typeof startCli>>[] = []
let crawl: string

beforeAll(async () => {
  crawl = await mkdtemp(join(tmpdir(), 'dsmath-it-crawl-'))
  await writeSampleCrawl(crawl, 1)
})
afterAll(() => { for (const w of workers) w.kill('SIGKILL') })

const urlsOf = async (collection: string): Promise<string[]> => (await readDocs(collection)).map((d) => String(d.url)).sort()

async function waitFor(client: () => Client, runId: string, done: (s: RecallStatus) => boolean, what: string): Promise<RecallStatus> {
  for (let i = 0; i < 1200; i++) {
    const s = await recallStatus(client(), runId).catch(() => undefined)
    if (s && done(s)) return s
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`recall run ${runId}: timed out waiting for ${what}`)
}

function restartTemporal(): void {
  const pid = Number(readFileSync(join(REPO, '.infra/temporal/pid'), 'utf8'))
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0) } catch { break }
    execFileSync('sleep', ['0.1'])
  }
  execFileSync('bash', [join(REPO, 'infra/up.sh')], { stdio: 'ignore' })
}

describe('recall on Temporal', () => {
  it('survives a killed worker and a restarted server, and collects what the local executor collects', { timeout: 300_000 }, async () => {
    const rules = join(crawl, 'review-rules.yaml'), labels = join(crawl, 'labels.tsv')
    const localOut = await mkdtemp(join(tmpdir(), 'dsmath-it-recall-local-'))
    const local = await runCli(['recall', 'run', '--input', join(crawl, 'warc'), '--out', localOut, '--review-rules', rules, '--labels', labels, '--json'])
    expect(local.code, local.stderr).toBe(0)
    const localSummary = JSON.parse(local.stdout)

    const bucket = await freshBucket('it-recall')
    await upload(readdirSync(join(crawl, 'warc')).map((f) => join(crawl, 'warc', f)), `s3://${bucket}/crawl`)
    workers.push(await startCli(['worker', '--task-queue', taskQueue], /worker ready/, { DSMATH_FAULT_RECORD_DELAY_MS: '40' }))
    const runId = `it-recall-${Date.now()}`
    const submitted = await runCli(['recall', 'submit', '--input', `s3://${bucket}/crawl/`, '--out', `s3://${bucket}/out`, '--review-rules', rules,
      '--labels', labels, '--run-id', runId], { DSMATH_TASK_QUEUE: taskQueue })
    expect(submitted.code, submitted.stderr).toBe(0)

    let client = await connectClient()
    await waitFor(() => client, runId, (s) => s.iteration === 2 && s.phase === 'scoring', 'iteration 2 scoring')
    workers[0].kill('SIGKILL')
    workers.push(await startCli(['worker', '--task-queue', taskQueue], /worker ready/))
    await waitFor(() => client, runId, (s) => s.iteration >= 3, 'iteration 3')
    await client.connection.close()
    restartTemporal()
    client = await connectClient()
    const result = await recallResult(client, runId)
    await client.connection.close()

    expect(result.converged).toBe(true)
    expect(result.iterations.length).toBe(localSummary.iterations.length)
    expect(result.iterations.map((i) => i.recall)).toEqual(localSummary.iterations.map((i: { recall: number }) => i.recall))
    expect(result.collectionPath.startsWith(`s3://${bucket}/out/`)).toBe(true)
    const temporalUrls = await urlsOf(result.collectionPath)
    expect(temporalUrls.length).toBeGreaterThan(100)
    expect(temporalUrls).toEqual(await urlsOf(localSummary.collection))

    // Each iteration's collection announced once with its iteration number, then the final corpus.
    const events = (await readAllShardEvents()).map((m) => decodeEvent(m.value)).filter((e) => e.run_id === runId)
    const n = result.iterations.length
    expect(events.map((e) => [e.shard_id, e.recall_iteration, e.kind]).sort()).toEqual(
      [...Array.from({ length: n }, (_, i) => [`iteration-${i + 1}`, i + 1, 'shard']), ['corpus.ready', n, 'corpus.ready']].sort())
    expect(events.find((e) => e.kind === 'corpus.ready')!.path).toBe(result.collectionPath)
  })
})
