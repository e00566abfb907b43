// SftService (training.proto) over gRPC: supervised fine-tuning jobs (stage 2 of the paper) that start from
// a pretrain checkpoint and train through a PyTorch worker (one the job names, or one the service starts
// for it) on chain-of-thought, program-of-thought and tool-integrated examples (the arithmetic generator or
// JSON-lines files), loss on response tokens only. Health checking, reflection, INVALID_ARGUMENT naming the
// field, optional bearer-token auth (DSMATH_AUTH_TOKEN): the same shape as services/pretrain.
// Job configs and statuses live under the state directory; a job that was running when the service stopped
// is marked FAILED at the next start (an SFT run is short; submit it again), its checkpoints kept.
import { randomBytes } from 'node:crypto'
import { access, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { RpcError, safeService, unary } from '../grpc-common.ts'
export { RpcError }
import { loadSync } from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { HealthImplementation } from 'grpc-health-check'
import {
  JobState, LrSchedule_Kind, SftFormat, SftJobConfig, SftServiceService, type Checkpoint, type JobStatus, type SftServiceServer,
} from '../../src/gen/dsmath/v1/training.ts'
import { listCheckpoints } from '../../src/train/pretrain.ts'
import { parseGeneratedUri } from '../../src/train/arithmetic.ts'
import { checkpointTokenizerPath, GENERATED_SFT, runSft, type SftDatasetSpec, type SftFormatName, type SftRunConfig } from '../../src/train/sft.ts'
import { openJobWorker } from '../../src/train/worker.ts'
import { trainLoss, trainStep, trainSteps, trainTokens, trainTokensPerSecond } from '../../src/obs/metrics.ts'

const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url))
const SERVICE_NAME = 'dsmath.v1.SftService'
const TERMINAL = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED])

const invalid = (field: string, why: string): RpcError => new RpcError(grpc.status.INVALID_ARGUMENT, `${field}: ${why}`)

export interface SftServerOptions {
  host?: string
  port?: number
  /** Job configs, statuses and (unless a job names checkpoint_dir) checkpoints. */
  stateDir: string
  authToken?: string
  /** torch threads of the workers the service starts itself (0: torch's default). */
  workerThreads?: number
  log?: (msg: string, fields?: Record<string, unknown>) => void
}

export interface ResolvedSftJob { run: SftRunConfig; workerAddresses: string[]; workerToken: string; stepDeadlineMs: number }

const FORMATS: Record<number, SftFormatName> = {
  [SftFormat.SFT_FORMAT_UNSPECIFIED]: 'cot', [SftFormat.SFT_FORMAT_CHAIN_OF_THOUGHT]: 'cot',
  [SftFormat.SFT_FORMAT_PROGRAM_OF_THOUGHT]: 'pot', [SftFormat.SFT_FORMAT_TOOL_INTEGRATED]: 'tool',
}

/** Checks a submitted config field by field (the first bad one is named) and fills the defaults. */
const KNOWN_SCHEDULES = Object.values(LrSchedule_Kind).filter((k): k is LrSchedule_Kind => typeof k === 'number' && k !== LrSchedule_Kind.UNRECOGNIZED)

export async function resolveSftJob(config: SftJobConfig | undefined, defaultOutDir: string): Promise<ResolvedSftJob> {
  if (!config) throw invalid('config', 'required')
  const c = config.common
  if (!c) throw invalid('config.common', 'required (init_checkpoint, batch_size, seq_len, total_steps, ...)')
  if (!c.init_checkpoint) throw invalid('config.common.init_checkpoint', 'required: SFT starts from a pretrain checkpoint directory')
  if (c.init_checkpoint.startsWith('s3://')) throw invalid('config.common.init_checkpoint', 'must be a directory on the worker\'s filesystem')
  if (!(await access(join(c.init_checkpoint, 'state.json')).then(() => true, () => false))) throw invalid('config.common.init_checkpoint', `no checkpoint at ${c.init_checkpoint} (state.json missing)`)
  if (c.batch_size < 0 || !Number.isInteger(c.batch_size)) throw invalid('config.common.batch_size', 'must be > 0')
  if (c.seq_len !== 0 && c.seq_len < 8) throw invalid('config.common.seq_len', 'must be >= 8')
  if (Number(c.total_steps) < 0) throw invalid('config.common.total_steps', 'must be > 0')
  if (Number(c.checkpoint_every) < 0) throw invalid('config.common.checkpoint_every', 'must be >= 0')
  const s = c.lr_schedule
  if (s && (!Number.isFinite(s.peak_lr) || s.peak_lr < 0)) throw invalid('config.common.lr_schedule.peak_lr', 'must be a finite number >= 0')
  if (s && Number(s.warmup_steps) < 0) throw invalid('config.common.lr_schedule.warmup_steps', 'must be >= 0')
  if (s && !KNOWN_SCHEDULES.includes(s.kind)) throw invalid('config.common.lr_schedule.kind', `unknown value ${s.kind}`)
  if (c.checkpoint_dir.includes('://')) throw invalid('config.common.checkpoint_dir', 'must be a directory on this service\'s filesystem')
  if (c.workers?.addresses.some((a) => !/^[^\s:]+:\d+$/.test(a))) throw invalid('config.common.workers.addresses', 'each must be host:port')
  const tokenizer = c.tokenizer || checkpointTokenizerPath(c.init_checkpoint)
  if (!(await access(tokenizer).then(() => true, () => false))) throw invalid(c.tokenizer ? 'config.common.tokenizer' : 'config.common.init_checkpoint', `no tokenizer.json at ${tokenizer}`)
  const datasets: SftDatasetSpec[] = []
  for (const [i, d] of config.datasets.entries()) {
    const f = `config.datasets[${i}]`
    if (!d.uri) throw invalid(`${f}.uri`, `required: ${GENERATED_SFT} or a JSON-lines file`)
    if (!(d.format in FORMATS)) throw invalid(`${f}.format`, 'unknown')
    if (!Number.isFinite(d.weight) || d.weight < 0) throw invalid(`${f}.weight`, 'must be >= 0')
    if (Number(d.max_examples) < 0) throw invalid(`${f}.max_examples`, 'must be >= 0')
    let generated
    try { generated = parseGeneratedUri(d.uri) } catch (err) { throw invalid(`${f}.uri`, (err as Error).message) }
    if (!generated) {
      if (d.uri.includes('://')) throw invalid(`${f}.uri`, `only ${GENERATED_SFT} and local files are supported`)
      if (!(await access(d.uri).then(() => true, () => false))) throw invalid(`${f}.uri`, `cannot read ${d.uri}`)
      if (d.format !== SftFormat.SFT_FORMAT_UNSPECIFIED && d.format !== SftFormat.SFT_FORMAT_CHAIN_OF_THOUGHT && !d.uri.endsWith('.jsonl')) throw invalid(`${f}.uri`, 'must be .jsonl')
    }
    datasets.push({ uri: d.uri, format: FORMATS[d.format]!, weight: d.weight || 1, maxExamples: Number(d.max_examples) })
  }
  if (config.prompt_template && !config.prompt_template.includes('{question}')) throw invalid('config.prompt_template', 'must contain {question}')
  const kinds: Record<number, SftRunConfig['schedule']> = {
    [LrSchedule_Kind.KIND_UNSPECIFIED]: 'multi_step', [LrSchedule_Kind.KIND_MULTI_STEP]: 'multi_step',
    [LrSchedule_Kind.KIND_CONSTANT]: 'constant', [LrSchedule_Kind.KIND_COSINE]: 'cosine',
  }
  const steps = Number(c.total_steps) || 500
  return {
    run: {
      checkpoint: c.init_checkpoint, tokenizer, outDir: c.checkpoint_dir || defaultOutDir, steps, seqLen: c.seq_len || 256,
      batchSize: c.batch_size || 8, lr: s?.peak_lr || 1e-3, warmup: s ? Number(s.warmup_steps) : 10, seed: Number(c.seed) || 1,
      ...(datasets.length ? { datasets } : {}), ...(config.prompt_template ? { promptTemplate: config.prompt_template } : {}),
      schedule: kinds[s?.kind ?? 0] ?? 'multi_step', checkpointEvery: Number(c.checkpoint_every),
    },
    workerAddresses: c.workers?.addresses ?? [], workerToken: c.workers?.auth_token ?? '',
    stepDeadlineMs: Number(c.workers?.step_deadline_ms) || 600_000,
  }
}

interface JobFile { job_id: string; config: unknown; created_at: string; status: JobStatus }

const now = (): string => new Date().toISOString()

class Job {
  status: JobStatus
  readonly listeners = new Set<(s: JobStatus) => void>()
  cancelRequested = false
  done: Promise<void> = Promise.resolve()

  constructor(readonly id: string, readonly config: SftJobConfig, readonly resolved: ResolvedSftJob, readonly dir: string, readonly createdAt: string, status?: JobStatus) {
    this.status = status ?? {
      job_id: id, state: JobState.JOB_STATE_QUEUED, step: 0, total_steps: resolved.run.steps, loss: 0, tokens_per_second: 0,
      tokens: 0, learning_rate: 0, message: '', updated_at: now(), metrics: {}, last_checkpoint: '',
    }
  }

  update(patch: Partial<JobStatus>): void {
    this.status = { ...this.status, ...patch, updated_at: now() }
    for (const l of this.listeners) l(this.status)
  }

  async persist(): Promise<void> {
    const file: JobFile = { job_id: this.id, config: SftJobConfig.toJSON(this.config), created_at: this.createdAt, status: this.status }
    const tmp = join(this.dir, `job.json.tmp-${process.pid}`)
    await writeFile(tmp, JSON.stringify(file, null, 1))
    await rename(tmp, join(this.dir, 'job.json'))
  }
}

export class SftJobs {
  readonly jobs = new Map<string, Job>()
  stopping = false
  constructor(private readonly opts: SftServerOptions) {}

  private log(msg: string, fields?: Record<string, unknown>): void { (this.opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(msg, fields) }

  /** Loads the jobs under the state directory; one left unfinished by a stopped service is marked FAILED. */
  async recover(): Promise<void> {
    const root = join(this.opts.stateDir, 'jobs')
    await mkdir(root, { recursive: true })
    for (const id of (await readdir(root)).sort()) {
      let file: JobFile
      try { file = JSON.parse(await readFile(join(root, id, 'job.json'), 'utf8')) as JobFile } catch { continue }
      const config = SftJobConfig.fromJSON(file.config)
      let resolved: ResolvedSftJob
      try { resolved = await resolveSftJob(config, join(root, id, 'run')) } catch { continue }
      const job = new Job(id, config, resolved, join(root, id), file.created_at, file.status)
      this.jobs.set(id, job)
      if (!TERMINAL.has(job.status.state)) {
        job.update({ state: JobState.JOB_STATE_FAILED, message: `interrupted at step ${job.status.step} when the service stopped; submit it again` })
        await job.persist()
      }
    }
  }

  async submit(config: SftJobConfig | undefined, jobId: string): Promise<JobStatus> {
    if (jobId && !/^[A-Za-z0-9_.-]{1,64}$/.test(jobId)) throw invalid('job_id', '1-64 letters, digits, _ . -')
    const existing = jobId ? this.jobs.get(jobId) : undefined
    if (existing) return existing.status
    const id = jobId || `sft-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
    const dir = join(this.opts.stateDir, 'jobs', id)
    const resolved = await resolveSftJob(config, join(dir, 'run'))
    await mkdir(dir, { recursive: true })
    const job = new Job(id, config!, resolved, dir, now())
    this.jobs.set(id, job)
    await job.persist()
    job.done = this.execute(job).catch(async (err: Error) => {
      this.log(`sft: job ${job.id} failed: ${err.message}`, { job_id: job.id })
      job.update({ state: JobState.JOB_STATE_FAILED, message: err.message })
      await job.persist().catch(() => {})
    })
    return job.status
  }

  get(id: string): Job {
    if (!id) throw invalid('job_id', 'required')
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

  private async execute(job: Job): Promise<void> {
    job.update({ state: JobState.JOB_STATE_RUNNING, message: '' })
    await job.persist()
    this.log(`sft: job ${job.id} running (${job.status.total_steps} steps from ${job.resolved.run.checkpoint})`, { job_id: job.id })
    let worker: Awaited<ReturnType<typeof openJobWorker>> | null = null
    try {
      worker = await openJobWorker({
        addresses: job.resolved.workerAddresses, jobId: `sft/${job.id}`, token: job.resolved.workerToken || undefined,
        stepDeadlineMs: job.resolved.stepDeadlineMs, threads: this.opts.workerThreads ?? 0,
      })
      let firstLoss: number | undefined, respTokens = 0, tokens = 0, ms = 0
      const summary = await runSft(job.resolved.run, worker.conn, {
        onStep: (m) => {
          firstLoss ??= m.loss
          trainLoss.set({ job: job.id }, m.loss)
          trainStep.set({ job: job.id }, m.step)
          trainSteps.inc({ job: job.id })
          trainTokens.inc({ job: job.id }, m.tokens)
          trainTokensPerSecond.set({ job: job.id }, m.tokens_per_sec)
          respTokens += m.response_tokens
          tokens += m.tokens
          ms += m.step_ms
          job.update({
            step: m.step, loss: m.loss, tokens: m.total_tokens, learning_rate: m.lr, tokens_per_second: m.tokens_per_sec,
            metrics: { first_loss: firstLoss, grad_norm: m.grad_norm, response_tokens: respTokens, mean_tokens_per_second: tokens / (ms / 1000) },
          })
        },
        onCheckpoint: async (c) => { job.update({ last_checkpoint: c.path }); await job.persist() },
        shouldStop: () => job.cancelRequested || this.stopping,
      })
      await worker.close() // before the final status: whoever sees it may send the next job to this worker
      worker = null
      const stopped = summary.steps < job.resolved.run.steps
      job.update(stopped
        ? { state: JobState.JOB_STATE_CANCELLED, message: `${job.cancelRequested ? 'cancelled' : 'service stopped'} at step ${summary.steps} (checkpoint saved)` }
        : { state: JobState.JOB_STATE_SUCCEEDED, message: '', metrics: { ...job.status.metrics, examples: summary.examples, skipped_examples: summary.skipped_examples } })
      await job.persist()
      this.log(`sft: job ${job.id} ${JobState[job.status.state]} at step ${job.status.step}`, { job_id: job.id, step: job.status.step, loss: job.status.loss })
    } finally {
      await worker?.close()
    }
  }
}


export interface RunningSftServer { port: number; jobs: SftJobs; close(): Promise<void> }

export async function startSftServer(opts: SftServerOptions): Promise<RunningSftServer> {
  const jobs = new SftJobs(opts)
  const impl: SftServiceServer = {
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
  server.addService(...safeService(SftServiceService, impl, opts.authToken))
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
