// Issue 7's pretraining slice against the real Kafka and S3 of infra/: Parquet shards of math text on S3 are
// announced on a Kafka topic (one twice); the pretrain service consumes them in its job's consumer group
// (each shard recorded once, durably, before its offset is committed), mixes them with crawl text, and trains a
// tiny model through the PyTorch worker; the loss falls. The service is SIGKILLed mid-job and started again:
// it resumes from its checkpoint and its next batch has the token ids the killed run had at that step.
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as grpc from '@grpc/grpc-js'
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeEvent, kafkaBrokers } from '../../src/events/kafka.ts'
import { JobState, LrSchedule_Kind, PretrainServiceClient, type JobStatus, type PretrainJobConfig } from '../../src/gen/dsmath/v1/training.ts'
import { encodeParquet } from '../../src/shard/parquet.ts'
import type { ShardRow } from '../../src/shard/schema.ts'
import { writeObject } from '../../src/storage/store.ts'
import { spawnWorker, type SpawnedWorker } from '../../src/train/worker.ts'
import { REPO, startCli } from '../helpers.ts'
import { freshBucket } from './s3.ts'

const ROW: ShardRow = {
  url: '', domain: 'planetmath.org', warc_path: '', warc_record_id: '', warc_offset: 0, warc_length: 0, fetch_time: null,
  http_status: 200, charset: 'utf-8', title: '', text: '', lang: 'en', lang_score: 1, math_score: 0.9,
}

function follow(client: PretrainServiceClient, jobId: string, until?: (s: JobStatus) => boolean): Promise<JobStatus[]> {
  return new Promise((resolve, reject) => {
    const seen: JobStatus[] = []
    const stream = client.streamStatus({ job_id: jobId })
    stream.on('data', (r: { status: JobStatus }) => {
      seen.push(r.status)
      if (until?.(r.status)) { stream.cancel(); resolve(seen) }
    })
    stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? resolve(seen) : reject(e)))
    stream.on('end', () => resolve(seen))
  })
}

interface Batch { step: number; tokens: number[][] }
const readJsonl = async <T>(path: string): Promise<T[]> => (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as T)

describe('pretraining from shards announced on Kafka', () => {
  const procs: ChildProcess[] = []
  let worker: SpawnedWorker | undefined
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL')
    await worker?.stop()
  })

  it('consumes the shards once, trains (loss falls), and resumes after SIGKILL with the same next batch', async () => {
    const bucket = await freshBucket('it-pretrain')
    const topic = `dsmath.shards.it-pretrain-${Date.now().toString(36)}`
    const texts = gunzipSync(await readFile(join(REPO, 'sample/seed/positives.jsonl.gz'))).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text)
    const runId = `it-pretrain-${Date.now()}`
    const events = []
    for (let i = 0; i < 3; i++) {
      const rows = texts.slice(i * 40, (i + 1) * 40).map((text, j) => ({ ...ROW, url: `https://planetmath.org/${i}/${j}`, text }))
      const bytes = encodeParquet(rows)
      const path = `s3://${bucket}/shards/shard-${i}.parquet`
      await writeObject(path, bytes)
      events.push({
        idempotency_key: `${runId}/shard-${i}`, run_id: runId, shard_id: `shard-${i}`, path, rows: rows.length, bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'), warc_path: '', schema_version: 1, created_at: new Date().toISOString(),
        recall_iteration: 0, kind: 'shard',
      })
    }
    const admin = new Admin({ clientId: 'it-pretrain', bootstrapBrokers: kafkaBrokers() })
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    await admin.close()
    const producer = new Producer({ clientId: 'it-pretrain', bootstrapBrokers: kafkaBrokers(), serializers: stringSerializers })
    // shard-1 announced twice (a retried announcer): the job must count it once.
    for (const e of [events[0]!, events[1]!, events[1]!, events[2]!]) {
      await producer.send({ messages: [{ topic, key: e.idempotency_key, value: encodeEvent(e) }] })
    }
    await producer.close()

    worker = await spawnWorker({ threads: 1 })
    const state = await mkdtemp(join(tmpdir(), 'dsmath-it-pretrain-'))
    const args = ['pretrain', 'serve', '--port', '0', '--state', state, '--log-batches']
    const ready = /pretrain service listening on 127\.0\.0\.1:(\d+)/
    const config: PretrainJobConfig = {
      common: {
        workers: { addresses: [worker.address], auth_token: '', step_deadline_ms: 0 },
        model: { vocab_size: 400, d_model: 64, n_layers: 2, n_heads: 4, ffn_hidden: 0, max_seq_len: 64, rope_theta: 0, dtype: 0, seed: 2, tie_embeddings: false, norm_eps: 0 },
        init_checkpoint: '', optimizer: { lr: 5e-3 },
        lr_schedule: { kind: LrSchedule_Kind.KIND_MULTI_STEP, peak_lr: 5e-3, warmup_steps: 4, decay_at: [], decay_factors: [], min_lr_ratio: 0 },
        batch_size: 8, seq_len: 64, total_steps: 40, checkpoint_dir: '', checkpoint_every: 10, seed: 9, tokenizer: '',
      },
      sources: [
        { name: 'math_corpus', weight: 56, uris: [], shards_topic: topic, text_column: 'text' },
        { name: 'common_crawl', weight: 10, uris: [join(REPO, 'sample/seed/negatives.jsonl.gz')], shards_topic: '', text_column: '' },
        { name: 'arxiv', weight: 10, uris: [], shards_topic: '', text_column: '' },
      ],
      total_tokens: 0,
    }

    const first = await startCli(args, ready)
    procs.push(first)
    const c1 = new PretrainServiceClient(`127.0.0.1:${ready.exec(first.output())![1]}`, grpc.credentials.createInsecure())
    await new Promise<void>((resolve, reject) => c1.submitJob({ config, job_id: 'it' }, (e) => (e ? reject(e) : resolve())))
    await follow(c1, 'it', (s) => s.step >= 14)
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    c1.close()
    expect(first.output()).toMatch(/shard .*shard-2 \(40 rows\) added to math_corpus/)

    const jobDir = join(state, 'jobs', 'it')
    const shards = await readJsonl<{ key: string; path: string }>(join(jobDir, 'shards.jsonl'))
    expect(shards.map((s) => s.key)).toEqual(events.map((e) => e.idempotency_key))
    // The job's group committed past all four events (the duplicate included) once they were in the log.
    const probe = new Consumer({ groupId: 'dsmath-pretrain-it', clientId: 'it-probe', bootstrapBrokers: kafkaBrokers() })
    const committed = (await probe.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] })).get(topic)
    await probe.close()
    expect(committed).toEqual([4n])
    const before = await readJsonl<Batch>(join(jobDir, 'run', 'batches.jsonl'))
    expect(before.length).toBeGreaterThanOrEqual(14)

    const second = await startCli(args, ready)
    procs.push(second)
    const c2 = new PretrainServiceClient(`127.0.0.1:${ready.exec(second.output())![1]}`, grpc.credentials.createInsecure())
    const seen = await follow(c2, 'it')
    c2.close()
    second.kill('SIGTERM')
    const last = seen.at(-1)!
    expect(last.state, last.message).toBe(JobState.JOB_STATE_SUCCEEDED)
    expect(last.step).toBe(40)
    // The mixture in effect: arxiv has no data, its weight went to the others (56:10 of 66).
    expect(last.metrics['weight.math_corpus']).toBeCloseTo(56 / 66, 6)
    expect(last.metrics['weight.arxiv']).toBe(0)
    expect(last.loss).toBeLessThan(last.metrics.first_loss! - 1)
    const resumedAt = Number(/resumes from \S+ \(step (\d+)\)/.exec(second.output())![1])
    expect([10, 20]).toContain(resumedAt)
    // Redelivered events (offsets of the killed run that were not yet committed, if any) changed nothing.
    expect((await readJsonl(join(jobDir, 'shards.jsonl'))).length).toBe(3)
    const all = await readJsonl<Batch>(join(jobDir, 'run', 'batches.jsonl'))
    const after = all.slice(before.length)
    expect(after[0]!.step).toBe(resumedAt + 1)
    const killedRun = before.find((b) => b.step === resumedAt + 1)
    expect(killedRun, 'the killed run trained past its checkpoint').toBeDefined()
    expect(after[0]!.tokens).toEqual(killedRun!.tokens)
    // The checkpoint's loader state names the three shards as the math source's files.
    const ck = JSON.parse(await readFile(join(last.last_checkpoint, 'state.json'), 'utf8'))
    expect(ck.client_state.loader.sources.math_corpus.files).toEqual(events.map((e) => e.path))
    expect(ck.client_state.loader.sources.math_corpus.docs).toBeGreaterThan(0)
    const metrics = await readJsonl<{ step: number; loss: number }>(join(jobDir, 'run', 'metrics.jsonl'))
    console.log(`pretrain from Kafka shards: loss ${metrics[0]!.loss.toFixed(3)} -> ${metrics.at(-1)!.loss.toFixed(3)} in 40 steps; killed at step ${before.length}, resumed from step ${resumedAt}`)
  })
})
