// PretrainService (training.proto) over gRPC: jobs that pretrain through a PyTorch worker (one the job is
// given, or one the service starts for it), fed by files and by dsmath.shards events, with checkpoints that
// hold the worker's state together with the loader's position. Job configs and shard logs live under the
// state directory, so a killed and restarted service resumes its unfinished jobs from their last checkpoint
// and trains on the same next batch. Health checking, reflection, INVALID_ARGUMENT naming the field, and
// optional bearer-token auth (DSMATH_AUTH_TOKEN), as services/registry.
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { RpcError, safeService, unary } from '../grpc-common.ts'
import { loadSync } from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { HealthImplementation } from 'grpc-health-check'
import {
  JobState, PretrainJobConfig, PretrainServiceService, type Checkpoint, type JobStatus, type PretrainServiceServer,
} from '../../src/gen/dsmath/v1/training.ts'
import { ConfigError, resolvePretrainJob, type ResolvedJob } from '../../src/train/job.ts'
import { listCheckpoints, runPretrain } from '../../src/train/pretrain.ts'
import { openJobWorker } from '../../src/train/worker.ts'
import { eventsConsumed, trainLoss, trainStep, trainSteps, trainTokens, trainTokensPerSecond } from '../../src/obs/metrics.ts'
import { ShardLog, startShardFeed, type ShardFeed, type ShardRecord } from './shards.ts'

const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url))
const SERVICE_NAME = 'dsmath.v1.PretrainService'
const TERMINAL = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED])


export interface PretrainServerOptions {
  host?: string
  port?: number
  /** Job configs, statuses, shard logs and (by default) checkpoints. */
  stateDir: string
  authToken?: string
  /** torch threads of the workers the service starts itself (0: torch's default). */
  workerThreads?: number
  /** Write every batch's token ids to <checkpoint_dir>/batches.jsonl. */
  logBatches?: boolean
  log?: (msg: string, fields?: Record<string, unknown>) => void
}

interface JobFile { job_id: string; config: unknown; created_at: string; status: JobStatus }

const now = (): string => new Date().toISOString()

class Job {
  status: JobStatus
  readonly listeners = new Set<(s: JobStatus) => void>()
  cancelRequested = false
  done: Promise<void> = Promise.resolve()
  private recentTps: number[] = []

  constructor(readonly id: string, readonly config: PretrainJobConfig, readonly resolved: ResolvedJob, readonly dir: string, readonly createdAt: string, status?: JobStatus) {
    this.status = status ?? {
      job_id: id, state: JobState.JOB_STATE_QUEUED, step: 0, total_steps: resolved.run.totalSteps, loss: 0, tokens_per_second: 0,
      tokens: 0, learning_rate: 0, message: '', updated_at: now(), metrics: {}, last_checkpoint: '',
    }
  }

  update(patch: Partial<JobStatus>): void {
    this.status = { ...this.status, ...patch, updated_at: now() }
    for (const l of this.listeners) l(this.status)
  }

  tps(x: number): number {
    this.recentTps.push(x)
    if (this.recentTps.length > 5) this.recentTps.shift()
    return this.recentTps.reduce((a, b) => a + b, 0) / this.recentTps.length
  }

  async persist(): Promise<void> {
    const file: JobFile = { job_id: this.id, config: PretrainJobConfig.toJSON(this.config), created_at: this.createdAt, status: this.status }
    const tmp = join(this.dir, `job.json.tmp-${process.pid}`)
    await writeFile(tmp, JSON.stringify(file, null, 1))
    await rename(tmp, join(this.dir, 'job.json'))
  }
}

export class PretrainJobs {
  readonly jobs = new Map<string, Job>()
  /** Set on shutdown: running jobs stop after a checkpoint and stay RUNNING, to resume on restart. */
  stopping = false
  constructor(private readonly opts: PretrainServerOptions) {}

  private log(msg: string, fields?: Record<string, unknown>): void { (this.opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(msg, fields) }

  /** Loads every job under the state directory and resumes the unfinished ones. */
  async recover(): Promise<void> {
    const root = join(this.opts.stateDir, 'jobs')
    await mkdir(root, { recursive: true })
    for (const id of (await readdir(root)).sort()) {
      let file: JobFile
      try {
        file = JSON.parse(await readFile(join(root, id, 'job.json'), 'utf8')) as JobFile
      } catch { continue }
      const config = PretrainJobConfig.fromJSON(file.config)
      let resolved: ResolvedJob
      try {
        resolved = resolvePretrainJob(config, join(root, id, 'run'))
      } catch (err) {
        this.log(`pretrain: job ${id} has a config this service refuses (${(err as Error).message}); not resumed`)
        continue
      }
      const job = new Job(id, config, resolved, join(root, id), file.created_at, file.status)
      this.jobs.set(id, job)
      if (!TERMINAL.has(job.status.state)) {
        this.log(`pretrain: resuming job ${id} (was ${JobState[job.status.state]} at step ${job.status.step})`, { job_id: id, step: job.status.step })
        this.start(job)
      }
    }
  }

  async submit(config: PretrainJobConfig | undefined, jobId: string): Promise<JobStatus> {
    if (jobId && !/^[A-Za-z0-9_.-]{1,64}$/.test(jobId)) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'job_id: 1-64 letters, digits, _ . -')
    const existing = jobId ? this.jobs.get(jobId) : undefined
    if (existing) return existing.status
    const id = jobId || `pt-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
    const dir = join(this.opts.stateDir, 'jobs', id)
    let resolved: ResolvedJob
    try {
      resolved = resolvePretrainJob(config, join(dir, 'run'))
    } catch (err) {
      if (err instanceof ConfigError) throw new RpcError(grpc.status.INVALID_ARGUMENT, err.message)
      throw err
    }
    await mkdir(dir, { recursive: true })
    const job = new Job(id, config!, resolved, dir, now())
    this.jobs.set(id, job)
    await job.persist()
    this.start(job)
    return job.status
  }

  get(id: string): Job {
    if (!id) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'job_id: required')
    const j = this.jobs.get(id)
    if (!j) throw new RpcError(grpc.status.NOT_FOUND, `job_id: no job '${id}'`)
    return j
  }

  cancel(id: string): JobStatus {
    const j = this.get(id)
    if (!TERMINAL.has(j.status.state)) j.cancelRequested = true
    return j.status
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    const j = this.get(id)
    return (await listCheckpoints(j.resolved.run.outDir)).map((c) => ({ path: c.path, step: c.step, tokens: c.tokens, loss: c.loss, created_at: c.created_at }))
  }

  private start(job: Job): void {
    job.done = this.execute(job).catch(async (err: Error) => {
      this.log(`pretrain: job ${job.id} failed: ${err.message}`, { job_id: job.id })
      job.update({ state: JobState.JOB_STATE_FAILED, message: err.message })
      await job.persist().catch(() => {})
    })
  }

  private async execute(job: Job): Promise<void> {
    const run = { ...job.resolved.run, sources: job.resolved.run.sources.map((s) => ({ ...s, uris: [...s.uris] })), logBatches: this.opts.logBatches ?? false }
    job.update({ state: JobState.JOB_STATE_RUNNING, message: '' })
    await job.persist()
    this.log(`pretrain: job ${job.id} running (step ${job.status.step} of ${job.status.total_steps})`, { job_id: job.id, step: job.status.step })
    const shardLog = await ShardLog.open(join(job.dir, 'shards.jsonl'))
    const pending: ShardRecord[] = []
    const feeds: ShardFeed[] = []
    let worker: Awaited<ReturnType<typeof openJobWorker>> | null = null
    try {
      for (const s of run.sources.filter((x) => x.shardsTopic)) {
        const feed = await startShardFeed({
          topic: s.shardsTopic!, groupId: `dsmath-pretrain-${job.id}`, source: s.name, log: shardLog,
          onShard: (r) => {
            pending.push(r)
            eventsConsumed.inc({ group: `dsmath-pretrain-${job.id}`, outcome: 'added' })
            this.log(`pretrain: job ${job.id}: shard ${r.key} (${r.rows} rows) added to ${r.source}`, { job_id: job.id, idempotency_key: r.key, rows: r.rows, source: r.source })
          },
          onWarning: (m) => this.log(`pretrain: job ${job.id}: ${m}`, { job_id: job.id }),
        })
        feeds.push(feed)
        job.update({ message: `reading shard events from ${s.shardsTopic}` })
        await feed.caughtUp
      }
      // Shards known now become part of the run's sources (and of the tokenizer's sample); later ones are
      // appended to the loader between steps.
      for (const r of shardLog.records) run.sources.find((s) => s.name === r.source)?.uris.push(r.path)
      pending.length = 0
      while (!run.sources.some((s) => s.weight > 0 && s.uris.length > 0)) {
        if (job.cancelRequested) break
        job.update({ message: 'waiting for data: no source has files yet' })
        await new Promise((r) => setTimeout(r, 500))
        for (const r of pending.splice(0)) run.sources.find((s) => s.name === r.source)?.uris.push(r.path)
      }
      job.update({ message: '' })
      worker = await openJobWorker({
        addresses: job.resolved.workerAddresses, jobId: `pretrain/${job.id}`, token: job.resolved.workerToken || undefined,
        stepDeadlineMs: job.resolved.stepDeadlineMs, threads: this.opts.workerThreads ?? 0,
      })
      let firstLoss = job.status.metrics.first_loss
      let tokensTotal = 0, msTotal = 0
      const summary = await runPretrain(run, worker.conn, {
        onStart: ({ startStep, loader, resumedFrom }) => {
          for (const r of shardLog.records) loader.addFiles(r.source, [r.path])
          if (resumedFrom) this.log(`pretrain: job ${job.id} resumes from ${resumedFrom} (step ${startStep})`, { job_id: job.id, step: startStep, checkpoint: resumedFrom })
          job.update({ step: startStep, metrics: { ...job.status.metrics, ...Object.fromEntries(loader.mixture().map((m) => [`weight.${m.name}`, m.effective])) } })
        },
        beforeStep: (loader) => { for (const r of pending.splice(0)) loader.addFiles(r.source, [r.path]) },
        onStep: (m) => {
          firstLoss ??= m.loss
          tokensTotal += m.tokens
          trainLoss.set({ job: job.id }, m.loss)
          trainStep.set({ job: job.id }, m.step)
          trainSteps.inc({ job: job.id })
          trainTokens.inc({ job: job.id }, m.tokens)
          trainTokensPerSecond.set({ job: job.id }, m.tokens_per_sec)
          msTotal += m.step_ms
          job.update({
            step: m.step, loss: m.loss, tokens: m.total_tokens, learning_rate: m.lr, tokens_per_second: job.tps(m.tokens_per_sec),
            metrics: { ...job.status.metrics, first_loss: firstLoss, grad_norm: m.grad_norm, mean_tokens_per_second: tokensTotal / (msTotal / 1000) },
          })
        },
        onCheckpoint: async (c) => {
          job.update({ last_checkpoint: c.path })
          await job.persist()
        },
        shouldStop: () => job.cancelRequested || this.stopping,
      })
      await worker.close() // before the final status: whoever sees it may send the next job to this worker
      worker = null
      if (summary.cancelled && !job.cancelRequested) {
        job.update({ message: `service stopped at step ${summary.steps}; the job resumes when it starts again` })
        await job.persist()
        return
      }
      job.update(summary.cancelled
        ? { state: JobState.JOB_STATE_CANCELLED, message: `cancelled at step ${summary.steps}` }
        : { state: JobState.JOB_STATE_SUCCEEDED, message: '' })
      if (job.cancelRequested && !summary.cancelled) job.update({ state: JobState.JOB_STATE_CANCELLED, message: 'cancelled' })
      await job.persist()
      this.log(`pretrain: job ${job.id} ${JobState[job.status.state]} at step ${job.status.step}`, { job_id: job.id, step: job.status.step, loss: job.status.loss })
    } finally {
      for (const f of feeds) await f.close()
      await worker?.close()
    }
  }
}


export interface RunningPretrainServer {
  port: number
  jobs: PretrainJobs
  close(): Promise<void>
}

export async function startPretrainServer(opts: PretrainServerOptions): Promise<RunningPretrainServer> {
  const jobs = new PretrainJobs(opts)
  const impl: PretrainServiceServer = {
    submitJob: unary(async (req) => ({ status: await jobs.submit(req.config, req.job_id) })),
    cancel: unary((req) => ({ status: jobs.cancel(req.job_id) })),
    listCheckpoints: unary(async (req) => ({ checkpoints: await jobs.checkpoints(req.job_id) })),
    streamStatus: (call) => {
      let job: Job
      try {
        job = jobs.get(call.request.job_id)
      } catch (err) {
        call.emit('error', { code: (err as RpcError).code, details: (err as Error).message })
        return
      }
      const send = (s: JobStatus): void => {
        if (call.cancelled || call.destroyed) return
        call.write({ status: s })
        if (TERMINAL.has(s.state)) { job.listeners.delete(send); call.end() }
      }
      job.listeners.add(send)
      call.on('cancelled', () => job.listeners.delete(send))
      call.on('close', () => job.listeners.delete(send))
      send(job.status)
    },
  }
  const server = new grpc.Server()
  server.addService(...safeService(PretrainServiceService, impl, opts.authToken))
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' })
  health.addToServer(server)
  new ReflectionService(loadSync('dsmath/v1/training.proto', { includeDirs: [SCHEMAS] })).addToServer(server)
  const host = opts.host ?? '127.0.0.1'
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${host}:${opts.port}: ${err.message}`)) : resolve(p))),
  )
  await jobs.recover()
  return {
    port, jobs,
    close: async () => {
      health.setStatus('', 'NOT_SERVING')
      jobs.stopping = true
      await Promise.all([...jobs.jobs.values()].map((j) => j.done.catch(() => {})))
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()))
    },
  }
}
