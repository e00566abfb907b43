// fastText through the official C++ code compiled to WebAssembly (the fasttext.wasm.js package):
// supervised training with the DeepSeekMath parameters, .bin model files, and prediction.
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { getFastTextModule } from 'fasttext.wasm.js'

/** DeepSeekMath's classifier settings (paper, section 2.1), plus fastText defaults for the rest. */
export const PAPER_PARAMS = { dim: 256, lr: 0.1, wordNgrams: 3, minCount: 3, epoch: 3 } as const

export interface TrainParams {
  dim: number
  lr: number
  wordNgrams: number
  minCount: number
  epoch: number
  bucket: number
  loss: 'softmax' | 'hs' | 'ns' | 'ova'
  seed: number
  minn: number
  maxn: number
  label: string
}

export const DEFAULT_TRAIN_PARAMS: TrainParams = {
  ...PAPER_PARAMS, bucket: 2_000_000, loss: 'softmax', seed: 0, minn: 0, maxn: 0, label: '__label__',
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Core = any
let corePromise: Promise<Core> | undefined
function core(): Promise<Core> {
  const p: Promise<Core> = corePromise ?? getFastTextModule()
  corePromise = p
  return p
}
let fileCounter = 0

export interface Prediction {
  label: string
  prob: number
}

export class FastTextModel {
  /** Use FastTextModel.load / fromBytes or trainSupervised. */
  constructor(private readonly ft: Core, readonly labels: string[], private readonly mod: Core) {}

  static async fromBytes(bytes: Uint8Array, name = 'model'): Promise<FastTextModel> {
    const mod = await core()
    const path = `/model-${fileCounter++}.bin`
    mod.FS.writeFile(path, bytes)
    const ft = new mod.FastText()
    try {
      ft.loadModel(path)
    } catch (err) {
      throw new Error(`${name} is not a fastText model file: ${describe(mod, err)}`)
    } finally {
      mod.FS.unlink(path)
    }
    return new FastTextModel(ft, vectorToArray(ft.getLabels()[0] ?? ft.getLabels().first), mod)
  }

  static async load(path: string): Promise<FastTextModel> {
    const bytes = await readFile(path).catch((err) => {
      throw new Error(`cannot read fastText model ${path}: ${(err as Error).message}`)
    })
    return FastTextModel.fromBytes(bytes, path)
  }

  /** Top-k labels with probabilities, as fastText's predict-prob prints them. */
  predict(line: string, k = 1, threshold = 0): Prediction[] {
    const v = this.ft.predict(line, k, threshold)
    const out: Prediction[] = []
    for (let i = 0; i < v.size(); i++) {
      const pair = v.get(i)
      out.push({ label: pair[1], prob: pair[0] })
    }
    v.delete?.()
    return out
  }

  /** Probability of one label (0 when it is not among the model's labels). */
  probability(line: string, label: string): number {
    const all = this.predict(line, -1, 0)
    return all.find((p) => p.label === label)?.prob ?? 0
  }

  /** Frees the model's WebAssembly memory (a 100k-bucket, dim-256 model holds ~100 MB); unusable after. */
  dispose(): void {
    this.ft.delete?.()
  }

  async save(path: string): Promise<void> {
    const mod = this.mod
    const tmp = `/save-${fileCounter++}.bin`
    this.ft.saveModel(tmp)
    const bytes = mod.FS.readFile(tmp) as Uint8Array
    mod.FS.unlink(tmp)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, bytes)
  }
}

function vectorToArray(v: Core): string[] {
  if (!v) return []
  if (Array.isArray(v)) return v
  const out: string[] = []
  for (let i = 0; i < v.size(); i++) out.push(v.get(i))
  return out
}

function describe(mod: Core, err: unknown): string {
  if (typeof err === 'number' && mod.getExceptionMessage) {
    try { return String(mod.getExceptionMessage(err)) } catch { /* fall through */ }
  }
  return err instanceof Error ? err.message : String(err)
}

export interface TrainProgress { progress: number; loss: number; wordsPerSec: number }

/** Trains a supervised model from text in fastText's format (`__label__x tokens...` per line). */
export async function trainSupervised(
  trainingText: string | Uint8Array, params: Partial<TrainParams> = {}, onProgress?: (p: TrainProgress) => void,
): Promise<FastTextModel> {
  // A module of its own: in a module where a model was loaded, the official code's training fails (measured:
  // train, save, load, train -> a C++ exception), and its memory goes with the model when that is collected.
  const mod = await getFastTextModule()
  const p = { ...DEFAULT_TRAIN_PARAMS, ...params }
  const input = `/train-${fileCounter++}.txt`
  mod.FS.writeFile(input, typeof trainingText === 'string' ? Buffer.from(trainingText) : trainingText)
  const args = new mod.Args()
  for (const k of ['dim', 'lr', 'wordNgrams', 'minCount', 'epoch', 'bucket', 'seed', 'minn', 'maxn', 'label'] as const) args[k] = p[k]
  args.model = mod.ModelName.supervised
  args.loss = mod.LossName[p.loss]
  args.thread = 1
  args.verbose = 0
  args.input = input
  const ft = new mod.FastText()
  try {
    let lastReport = 0
    ft.train(args, (progress: number, loss: number, wordsPerSec: number) => {
      if (onProgress && (progress - lastReport >= 0.05 || progress >= 1)) {
        lastReport = progress
        onProgress({ progress, loss, wordsPerSec })
      }
    })
  } catch (err) {
    throw new Error(`fastText training failed: ${describe(mod, err)}`)
  } finally {
    mod.FS.unlink(input)
  }
  const labels = ft.getLabels()
  return new FastTextModel(ft, vectorToArray(labels[0] ?? labels.first), mod)
}
