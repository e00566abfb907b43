// A pretraining run driven step by step through a PyTorch worker: batches from the resumable loader, the
// learning rate from the schedule, metrics as JSON lines plus an SVG plot, and checkpoints that hold the
// worker's weights and optimizer together with the loader's position and the step (one directory, written
// by the worker atomically). Started again with the same checkpoint directory, a run resumes from its last
// checkpoint and trains on exactly the batches it would have trained on next.
import { createHash } from 'node:crypto'
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelConfig, OptimizerConfig } from '../gen/dsmath/v1/worker.ts'
import { PretrainLoader, type LoaderState, type MixtureEntry, type SourceSpec } from './data.ts'
import { lineChartsSvg } from './plot.ts'
import { learningRate, type LrScheduleSpec } from './schedule.ts'
import { runTokenizer } from './tokenizer.ts'
import type { WorkerConn } from './worker.ts'

export interface PretrainRunConfig {
  model: ModelConfig
  optimizer: OptimizerConfig
  schedule: LrScheduleSpec
  batchSize: number
  seqLen: number
  totalSteps: number
  /** Local directory for checkpoints (step-NNNNNN), tokenizer.json, metrics.jsonl and loss.svg. */
  outDir: string
  /** 0: only at the end. */
  checkpointEvery: number
  seed: number
  tokenizer?: string
  sources: SourceSpec[]
  /** Also write every batch's token ids to batches.jsonl (for tests and debugging). */
  logBatches?: boolean
}

export interface StepMetrics {
  step: number; loss: number; lr: number; tokens: number; total_tokens: number; grad_norm: number
  tokens_per_sec: number; step_ms: number; worker_ms: number; batch_sha256: string; time: string
}

export interface CheckpointState {
  kind: 'dsmath.pretrain'
  step: number
  total_tokens: number
  loss: number
  loader: LoaderState
  created_at: string
}

export interface PretrainSummary {
  steps: number; start_step: number; first_loss: number | null; last_loss: number | null; tokens: number
  tokens_per_sec: number; checkpoint: string | null; plot: string; metrics: string; tokenizer: string
  vocab_size: number; num_params: number; device: string; resumed_from: string | null; mixture: MixtureEntry[]
  cancelled: boolean; wall_sec: number
}

export interface RunHooks {
  onStart?(info: { startStep: number; loader: PretrainLoader; resumedFrom: string | null; numParams: number }): void | Promise<void>
  onStep?(m: StepMetrics): void
  onCheckpoint?(c: { path: string; step: number; tokens: number; loss: number; created_at: string }): void | Promise<void>
  /** Checked before every step: true stops the run (after a checkpoint). */
  shouldStop?(): boolean
  /** Called before each step, e.g. to add shards that arrived (the loader is the run's own). */
  beforeStep?(loader: PretrainLoader): void | Promise<void>
}

export const stepDir = (outDir: string, step: number): string => join(outDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`)

export interface CheckpointInfo { path: string; step: number; tokens: number; loss: number; created_at: string }

/** Complete checkpoints under outDir (those with a state.json the worker wrote), oldest first. */
export async function listCheckpoints(outDir: string): Promise<CheckpointInfo[]> {
  const dir = join(outDir, 'checkpoints')
  const names = await readdir(dir).catch(() => [] as string[])
  const out: CheckpointInfo[] = []
  for (const n of names.filter((x) => /^step-\d+$/.test(x)).sort()) {
    try {
      const st = JSON.parse(await readFile(join(dir, n, 'state.json'), 'utf8')) as { step: number; client_state?: CheckpointState; client_state_json?: string }
      const cs = (st.client_state ?? (st.client_state_json ? JSON.parse(st.client_state_json) : undefined)) as CheckpointState | undefined
      out.push({ path: join(dir, n), step: cs?.step ?? st.step, tokens: cs?.total_tokens ?? 0, loss: cs?.loss ?? 0, created_at: cs?.created_at ?? '' })
    } catch { /* incomplete or foreign directory */ }
  }
  return out
}

export function batchSha(batch: number[][]): string {
  return createHash('sha256').update(JSON.stringify(batch)).digest('hex')
}

export function plotMetrics(metrics: StepMetrics[], title: string): string {
  const xs = metrics.map((m) => m.step)
  return lineChartsSvg(title, [
    { title: 'training loss', series: { label: 'loss', xs, ys: metrics.map((m) => m.loss) }, yLabel: 'loss (nats/token)' },
    { title: 'throughput', series: { label: 'tokens/s', xs, ys: metrics.map((m) => m.tokens_per_sec) }, yLabel: 'tokens / s' },
  ], 'step')
}

async function readMetrics(path: string, upTo: number): Promise<StepMetrics[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  const byStep = new Map<number, StepMetrics>()
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const m = JSON.parse(line) as StepMetrics
      if (m.step <= upTo) byStep.set(m.step, m)
    } catch { /* torn last line */ }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step)
}

export async function runPretrain(cfg: PretrainRunConfig, worker: WorkerConn, hooks: RunHooks = {}): Promise<PretrainSummary> {
  const t0 = performance.now()
  await mkdir(cfg.outDir, { recursive: true })
  const metricsPath = join(cfg.outDir, 'metrics.jsonl')
  const plotPath = join(cfg.outDir, 'loss.svg')
  const tok = await runTokenizer(cfg.tokenizer, join(cfg.outDir, 'tokenizer.json'), cfg.sources, cfg.model.vocab_size, cfg.seed)
  const model: ModelConfig = { ...cfg.model, vocab_size: tok.tokenizer.vocabSize, max_seq_len: Math.max(cfg.model.max_seq_len, cfg.seqLen) }

  const last = (await listCheckpoints(cfg.outDir)).at(-1)
  let loader: PretrainLoader, startStep = 0, totalTokens = 0, numParams = 0, device = ''
  if (last) {
    const res = await worker.loadCheckpoint(last.path)
    const cs = JSON.parse(res.client_state_json) as CheckpointState
    if (cs.kind !== 'dsmath.pretrain') throw new Error(`${last.path}: not a dsmath pretrain checkpoint`)
    loader = await PretrainLoader.resume(cfg.sources, cfg.seqLen, cfg.batchSize, tok.tokenizer, tok.eosId, cfg.seed, cs.loader)
    startStep = cs.step
    totalTokens = cs.total_tokens
    const st = await worker.getStatus()
    numParams = st.num_params
    device = st.device
  } else {
    loader = await PretrainLoader.create(cfg.sources, cfg.seqLen, cfg.batchSize, tok.tokenizer, tok.eosId, cfg.seed)
    const init = await worker.initModel({ model, optimizer: cfg.optimizer })
    numParams = init.num_params
    device = init.device
  }
  const history = await readMetrics(metricsPath, startStep)
  await writeFile(metricsPath, history.map((m) => JSON.stringify(m) + '\n').join(''))
  await hooks.onStart?.({ startStep, loader, resumedFrom: last?.path ?? null, numParams })

  let lastCheckpoint: string | null = last?.path ?? null
  let lastLoss = history.at(-1)?.loss ?? NaN
  const saveCheckpoint = async (step: number): Promise<void> => {
    const path = stepDir(cfg.outDir, step)
    const created_at = new Date().toISOString()
    const state: CheckpointState = { kind: 'dsmath.pretrain', step, total_tokens: totalTokens, loss: lastLoss, loader: loader.snapshot(), created_at }
    await worker.saveCheckpoint(path, state)
    lastCheckpoint = path
    await writeFile(plotPath, plotMetrics(history, `dsmath pretrain: ${cfg.outDir}`))
    await hooks.onCheckpoint?.({ path, step, tokens: totalTokens, loss: lastLoss, created_at })
  }

  let trainMs = 0, trainTokens = 0, cancelled = false, step = startStep
  const firstLoss = history[0]?.loss ?? null
  let first: number | null = firstLoss
  while (step < cfg.totalSteps) {
    if (hooks.shouldStop?.()) { cancelled = true; break }
    await hooks.beforeStep?.(loader)
    const s0 = performance.now()
    const batch = await loader.nextBatch()
    const lr = learningRate(step, cfg.schedule)
    const r = await worker.trainStep(batch, lr)
    const ms = performance.now() - s0
    step++
    if (r.step !== step) throw new Error(`worker is at step ${r.step}, the run expected ${step} (another job using the same worker?)`)
    totalTokens += r.input_tokens
    trainMs += ms
    trainTokens += r.input_tokens
    lastLoss = r.loss
    first ??= r.loss
    const sha = batchSha(batch)
    const m: StepMetrics = {
      step, loss: r.loss, lr, tokens: r.input_tokens, total_tokens: totalTokens, grad_norm: r.grad_norm,
      tokens_per_sec: r.input_tokens / (ms / 1000), step_ms: ms, worker_ms: r.step_time_ms, batch_sha256: sha, time: new Date().toISOString(),
    }
    history.push(m)
    await appendFile(metricsPath, JSON.stringify(m) + '\n')
    if (cfg.logBatches) await appendFile(join(cfg.outDir, 'batches.jsonl'), JSON.stringify({ step, sha256: sha, tokens: batch }) + '\n')
    hooks.onStep?.(m)
    if (step < cfg.totalSteps && cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0) await saveCheckpoint(step)
  }
  if (step > startStep || !lastCheckpoint) await saveCheckpoint(step)
  return {
    steps: step, start_step: startStep, first_loss: first, last_loss: Number.isFinite(lastLoss) ? lastLoss : null, tokens: totalTokens,
    tokens_per_sec: trainMs > 0 ? trainTokens / (trainMs / 1000) : 0, checkpoint: lastCheckpoint, plot: plotPath, metrics: metricsPath,
    tokenizer: tok.path, vocab_size: tok.tokenizer.vocabSize, num_params: numParams, device, resumed_from: last?.path ?? null,
    mixture: loader.mixture(), cancelled, wall_sec: (performance.now() - t0) / 1000,
  }
}
