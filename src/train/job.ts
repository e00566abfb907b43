// A PretrainJobConfig (training.proto) checked field by field and turned into a run: every error names the
// field's path ("config.common.batch_size: must be > 0"), as the services' INVALID_ARGUMENT messages do.
import { LrSchedule_Kind, type PretrainJobConfig } from '../gen/dsmath/v1/training.ts'
import type { ModelConfig } from '../gen/dsmath/v1/worker.ts'
import { GENERATED_ARITHMETIC, type SourceSpec } from './data.ts'
import { parseGeneratedUri } from './arithmetic.ts'
import type { PretrainRunConfig } from './pretrain.ts'
import { PAPER_DECAY_AT, PAPER_DECAY_FACTORS, scheduleErrors, type LrKind, type LrScheduleSpec } from './schedule.ts'

export class ConfigError extends Error {}

export interface ResolvedJob {
  run: PretrainRunConfig
  workerAddresses: string[]
  workerToken: string
  stepDeadlineMs: number
}

const KINDS: Record<number, LrKind> = {
  [LrSchedule_Kind.KIND_UNSPECIFIED]: 'multi_step', [LrSchedule_Kind.KIND_MULTI_STEP]: 'multi_step',
  [LrSchedule_Kind.KIND_CONSTANT]: 'constant', [LrSchedule_Kind.KIND_COSINE]: 'cosine',
}

/** Validates a job config; `defaultOutDir` is used when common.checkpoint_dir is empty. Throws ConfigError. */
export function resolvePretrainJob(config: PretrainJobConfig | undefined, defaultOutDir?: string): ResolvedJob {
  const errs: string[] = []
  const need = (cond: boolean, msg: string): void => { if (!cond) errs.push(msg) }
  if (!config) throw new ConfigError('config: required')
  const c = config.common
  if (!c) throw new ConfigError('config.common: required')
  const P = 'config.common'
  const isInt = (x: number, min: number): boolean => Number.isInteger(x) && x >= min
  need(isInt(c.batch_size, 1), `${P}.batch_size: must be > 0`)
  need(isInt(c.seq_len, 1), `${P}.seq_len: must be > 0`)
  need(isInt(c.total_steps, 0) && isInt(config.total_tokens, 0), `${P}.total_steps: must be >= 0`)
  need(c.total_steps > 0 || config.total_tokens > 0, `${P}.total_steps: must be > 0 (or set config.total_tokens)`)
  need(isInt(c.checkpoint_every, 0), `${P}.checkpoint_every: must be >= 0`)
  if (c.init_checkpoint) errs.push(`${P}.init_checkpoint: not supported by PretrainService (pretraining starts from config.common.model)`)
  const m = c.model
  if (!m) errs.push(`${P}.model: required`)
  else {
    need(isInt(m.vocab_size, 259), `${P}.model.vocab_size: must be >= 259 (3 special tokens + 256 bytes)`)
    need(isInt(m.d_model, 1), `${P}.model.d_model: must be > 0`)
    need(isInt(m.n_layers, 1), `${P}.model.n_layers: must be > 0`)
    need(isInt(m.n_heads, 1) && m.d_model % m.n_heads === 0 && (m.d_model / m.n_heads) % 2 === 0, `${P}.model.n_heads: must divide d_model into even head sizes`)
    need(isInt(m.max_seq_len, 0), `${P}.model.max_seq_len: must be >= 0`)
  }
  const opt = c.optimizer ?? { lr: 0 }
  // The worker's own checks, made here too so that a bad optimizer is refused at submission, not when the job starts.
  for (const f of ['beta1', 'beta2', 'weight_decay', 'grad_clip', 'eps'] as const) {
    const v = opt[f]
    if (v === undefined) continue
    need(Number.isFinite(v) && v >= 0 && (f !== 'beta1' && f !== 'beta2' ? true : v < 1) && (f !== 'eps' || v > 0),
      `${P}.optimizer.${f}: must be ${f.startsWith('beta') ? 'in [0, 1)' : f === 'eps' ? '> 0' : 'a finite number >= 0'} (got ${v})`)
  }
  const ls = c.lr_schedule
  const peak = ls?.peak_lr || opt.lr
  need(peak > 0, `${P}.lr_schedule.peak_lr: must be > 0 (or set ${P}.optimizer.lr)`)
  const kind = KINDS[ls?.kind ?? 0]
  if (!kind) errs.push(`${P}.lr_schedule.kind: unknown (${ls?.kind})`)
  const tokensPerStep = Math.max(1, c.batch_size * c.seq_len)
  const totalSteps = c.total_steps > 0 ? c.total_steps : Math.ceil(config.total_tokens / tokensPerStep)
  const schedule: LrScheduleSpec = {
    kind: kind ?? 'multi_step', peakLr: peak, warmupSteps: ls?.warmup_steps ?? 0, totalSteps,
    decayAt: ls?.decay_at.length ? ls.decay_at : kind === 'multi_step' ? [...PAPER_DECAY_AT] : [],
    decayFactors: ls?.decay_factors.length ? ls.decay_factors : kind === 'multi_step' ? [...PAPER_DECAY_FACTORS] : [],
    minLrRatio: ls?.min_lr_ratio ?? 0,
  }
  if (peak > 0) errs.push(...scheduleErrors(schedule, `${P}.lr_schedule`).filter((e) => !e.includes('peak_lr')))

  if (config.sources.length === 0) errs.push('config.sources: at least one source is required')
  const names = new Set<string>()
  const sources: SourceSpec[] = config.sources.map((s, i) => {
    const p = `config.sources[${i}]`
    if (!/^[a-z0-9_.-]+$/i.test(s.name)) errs.push(`${p}.name: required (letters, digits, _ . -)`)
    else if (names.has(s.name)) errs.push(`${p}.name: duplicate source '${s.name}'`)
    names.add(s.name)
    if (!(s.weight >= 0) || !Number.isFinite(s.weight)) errs.push(`${p}.weight: must be >= 0`)
    s.uris.forEach((u, j) => {
      if (!u) return void errs.push(`${p}.uris[${j}]: empty`)
      let gen
      try { gen = parseGeneratedUri(u) } catch (err) { return void errs.push(`${p}.uris[${j}]: ${(err as Error).message}`) }
      if (gen && s.uris.length > 1) errs.push(`${p}.uris: ${GENERATED_ARITHMETIC} must be the source's only uri`)
    })
    return { name: s.name, weight: s.weight, uris: [...s.uris], textColumn: s.text_column || 'text', ...(s.shards_topic ? { shardsTopic: s.shards_topic } : {}) }
  })
  if (config.sources.length && !config.sources.some((s) => s.weight > 0)) errs.push('config.sources: at least one weight must be > 0')
  // A source without data gives its weight to the others; with no source able to get any, the job would wait forever.
  else if (config.sources.length && !config.sources.some((s) => s.weight > 0 && (s.uris.length > 0 || s.shards_topic))) {
    errs.push('config.sources: no source with weight > 0 has uris or a shards_topic, so the job would never get data')
  }
  const outDir = c.checkpoint_dir || defaultOutDir || ''
  if (!outDir) errs.push(`${P}.checkpoint_dir: required`)
  else if (/^[a-z0-9]+:\/\//i.test(outDir) && !outDir.startsWith('file://')) errs.push(`${P}.checkpoint_dir: must be a directory on the worker's filesystem (${outDir.split(':')[0]}:// is not supported)`)
  c.workers?.addresses.forEach((a, j) => { if (!/^[^\s:]+:\d+$/.test(a)) errs.push(`${P}.workers.addresses[${j}]: must be host:port`) })
  if ((c.workers?.addresses.length ?? 0) > 1) errs.push(`${P}.workers.addresses: one worker per job for now (data parallelism is not implemented)`)
  if (errs.length) throw new ConfigError(errs[0]!)

  const model: ModelConfig = { ...m!, max_seq_len: Math.max(m!.max_seq_len, c.seq_len) }
  return {
    run: {
      model, optimizer: { ...opt, lr: opt.lr || peak }, schedule, batchSize: c.batch_size, seqLen: c.seq_len, totalSteps,
      outDir: outDir.replace(/^file:\/\//, ''), checkpointEvery: c.checkpoint_every, seed: Number(c.seed), sources,
      ...(c.tokenizer ? { tokenizer: c.tokenizer } : {}),
    },
    workerAddresses: c.workers?.addresses ?? [], workerToken: c.workers?.auth_token ?? '',
    stepDeadlineMs: Number(c.workers?.step_deadline_ms) || 600_000,
  }
}
