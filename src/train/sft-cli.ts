// dsmath train sft / dsmath train eval (--local): the CLI starts a PyTorch worker as its child and drives it.
import { join } from 'node:path'
import { intFlag, log, parse, UsageError } from '../cli/args.ts'
import { jobConfigFromFlags } from '../cli/train.ts'
import { generatedProblems, readProblems, runEval, type EvalProblem } from './eval.ts'
import { ConfigError, resolvePretrainJob } from './job.ts'
import { runPretrain } from './pretrain.ts'
import { ProgressBar } from './progress.ts'
import * as grpc from '@grpc/grpc-js'
import { JobState, LrSchedule_Kind, SftFormat, SftServiceClient, type JobStatus, type SftServiceStreamStatusResponse } from '../gen/dsmath/v1/training.ts'
import { generatedUri, type ArithmeticLimits } from './arithmetic.ts'
import { checkpointTokenizer, GENERATED_SFT, runSft, type SftDatasetSpec, type SftFormatName } from './sft.ts'
import { cliJobId, spawnWorker, WorkerConn } from './worker.ts'

const SFT_USAGE = `
dsmath train sft --local [--checkpoint C] [--steps N] [--json] [--out DIR] [--seq-len L] [--batch B]
                 [--lr X] [--warmup W] [--seed S] [--tokenizer FILE] [--threads T] [--worker HOST:PORT]
                 [--pretrain-steps N] [--d-model D] [--layers N] [--heads H] [--format cot|pot|tool]...
                 [--max-value N]
dsmath train sft --service HOST:PORT --checkpoint C [--job-id ID] [the same training flags]
Supervised fine-tuning (stage 2 of DeepSeekMath) on chain-of-thought examples from the arithmetic generator
(its own seed, kept apart from pretraining and from the held-out evaluation problems): prompt = the problem
and "Please reason step by step, and put your final answer within \\boxed{}.", response = the worked
solution. Examples are drawn at random and concatenated up to the context length; the loss counts response
tokens only (loss_mask).
  --checkpoint C     a pretrain checkpoint directory (.../checkpoints/step-N); its run's tokenizer.json is
                     used unless --tokenizer is given. Without it, a short pretrain runs first into DIR/pretrain
                     (--pretrain-steps, default 100, with --seq-len L and the model flags)
  --out DIR          checkpoint, tokenizer.json, metrics.jsonl, loss.svg (default out/sft/<time>)
  --format F         the generator's examples as cot (worked solutions, default), pot (a Python program
                     that prints the answer) or tool (program, its output, boxed answer); repeat to mix
  --data FILE        also JSON-lines examples: {"question","response"}, GSM8K or MATH rows (repeatable)
  --max-value N      the generator's problems keep every number (operands, steps, answer) in [0, N]
                     (N >= 10; default: its full ranges, answers up to a few thousand)
  --service H:P      submit to an SftService (dsmath sft serve) and follow its status stream
Defaults: --steps 500 (the paper's) --seq-len 256 --batch 8 --lr 1e-3 --warmup 10.
`

const SERVE_USAGE = `
dsmath sft serve [--host H] [--port P] [--state DIR] [--worker-threads T] [--metrics-port P]
Serves dsmath.v1.SftService over gRPC (health checking and reflection included): jobs fine-tune a pretrain
checkpoint (common.init_checkpoint) through the worker named in their config or one the service starts.
Job configs and statuses live under --state (default .dsmath/sft). Set DSMATH_AUTH_TOKEN to require a
bearer token.
  --port P          default 50062
  --metrics-port P  serve Prometheus metrics on http://0.0.0.0:P/metrics (or $DSMATH_METRICS_PORT)
Logs are JSON lines on stderr (job_id).
`

const EVAL_USAGE = `
dsmath train eval --local --checkpoint C (--data F.jsonl | --generated N) [--k K] [--limit N] [--json]
                  [--max-new-tokens M] [--temperature T] [--tokenizer FILE] [--threads T] [--worker HOST:PORT]
                  [--max-value N]
Greedy decoding (temperature 0) with the paper's prompt ("... Please reason step by step, and put your
final answer within \\boxed{}."), the final answer extracted and compared with the grader (dsmath grade).
  --data F.jsonl     lines {"id","question","answer"}
  --generated N      N held-out generated 2-3 step arithmetic problems instead (a seed no training run uses)
  --max-value N      with --generated: every number of the problems in [0, N] (as train sft --max-value)
  --k K              also K samples per question at --temperature (0.7): maj@k and pass@k
  --format F         cot (default): chain-of-thought, the answer in \\boxed{}; pot: program-of-thought, the
                     response's last \`\`\`python block runs in the sandbox (own process, memory/CPU/time limits,
                     no network, writes only in a scratch dir) and its last printed line is the answer; tool:
                     tool-integrated, each code block the model closes runs in the sandbox and its output is
                     appended before generation continues (at most --max-tool-calls, 3)
  --prompt-template T  the prompt with {question} in place of the format's, e.g. the pretraining text's
                     'Question: {question}\nSolution:\n' to evaluate a base model in its own format
  --limit N          only the first N problems
  --out FILE         write per-question results as JSON lines
Defaults: --max-new-tokens 200.
`

const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')

function numFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number > 0, got '${String(v)}'`)
  return n
}

async function withWorker<T>(values: Record<string, unknown>, fn: (conn: WorkerConn) => Promise<T>): Promise<T> {
  const spawned = values.worker ? null : await spawnWorker({ threads: intFlag(values, 'threads', 0) })
  const conn = new WorkerConn((values.worker as string | undefined) ?? spawned!.address, process.env.DSMATH_AUTH_TOKEN || undefined, undefined, spawned ? undefined : cliJobId())
  try {
    return await fn(conn)
  } finally {
    await conn.release()
    await spawned?.stop()
  }
}

/** --max-value N: the generator's problems keep every number in [0, N] (default: its full ranges). */
export function maxValueFlag(values: Record<string, unknown>): ArithmeticLimits {
  return values['max-value'] === undefined ? {} : { maxValue: intFlag(values, 'max-value', 0, 10) }
}

export async function trainSft(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    local: { type: 'boolean' }, checkpoint: { type: 'string' }, steps: { type: 'string' }, json: { type: 'boolean' },
    out: { type: 'string' }, 'seq-len': { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
    warmup: { type: 'string' }, seed: { type: 'string' }, tokenizer: { type: 'string' }, threads: { type: 'string' },
    worker: { type: 'string' }, 'pretrain-steps': { type: 'string' }, 'd-model': { type: 'string' }, layers: { type: 'string' },
    heads: { type: 'string' }, format: { type: 'string', multiple: true }, data: { type: 'string', multiple: true },
    service: { type: 'string' }, 'job-id': { type: 'string' }, 'max-value': { type: 'string' },
  }, SFT_USAGE)
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
  if (!values.local && !values.service) throw new UsageError('give --local or --service HOST:PORT')
  const formats = ((values.format as string[] | undefined) ?? ['cot'])
  for (const f of formats) if (f !== 'cot' && f !== 'pot' && f !== 'tool') throw new UsageError(`--format must be cot, pot or tool, got '${f}'`)
  const datasets: SftDatasetSpec[] = [
    ...formats.map((f) => ({ uri: generatedUri(maxValueFlag(values)), format: f as SftFormatName, weight: 1, maxExamples: 0 })),
    ...((values.data as string[] | undefined) ?? []).map((uri) => ({ uri, format: 'cot' as const, weight: 1, maxExamples: 0 })),
  ]
  if (values.service) return sftRemote(values, datasets)
  const outDir = (values.out as string | undefined) ?? join('out', 'sft', stamp())
  const steps = intFlag(values, 'steps', 500, 1)
  const seqLen = intFlag(values, 'seq-len', 256, 8)
  const batchSize = intFlag(values, 'batch', 8, 1)
  const lr = numFlag(values, 'lr', 1e-3)
  const warmup = intFlag(values, 'warmup', 10, 0)
  const seed = intFlag(values, 'seed', 1)
  const pretrainSteps = intFlag(values, 'pretrain-steps', 100, 1)
  return withWorker(values, async (conn) => {
    let checkpoint = values.checkpoint as string | undefined
    let pretrain: Record<string, unknown> | null = null
    if (!checkpoint) {
      let job
      try {
        job = resolvePretrainJob(jobConfigFromFlags({
          steps: String(pretrainSteps), 'seq-len': String(seqLen), batch: String(batchSize), seed: String(seed),
          'd-model': values['d-model'], layers: values.layers, heads: values.heads,
        }, join(outDir, 'pretrain')))
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message)
        throw err
      }
      const bar = new ProgressBar(job.run.totalSteps, 'pretrain')
      const s = await runPretrain(job.run, conn, { onStep: (m) => bar.update(m.step, `loss ${m.loss.toFixed(3)}`) })
      bar.done()
      checkpoint = s.checkpoint!
      pretrain = { steps: s.steps, first_loss: s.first_loss, last_loss: s.last_loss, tokens_per_sec: Math.round(s.tokens_per_sec), checkpoint }
      log(`sft: pretrained ${s.steps} steps first (loss ${s.first_loss?.toFixed(3)} -> ${s.last_loss?.toFixed(3)}), checkpoint ${checkpoint}`)
    }
    const tokenizer = (await checkpointTokenizer(checkpoint, values.tokenizer as string | undefined)).path
    const bar = new ProgressBar(steps, 'sft')
    const stop = { requested: false }
    const onSignal = (): void => { stop.requested = true }
    process.once('SIGINT', onSignal)
    let s
    try {
      s = await runSft({ checkpoint, tokenizer, outDir, steps, seqLen, batchSize, lr, warmup, seed, datasets }, conn, {
        onStep: (m) => bar.update(m.step, `loss ${m.loss.toFixed(3)} lr ${m.lr.toExponential(2)} ${Math.round(m.tokens_per_sec)} tok/s`),
        shouldStop: () => stop.requested,
      })
    } finally {
      bar.done()
      process.off('SIGINT', onSignal)
    }
    const out = { ...s, tokens_per_sec: Math.round(s.tokens_per_sec), wall_sec: +s.wall_sec.toFixed(1), ...(pretrain ? { pretrain } : {}) }
    if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
    else log(`sft: ${s.steps} steps, loss ${s.first_loss?.toFixed(3)} -> ${s.last_loss?.toFixed(3)}, ${out.tokens_per_sec} tokens/s; checkpoint ${s.checkpoint}`)
    return s.steps < steps ? 130 : 0
  })
}

export async function trainEval(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    local: { type: 'boolean' }, checkpoint: { type: 'string' }, data: { type: 'string' }, generated: { type: 'string' },
    k: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, 'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' }, tokenizer: { type: 'string' }, threads: { type: 'string' }, worker: { type: 'string' },
    out: { type: 'string' }, seed: { type: 'string' }, format: { type: 'string' }, 'max-tool-calls': { type: 'string' },
    'max-value': { type: 'string' }, 'prompt-template': { type: 'string' },
  }, EVAL_USAGE)
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`)
  if (!values.local) throw new UsageError('only --local is implemented')
  const checkpoint = values.checkpoint as string | undefined
  if (!checkpoint) throw new UsageError('--checkpoint is required')
  if (Boolean(values.data) === Boolean(values.generated)) throw new UsageError('give one of --data F.jsonl or --generated N')
  let problems: EvalProblem[] = values.data ? await readProblems(String(values.data)) : generatedProblems(intFlag(values, 'generated', 100, 1), maxValueFlag(values))
  if (values.limit !== undefined) problems = problems.slice(0, intFlag(values, 'limit', 0, 1))
  const k = values.k === undefined ? undefined : intFlag(values, 'k', 1, 1)
  const temperature = numFlag(values, 'temperature', 0.7)
  const maxNewTokens = intFlag(values, 'max-new-tokens', 200, 1)
  const format = (values.format as string | undefined) ?? 'cot'
  if (format !== 'cot' && format !== 'pot' && format !== 'tool') throw new UsageError(`--format must be cot, pot or tool, got '${format}'`)
  const promptTemplate = (values['prompt-template'] as string | undefined)?.replace(/\\n/g, '\n')
  if (promptTemplate !== undefined && !promptTemplate.includes('{question}')) throw new UsageError('--prompt-template must contain {question}')
  const { tokenizer, eosId } = await checkpointTokenizer(checkpoint, values.tokenizer as string | undefined)
  return withWorker(values, async (conn) => {
    const loaded = await conn.loadCheckpoint(checkpoint)
    const maxSeq = loaded.model?.max_seq_len ?? 0
    const bar = new ProgressBar(problems.length, 'eval')
    const s = await runEval(conn, problems, {
      tokenizer, eosId, maxNewTokens: maxSeq ? Math.min(maxNewTokens, maxSeq) : maxNewTokens, temperature,
      seed: intFlag(values, 'seed', 1), ...(k ? { k } : {}), format, ...(promptTemplate ? { promptTemplate } : {}), maxToolCalls: intFlag(values, 'max-tool-calls', 3, 0), onProgress: (d, t, c) => bar.update(d, `greedy ${c}/${d} correct`),
    })
    bar.done()
    if (values.out) {
      const { writeFile } = await import('node:fs/promises')
      await writeFile(String(values.out), s.results.map((r) => JSON.stringify(r) + '\n').join(''))
    }
    const { results: _r, ...rest } = s
    const sandbox: Record<string, number> = {}
    for (const r of s.results) for (const st of r.sandbox ?? []) sandbox[st] = (sandbox[st] ?? 0) + 1
    const out = { checkpoint, data: values.data ?? `generated:${problems.length}`, format, ...(promptTemplate ? { prompt_template: promptTemplate } : {}), ...rest, ...(format === 'cot' ? {} : { sandbox_runs: sandbox }), wall_sec: +s.wall_sec.toFixed(1) }
    if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
    else log(`eval: greedy accuracy ${(100 * s.accuracy).toFixed(1)}% (${s.correct}/${s.n})${k ? `, maj@${k} ${(100 * s.maj_at_k!).toFixed(1)}%, pass@${k} ${(100 * s.pass_at_k!).toFixed(1)}%` : ''}`)
    return 0
  })
}

const FORMAT_ENUM: Record<SftFormatName, SftFormat> = {
  cot: SftFormat.SFT_FORMAT_CHAIN_OF_THOUGHT, pot: SftFormat.SFT_FORMAT_PROGRAM_OF_THOUGHT, tool: SftFormat.SFT_FORMAT_TOOL_INTEGRATED,
}

/** dsmath train sft --service: submit an SftJobConfig built from the flags and follow the status stream. */
async function sftRemote(values: Record<string, unknown>, datasets: SftDatasetSpec[]): Promise<number> {
  const address = String(values.service)
  const checkpoint = values.checkpoint as string | undefined
  if (!checkpoint) throw new UsageError('--service needs --checkpoint (a pretrain checkpoint on the service\'s filesystem)')
  const token = process.env.DSMATH_AUTH_TOKEN || undefined
  const md = (): grpc.Metadata => { const m = new grpc.Metadata(); if (token) m.set('authorization', `Bearer ${token}`); return m }
  const client = new SftServiceClient(address, grpc.credentials.createInsecure())
  try {
    const config = {
      common: {
        workers: { addresses: values.worker ? [String(values.worker)] : [], auth_token: '', step_deadline_ms: 0 }, model: undefined,
        init_checkpoint: checkpoint, optimizer: undefined,
        lr_schedule: { kind: LrSchedule_Kind.KIND_MULTI_STEP, peak_lr: numFlag(values, 'lr', 1e-3), warmup_steps: intFlag(values, 'warmup', 10, 0), decay_at: [], decay_factors: [], min_lr_ratio: 0 },
        batch_size: intFlag(values, 'batch', 8, 1), seq_len: intFlag(values, 'seq-len', 256, 8), total_steps: intFlag(values, 'steps', 500, 1),
        checkpoint_dir: (values.out as string | undefined) ?? '', checkpoint_every: 0, seed: intFlag(values, 'seed', 1), tokenizer: (values.tokenizer as string | undefined) ?? '',
      },
      datasets: datasets.map((d) => ({ uri: d.uri, format: FORMAT_ENUM[d.format], weight: d.weight, max_examples: d.maxExamples })),
      prompt_template: '',
    }
    const submitted = await new Promise<JobStatus>((resolve, reject) => client.submitJob(
      { config, job_id: (values['job-id'] as string | undefined) ?? '' }, md(), { deadline: Date.now() + 60_000 },
      (e, r) => (e ? reject(new Error(`${address}: ${e.details || e.message}`)) : resolve(r.status!)),
    ))
    log(`sft: job ${submitted.job_id} submitted to ${address}`)
    const bar = new ProgressBar(Number(submitted.total_steps), 'sft')
    const final = await new Promise<JobStatus>((resolve, reject) => {
      let last = submitted
      const stream = client.streamStatus({ job_id: submitted.job_id }, md())
      stream.on('data', (r: SftServiceStreamStatusResponse) => {
        last = r.status!
        if (last.step > 0) bar.update(Number(last.step), `loss ${last.loss.toFixed(3)} lr ${last.learning_rate.toExponential(2)} ${Math.round(last.tokens_per_second)} tok/s`)
      })
      stream.on('error', (e: grpc.ServiceError) => reject(new Error(`${address}: ${e.details || e.message}`)))
      stream.on('end', () => resolve(last))
    })
    bar.done()
    const out = {
      job_id: final.job_id, state: JobState[final.state], steps: Number(final.step), first_loss: final.metrics.first_loss ?? null, last_loss: final.loss,
      tokens: Number(final.tokens), response_tokens: final.metrics.response_tokens ?? 0,
      tokens_per_sec: Math.round(final.metrics.mean_tokens_per_second ?? final.tokens_per_second), checkpoint: final.last_checkpoint, message: final.message,
    }
    if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
    else log(`sft: job ${out.job_id} ${out.state}: ${out.steps} steps, loss ${out.first_loss?.toFixed(3)} -> ${out.last_loss.toFixed(3)}; checkpoint ${out.checkpoint}`)
    return final.state === JobState.JOB_STATE_SUCCEEDED ? 0 : 1
  } finally {
    client.close()
  }
}

export async function sftServe(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    host: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, 'worker-threads': { type: 'string' },
    'metrics-port': { type: 'string' },
  }, SERVE_USAGE)
  const { startSftServer } = await import('../../services/sft/server.ts')
  const { createLogger } = await import('../obs/log.ts')
  const { metricsPort, startMetricsServer } = await import('../obs/metrics.ts')
  const logger = createLogger('sft')
  let mport: number | undefined
  try { mport = metricsPort(values['metrics-port'] as string | undefined) } catch (err) { throw new UsageError(`--metrics-port: ${(err as Error).message}`) }
  const host = (values.host as string | undefined) ?? '127.0.0.1'
  const server = await startSftServer({
    host, port: intFlag(values, 'port', 50062), stateDir: (values.state as string | undefined) ?? '.dsmath/sft',
    authToken: process.env.DSMATH_AUTH_TOKEN || undefined, workerThreads: intFlag(values, 'worker-threads', 0),
    log: (msg, fields) => logger.info(msg, fields),
  })
  const metrics = mport === undefined ? undefined : await startMetricsServer(mport)
  logger.info(`sft service listening on ${host}:${server.port}`, { port: server.port, metrics_port: metrics?.port })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  logger.info('sft service stopping: running jobs stop after a checkpoint')
  await server.close()
  await metrics?.close()
  return 0
}
