// fastText's own command line, mirrored: same verbs, single-dash flags and output formats.
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { DEFAULT_TRAIN_PARAMS, fastTextEngine, FastTextModel, trainSupervised, type Prediction, type TrainParams } from '../fasttext/model.ts'
import { HelpShown, log, UsageError } from './args.ts'

const SUPERVISED_USAGE = `
dsmath fasttext supervised -input F -output M [options]
Trains a supervised classifier (the official fastText code: the native addon built by \`make native\`,
else WebAssembly) and writes M.bin.
Defaults are DeepSeekMath's: -dim 256 -lr 0.1 -wordNgrams 3 -minCount 3 -epoch 3; others as fastText:
  -bucket 2000000 -loss softmax -minn 0 -maxn 0 -seed 0 -label __label__ -thread min(12, cores)
With more than one thread training is Hogwild, as fastText's: fast, not bit-for-bit repeatable
(-thread 1 is). The WebAssembly engine always trains on one thread.
`
const PREDICT_USAGE = `
dsmath fasttext predict|predict-prob M F [k] [threshold]
Prints the k most likely labels (and their probabilities) for each line of F ('-' reads stdin).
`
const TEST_USAGE = `
dsmath fasttext test M F [k] [threshold]
Prints N, P@k and R@k on the labelled lines of F, as fastText does.
`

const NUMERIC = new Set(['dim', 'lr', 'wordNgrams', 'minCount', 'epoch', 'bucket', 'minn', 'maxn', 'seed', 'thread'])

function parseDashFlags(argv: string[], usage: string): { flags: Record<string, string>; positionals: string[] } {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(usage.trim() + '\n')
    throw new HelpShown()
  }
  const flags: Record<string, string> = {}
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (/^-[A-Za-z]/.test(a)) {
      if (i + 1 >= argv.length) throw new UsageError(`flag ${a} needs a value`)
      flags[a.replace(/^-+/, '')] = argv[++i]
    } else positionals.push(a)
  }
  return { flags, positionals }
}

export async function fasttextSupervised(argv: string[]): Promise<number> {
  const { flags } = parseDashFlags(argv, SUPERVISED_USAGE)
  const input = flags.input, output = flags.output
  if (!input) throw new UsageError('missing -input')
  if (!output) throw new UsageError('missing -output')
  const params: Partial<TrainParams> = { thread: Math.min(12, availableParallelism()) }
  for (const [k, v] of Object.entries(flags)) {
    if (k === 'input' || k === 'output') continue
    if (!(k in DEFAULT_TRAIN_PARAMS)) throw new UsageError(`unknown flag -${k}`)
    if (NUMERIC.has(k)) {
      const n = Number(v)
      if (!Number.isFinite(n)) throw new UsageError(`-${k} must be a number, got '${v}'`)
      ;(params as Record<string, number>)[k] = n
    } else (params as Record<string, string>)[k] = v
  }
  const text = await readFile(input).catch(() => { throw new Error(`-input ${input}: cannot read the file`) })
  const t0 = Date.now()
  const model = await trainSupervised(text, params)
  const path = output.endsWith('.bin') ? output : `${output}.bin`
  await model.save(path)
  log(`trained in ${((Date.now() - t0) / 1000).toFixed(1)} s (${fastTextEngine()}, ${fastTextEngine() === 'native' ? params.thread : 1} thread(s)); labels ${model.labels.join(' ')}; wrote ${path}`)
  return 0
}

async function readLines(path: string): Promise<string[]> {
  let text: string
  if (path === '-') {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    text = Buffer.concat(chunks).toString('utf8')
  } else {
    text = await readFile(path, 'utf8').catch(() => { throw new Error(`${path}: cannot read the file`) })
  }
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

function predictArgs(argv: string[], usage: string): { model: string; file: string; k: number; threshold: number } {
  const { positionals } = parseDashFlags(argv, usage)
  if (positionals.length < 2) throw new UsageError('give a model and an input file')
  const k = Number(positionals[2] ?? 1), threshold = Number(positionals[3] ?? 0)
  if (!Number.isInteger(k) || k === 0) throw new UsageError(`k must be a non-zero integer, got '${positionals[2]}'`)
  if (!Number.isFinite(threshold)) throw new UsageError(`threshold must be a number, got '${positionals[3]}'`)
  return { model: positionals[0], file: positionals[1], k, threshold }
}

/** fastText prints probabilities with C++'s default stream precision (6 significant digits). */
export function formatProb(p: number): string {
  return String(Number(p.toPrecision(6)))
}

async function predictAll(argv: string[], usage: string, withProb: boolean): Promise<number> {
  const a = predictArgs(argv, usage)
  const model = await FastTextModel.load(a.model)
  const out: string[] = []
  for (const line of await readLines(a.file)) {
    const preds: Prediction[] = model.predict(line, a.k, a.threshold)
    out.push(preds.map((p) => (withProb ? `${p.label} ${formatProb(p.prob)}` : p.label)).join(' '))
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
  return 0
}

export const fasttextPredict = (argv: string[]): Promise<number> => predictAll(argv, PREDICT_USAGE, false)
export const fasttextPredictProb = (argv: string[]): Promise<number> => predictAll(argv, PREDICT_USAGE, true)

export async function fasttextTest(argv: string[]): Promise<number> {
  const a = predictArgs(argv, TEST_USAGE)
  const model = await FastTextModel.load(a.model)
  let n = 0, correct = 0, predicted = 0, gold = 0
  for (const line of await readLines(a.file)) {
    const words = line.split(/\s+/).filter(Boolean)
    const labels = new Set(words.filter((w) => w.startsWith('__label__')))
    if (labels.size === 0) continue
    n++
    gold += labels.size
    const preds = model.predict(words.filter((w) => !labels.has(w)).join(' '), a.k, a.threshold)
    predicted += preds.length
    correct += preds.filter((p) => labels.has(p.label)).length
  }
  const k = a.k < 0 ? '-1' : String(a.k)
  process.stdout.write(`N\t${n}\nP@${k}\t${(predicted ? correct / predicted : 0).toFixed(3)}\nR@${k}\t${(gold ? correct / gold : 0).toFixed(3)}\n`)
  return 0
}
