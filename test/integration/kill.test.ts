// SIGKILL the worker in the middle of a WARC: the retry resumes from the heartbeated offset and the
// finished shard holds exactly the records of a clean run, none twice.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import { FastTextModel } from '../../src/fasttext/model.ts'
import { loadModels } from '../../src/pipeline/document.ts'
import { runShardJob, type Checkpoint } from '../../src/pipeline/shard-job.ts'
import type { Manifest } from '../../src/shard/manifest.ts'
import { decodeParquet } from '../../src/shard/parquet.ts'
import { readAll } from '../../src/storage/store.ts'
import { connectClient, workflowIdFor } from '../../workflows/client.ts'
import { FIXTURES, runCli, startCli } from '../helpers.ts'
import { freshBucket, upload } from './s3.ts'

const WARC = `${FIXTURES}/warc/sample-0000.warc.gz`
const taskQueue = `it-kill-${Date.now()}`
const workers: Awaited<ReturnType<typeof startCli>>[] = []

async function heartbeatedOffset(client: Awaited<ReturnType<typeof connectClient>>, workflowId: string): Promise<number> {
  const d = await client.workflow.getHandle(workflowId).describe().catch((err: Error) => {
    if (err.name === 'WorkflowNotFoundError') return null // the batch has not started yet
    throw err
  })
  if (!d) return 0
  for (const a of d.raw.pendingActivities ?? []) {
    const payload = a.heartbeatDetails?.payloads?.[0]?.data
    if (a.activityType?.name === 'processWarc' && payload && payload.length > 0) {
      const cp = JSON.parse(Buffer.from(payload).toString('utf8')) as Checkpoint | null
      if (cp) return cp.offset
    }
  }
  return 0
}

describe('a worker killed mid-WARC', () => {
  afterAll(() => { for (const w of workers) w.kill('SIGKILL') })

  it('resumes from the heartbeated offset with every record exactly once', { timeout: 180_000 }, async () => {
    const modelPath = await ensureDefaultModel()
    const bucket = await freshBucket('it-kill')
    await upload([WARC], `s3://${bucket}/in`)
    const slow = { DSMATH_FAULT_RECORD_DELAY_MS: '120' }
    workers.push(await startCli(['worker', '--task-queue', taskQueue], /worker ready/, slow))
    const runId = `kill-${Date.now()}`
    const submitted = await runCli(['corpus', 'submit', '--input', `s3://${bucket}/in/`, '--out', `s3://${bucket}/out`, '--model', modelPath,
      '--run-id', runId, '--chunk-rows', '3', '--heartbeat-timeout', '3'], { DSMATH_TASK_QUEUE: taskQueue })
    expect(submitted.code, submitted.stderr).toBe(0)

    const client = await connectClient()
    const workflowId = workflowIdFor(runId)
    const batchId = `${workflowId}/batch-0` // the WARC activities run in the run's batch workflows
    let seen = 0
    for (let i = 0; i < 200 && seen === 0; i++) {
      seen = await heartbeatedOffset(client, batchId)
      if (seen === 0) await new Promise((r) => setTimeout(r, 100))
    }
    expect(seen).toBeGreaterThan(0)
    workers[0].kill('SIGKILL')
    workers.push(await startCli(['worker', '--task-queue', taskQueue], /worker ready/))

    await client.workflow.getHandle(workflowId).result()
    await client.connection.close()

    const manifest = JSON.parse((await readAll(`s3://${bucket}/out/manifest.json`)).toString()) as Manifest & { shards: { resumed_from: number }[] }
    expect(manifest.shards).toHaveLength(1)
    expect(manifest.shards[0].resumed_from).toBeGreaterThanOrEqual(seen)
    const ids = decodeParquet(await readAll(manifest.shards[0].path)).map((r) => r.warc_record_id)

    const clean = await runShardJob({ warcPath: WARC, outBase: await mkdtemp(join(tmpdir(), 'dsmath-clean-')), models: await loadModels(await FastTextModel.load(modelPath)) })
    const cleanIds = decodeParquet(await readAll(clean.path)).map((r) => r.warc_record_id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(cleanIds)
    expect(manifest.counters.records_read).toBe(clean.counters.records_read)
  })
})
