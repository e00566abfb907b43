// dsmath train pretrain: a pretraining run on this machine (--local: the CLI starts a PyTorch worker as its
// child and drives it) or a job submitted to a running PretrainService, followed through StreamStatus.
import { dirname, join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import {
  JobState, LrSchedule_Kind, PretrainServiceClient, type DataSource, type JobStatus, type PretrainJobConfig,
  type PretrainServiceStreamStatusResponse,
} from '../gen/dsmath/v1/training.ts'
import { GENERATED_ARITHMETIC, PAPER_MIXTURE } from '../train/data.ts'
import { ConfigError, resolvePretrainJob } from '../train/job.ts'
import { runPretrain, type PretrainSummary } from '../train/pretrain.ts'
import { ProgressBar } from '../train/progress.ts'
import { cliJobId, spawnWorker, WorkerConn } from '../train/worker.ts'
import { intFlag, log, parse, UsageError } from './args.ts'

const USAGE = `
dsmath train pretrain [--local] [--steps N] [--json] [--seq-len L] [--batch B] [--lr X] [--warmup W]
                      [--out DIR] [--vocab-size V] [--data [NAME=]URI[,URI...]]... [--weight NAME=W]...
                      [--tokenizer FILE] [--d-model D] [--layers N] [--heads H] [--seed S]
                      [--checkpoint-every K] [--threads T] [--service HOST:PORT] [--job-id ID]
                      [--shards-topic TOPIC] [--worker HOST:PORT]
Continued pretraining (stage 1 of DeepSeekMath) of a small decoder-only transformer through the PyTorch
worker: sources mixed by weight as shares of the training tokens (the paper's 56% math corpus / 4%
AlgebraicStack / 10% arXiv / 20% GitHub code / 10% Common Crawl; sources without data give their weight to
the others), documents packed into
sequences of L tokens with EOS between them, the paper's multi-step learning rate (linear warmup over W
steps, then 31.6% of the peak after 80% of the steps and 10% after 90%). With no --data it trains on
generated arithmetic word problems with worked solutions.
  --local          run here: start a worker as a child process (or use --worker), stop it at the end
  --service H:P    submit to a PretrainService (default 127.0.0.1:50061) and follow its status
  --data           NAME is one of ${PAPER_MIXTURE.map((m) => m.name).join(', ')} (or any new name);
                   without NAME=, math_corpus. URIs: Parquet/JSON-lines/text files, directories or s3://
                   prefixes of them, or ${GENERATED_ARITHMETIC}
  --weight NAME=W  relative weight of a source (defaults: the paper's)
  --out DIR        checkpoints, tokenizer.json, metrics.jsonl, loss.svg (default out/pretrain/<time>);
                   a DIR with checkpoints resumes from the last one
  --vocab-size V   BPE vocabulary trained on a sample of the sources when --tokenizer is not given (512)
  --json           print a JSON summary on stdout when done
Defaults: --steps 50 --seq-len 128 --batch 8 --lr 3e-3 --warmup 5 --d-model 128 --layers 2 --heads 4.
Progress goes to stderr. With DSMATH_AUTH_TOKEN set, it is sent to the service as the bearer token.
`

const FLAGS = {
  local: { type: 'boolean' }, steps: { type: 'string' }, json: { type: 'boolean' }, 'seq-len': { type: 'string' },
  batch: { type: 'string' }, lr: { type: 'string' }, warmup: { type: 'string' }, out: { type: 'string' },
  'vocab-size': { type: 'string' }, data: { type: 'string', multiple: true }, weight: { type: 'string', multiple: true },
  tokenizer: { type: 'string' }, 'd-model': { type: 'string' }, layers: { type: 'string' }, heads: { type: 'string' },
  seed: { type: 'string' }, 'checkpoint-every': { type: 'string' }, threads: { type: 'string' }, service: { type: 'string' },
  'job-id': { type: 'string' }, 'shards-topic': { type: 'string' }, worker: { type: 'string' },
} as const

function numFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number > 0, got '${String(v)}'`)
  return n
}

/** The job config the flags describe (the same message a service receives). */
export function jobConfigFromFlags(values: Record<string, unknown>, outDir: string): PretrainJobConfig {
  const steps = intFlag(values, 'steps', 50, 1)
  const seqLen = intFlag(values, 'seq-len', 128, 2)
  const lr = numFlag(values, 'lr', 3e-3)
  const byName = new Map<string, DataSource>(PAPER_MIXTURE.map((m) => [m.name, { name: m.name, weight: m.weight, uris: [], shards_topic: '', text_column: '' }]))
  const data = (values.data as string[] | undefined) ?? []
  for (const d of data) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(d)
    const [name, list] = m ? [m[1]!, m[2]!] : ['math_corpus', d]
    const src = byName.get(name) ?? { name, weight: 1, uris: [], shards_topic: '', text_column: '' }
    src.uris.push(...list.split(',').filter(Boolean))
    byName.set(name, src)
  }
  if (data.length === 0 && !values['shards-topic']) byName.get('math_corpus')!.uris.push(GENERATED_ARITHMETIC)
  if (values['shards-topic']) byName.get('math_corpus')!.shards_topic = String(values['shards-topic'])
  for (const w of (values.weight as string[] | undefined) ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=([0-9.eE+-]+)$/.exec(w)
    if (!m || !(Number(m[2]) >= 0)) throw new UsageError(`--weight must be NAME=W with W >= 0, got '${w}'`)
    const src = byName.get(m[1]!)
    if (!src) throw new UsageError(`--weight ${m[1]}: no such source (give it --data first)`)
    src.weight = Number(m[2])
  }
  return {
    common: {
      workers: { addresses: values.worker ? [String(values.worker)] : [], auth_token: '', step_deadline_ms: 0 },
      model: {
        vocab_size: intFlag(values, 'vocab-size', 512, 259), d_model: intFlag(values, 'd-model', 128, 2), n_layers: intFlag(values, 'layers', 2, 1),
        n_heads: intFlag(values, 'heads', 4, 1), ffn_hidden: 0, max_seq_len: seqLen, rope_theta: 0, dtype: 0,
        seed: intFlag(values, 'seed', 1), tie_embeddings: false, norm_eps: 0,
      },
      init_checkpoint: '', optimizer: { lr },
      lr_schedule: { kind: LrSchedule_Kind.KIND_MULTI_STEP, peak_lr: lr, warmup_steps: intFlag(values, 'warmup', Math.min(5, steps)), decay_at: [], decay_factors: [], min_lr_ratio: 0 },
      batch_size: intFlag(values, 'batch', 8, 1), seq_len: seqLen, total_steps: steps, checkpoint_dir: outDir,
      checkpoint_every: intFlag(values, 'checkpoint-every', 0), seed: intFlag(values, 'seed', 1), tokenizer: (values.tokenizer as string | undefined) ?? '',
    },
    sources: [...byName.values()], total_tokens: 0,
  }
}

const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')

export async function trainPretrain(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS as never, USAGE)
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
  if (values.local) return pretrainLocal(values)
  return pretrainRemote(values)
}

async function pretrainLocal(values: Record<string, unknown>): Promise<number> {
  if (values['shards-topic']) throw new UsageError('--shards-topic needs the service (Kafka shard events are consumed by dsmath pretrain serve); with --local use --data')
  const outDir = (values.out as string | undefined) ?? join('out', 'pretrain', stamp())
  let job
  try {
    job = resolvePretrainJob(jobConfigFromFlags(values, outDir))
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message)
    throw err
  }
  const spawned = job.workerAddresses.length ? null : await spawnWorker({ threads: intFlag(values, 'threads', 0) })
  const conn = new WorkerConn(job.workerAddresses[0] ?? spawned!.address, process.env.DSMATH_AUTH_TOKEN || undefined, job.stepDeadlineMs, spawned ? undefined : cliJobId())
  const bar = new ProgressBar(job.run.totalSteps, 'pretrain')
  let summary: PretrainSummary
  const stop = { requested: false }
  const onSignal = (): void => { stop.requested = true }
  process.once('SIGINT', onSignal)
  try {
    summary = await runPretrain(job.run, conn, {
      onStart: ({ startStep, loader, resumedFrom, numParams }) => {
        log(`pretrain: ${numParams} parameters on the worker; ${resumedFrom ? `resuming from ${resumedFrom} (step ${startStep})` : 'fresh model'}; out ${outDir}`)
        log(`pretrain: mixture ${loader.mixture().map((m) => `${m.name} ${(100 * m.effective).toFixed(1)}%${m.note ? ' (no data)' : ''}`).join(', ')}`)
      },
      onStep: (m) => bar.update(m.step, `loss ${m.loss.toFixed(3)} lr ${m.lr.toExponential(2)} ${Math.round(m.tokens_per_sec)} tok/s`),
      shouldStop: () => stop.requested,
    })
  } finally {
    bar.done()
    process.off('SIGINT', onSignal)
    await conn.release()
    await spawned?.stop()
  }
  const redistributed = summary.mixture.filter((m) => m.note).map((m) => m.name)
  const out = {
    steps: summary.steps, first_loss: summary.first_loss, last_loss: summary.last_loss, tokens: summary.tokens,
    tokens_per_sec: Math.round(summary.tokens_per_sec), checkpoint: summary.checkpoint, plot: summary.plot, metrics: summary.metrics,
    tokenizer: summary.tokenizer, vocab_size: summary.vocab_size, num_params: summary.num_params, device: summary.device,
    resumed_from: summary.resumed_from, cancelled: summary.cancelled, wall_sec: +summary.wall_sec.toFixed(1),
    mixture: summary.mixture.map((m) => ({ name: m.name, weight: +m.weight.toFixed(4), effective: +m.effective.toFixed(4), files: m.files, generated: m.generated })),
    redistributed: redistributed.length ? `no data for ${redistributed.join(', ')}: their weight went to the other sources in proportion` : '',
  }
  if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
  else log(`pretrain: ${out.steps} steps, loss ${out.first_loss?.toFixed(3)} -> ${out.last_loss?.toFixed(3)}, ${out.tokens_per_sec} tokens/s; checkpoint ${out.checkpoint}; plot ${out.plot}`)
  return summary.cancelled ? 130 : 0
}

async function pretrainRemote(values: Record<string, unknown>): Promise<number> {
  const address = (values.service as string | undefined) ?? '127.0.0.1:50061'
  const token = process.env.DSMATH_AUTH_TOKEN || undefined
  const config = jobConfigFromFlags(values, (values.out as string | undefined) ?? '')
  const client = new PretrainServiceClient(address, grpc.credentials.createInsecure())
  const md = (): grpc.Metadata => { const m = new grpc.Metadata(); if (token) m.set('authorization', `Bearer ${token}`); return m }
  try {
    const submitted = await new Promise<JobStatus>((resolve, reject) => client.submitJob(
      { config, job_id: (values['job-id'] as string | undefined) ?? '' }, md(), { deadline: Date.now() + 60_000 },
      (e, r) => (e ? reject(new Error(`${address}: ${e.details || e.message}`)) : resolve(r.status!)),
    ))
    log(`pretrain: job ${submitted.job_id} submitted to ${address}`)
    const bar = new ProgressBar(submitted.total_steps, 'pretrain')
    let first: number | null = null
    const final = await new Promise<JobStatus>((resolve, reject) => {
      let last = submitted
      const stream = client.streamStatus({ job_id: submitted.job_id }, md())
      stream.on('data', (r: PretrainServiceStreamStatusResponse) => {
        last = r.status!
        if (last.step > 0) {
          first ??= last.metrics.first_loss ?? last.loss
          bar.update(last.step, `loss ${last.loss.toFixed(3)} lr ${last.learning_rate.toExponential(2)} ${Math.round(last.tokens_per_second)} tok/s`)
        }
      })
      stream.on('error', (e: grpc.ServiceError) => reject(new Error(`${address}: ${e.details || e.message}`)))
      stream.on('end', () => resolve(last))
    })
    bar.done()
    const outDir = final.last_checkpoint ? dirname(dirname(final.last_checkpoint)) : ''
    const out = {
      job_id: final.job_id, state: JobState[final.state], steps: final.step, first_loss: final.metrics.first_loss ?? first,
      last_loss: final.loss, tokens: final.tokens, tokens_per_sec: Math.round(final.metrics.mean_tokens_per_second ?? final.tokens_per_second),
      checkpoint: final.last_checkpoint, plot: outDir ? join(outDir, 'loss.svg') : '', message: final.message,
    }
    if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
    else log(`pretrain: job ${out.job_id} ${out.state}: ${out.steps} steps, loss ${out.first_loss?.toFixed(3)} -> ${out.last_loss.toFixed(3)}; checkpoint ${out.checkpoint}`)
    return final.state === JobState.JOB_STATE_SUCCEEDED ? 0 : 1
  } finally {
    client.close()
  }
}

const SERVE_USAGE = `
dsmath pretrain serve [--host H] [--port P] [--state DIR] [--worker-threads T] [--log-batches] [--metrics-port P]
Serves dsmath.v1.PretrainService over gRPC (health checking and reflection included). Each job trains
through the PyTorch worker named in its config (common.workers.addresses) or one the service starts for it;
sources with shards_topic consume that Kafka topic (DSMATH_KAFKA_BROKERS) in group dsmath-pretrain-<job>.
Job configs, statuses and shard logs live under --state (default .dsmath/pretrain); unfinished jobs resume
from their last checkpoint when the service starts. Set DSMATH_AUTH_TOKEN to require a bearer token.
  --port P          default 50061
  --log-batches     also write each batch's token ids to <checkpoint_dir>/batches.jsonl
  --metrics-port P  serve Prometheus metrics on http://0.0.0.0:P/metrics (or $DSMATH_METRICS_PORT)
Logs are JSON lines on stderr (job_id).
`

export async function pretrainServe(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    host: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, 'worker-threads': { type: 'string' }, 'log-batches': { type: 'boolean' },
    'metrics-port': { type: 'string' },
  }, SERVE_USAGE)
  const { startPretrainServer } = await import('../../services/pretrain/server.ts')
  const { createLogger } = await import('../obs/log.ts')
  const { metricsPort, startMetricsServer } = await import('../obs/metrics.ts')
  const logger = createLogger('pretrain')
  let mport: number | undefined
  try { mport = metricsPort(values['metrics-port']) } catch (err) { throw new UsageError(`--metrics-port: ${(err as Error).message}`) }
  const host = (values.host as string | undefined) ?? '127.0.0.1'
  const server = await startPretrainServer({
    host, port: intFlag(values, 'port', 50061), stateDir: (values.state as string | undefined) ?? '.dsmath/pretrain',
    authToken: process.env.DSMATH_AUTH_TOKEN || undefined, workerThreads: intFlag(values, 'worker-threads', 0),
    logBatches: Boolean(values['log-batches']), log: (msg, fields) => logger.info(msg, fields),
  })
  const metrics = mport === undefined ? undefined : await startMetricsServer(mport)
  logger.info(`pretrain service listening on ${host}:${server.port}`, { port: server.port, metrics_port: metrics?.port })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  logger.info('pretrain service stopping: running jobs checkpoint and resume on the next start')
  await server.close()
  await metrics?.close()
  return 0
}

// dsmath train sft / eval live in src/train/sft-cli.ts (imported lazily: it imports jobConfigFromFlags from here).
export async function trainSft(argv: string[]): Promise<number> { return (await import('../train/sft-cli.ts')).trainSft(argv) }
export async function trainEval(argv: string[]): Promise<number> { return (await import('../train/sft-cli.ts')).trainEval(argv) }
