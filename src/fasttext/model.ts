// fastText through the official C++ code: a native N-API addon over libfasttext when `make native` built it
// (multi-threaded training, the Python binding's speed), else the same code compiled to WebAssembly
// (the fasttext.wasm.js package, one thread). Supervised training with the DeepSeekMath parameters,
// official .bin/.ftz model files, and prediction; DSMATH_FASTTEXT=wasm|native picks one.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
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
  /** Training threads (native engine; the WebAssembly one always uses 1). Above 1 training is Hogwild, as
   *  fastText's, and not repeatable, so the pipeline's default is 1: the same run scores the same. */
  thread: number
}

export const DEFAULT_TRAIN_PARAMS: TrainParams = {
  ...PAPER_PARAMS, bucket: 2_000_000, loss: 'softmax', seed: 0, minn: 0, maxn: 0, label: '__label__', thread: 1,
}

export interface Prediction {
  label: string
  prob: number
}

export type FastTextEngine = 'native' | 'wasm'

/** What a loaded model needs from either engine. */
interface Backend {
  readonly engine: FastTextEngine
  labels(): string[]
  predict(line: string, k: number, threshold: number): Prediction[]
  saveBytes(path: string): Promise<void>
  dispose(): void
}

// ---- native engine: native/fasttext/build/fasttext.node ----

/** Where `make native` puts the addon. */
export const NATIVE_FASTTEXT_PATH = new URL('../../native/fasttext/build/fasttext.node', import.meta.url).pathname

interface NativeFastText {
  loadBytes(bytes: Uint8Array, name: string): unknown
  labels(handle: unknown): string[]
  predict(handle: unknown, line: string, k: number, threshold: number): Prediction[]
  save(handle: unknown, path: string): void
  dispose(handle: unknown): void
  train(args: Record<string, string | number>, onProgress?: (progress: number, loss: number, wordsPerSec: number) => void): Promise<unknown>
}

let nativeAddon: NativeFastText | null | undefined
let nativeError = ''

function loadNative(): NativeFastText | null {
  if (nativeAddon !== undefined) return nativeAddon
  nativeAddon = null
  if (!existsSync(NATIVE_FASTTEXT_PATH)) nativeError = `${NATIVE_FASTTEXT_PATH} not built (make native)`
  else {
    try {
      nativeAddon = createRequire(import.meta.url)(NATIVE_FASTTEXT_PATH) as NativeFastText
    } catch (err) {
      nativeError = `${NATIVE_FASTTEXT_PATH}: ${(err as Error).message}`
    }
  }
  return nativeAddon
}

/** The engine used: DSMATH_FASTTEXT=wasm|native, else native when the addon is built. */
export function fastTextEngine(): FastTextEngine {
  const asked = process.env.DSMATH_FASTTEXT
  if (asked === 'wasm') return 'wasm'
  if (asked === 'native' && !loadNative()) throw new Error(`fastText engine native unavailable: ${nativeError}`)
  if (asked !== undefined && asked !== '' && asked !== 'native') throw new Error(`DSMATH_FASTTEXT=${asked}: expected native or wasm`)
  return loadNative() ? 'native' : 'wasm'
}

class NativeBackend implements Backend {
  readonly engine = 'native' as const
  constructor(private readonly addon: NativeFastText, private readonly handle: unknown) {}
  labels(): string[] { return this.addon.labels(this.handle) }
  predict(line: string, k: number, threshold: number): Prediction[] { return this.addon.predict(this.handle, line, k, threshold) }
  async saveBytes(path: string): Promise<void> { this.addon.save(this.handle, path) }
  dispose(): void { this.addon.dispose(this.handle) }
}

// ---- WebAssembly engine: fasttext.wasm.js ----

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Core = any
let corePromise: Promise<Core> | undefined
function core(): Promise<Core> {
  const p: Promise<Core> = corePromise ?? getFastTextModule()
  corePromise = p
  return p
}
let fileCounter = 0

class WasmBackend implements Backend {
  readonly engine = 'wasm' as const
  constructor(private readonly ft: Core, private readonly mod: Core) {}
  labels(): string[] {
    const labels = this.ft.getLabels()
    return vectorToArray(labels[0] ?? labels.first)
  }
  predict(line: string, k: number, threshold: number): Prediction[] {
    const v = this.ft.predict(line, k, threshold)
    const out: Prediction[] = []
    for (let i = 0; i < v.size(); i++) {
      const pair = v.get(i)
      out.push({ label: pair[1], prob: pair[0] })
    }
    v.delete?.()
    return out
  }
  async saveBytes(path: string): Promise<void> {
    const tmp = `/save-${fileCounter++}.bin`
    this.ft.saveModel(tmp)
    const bytes = this.mod.FS.readFile(tmp) as Uint8Array
    this.mod.FS.unlink(tmp)
    await writeFile(path, bytes)
  }
  dispose(): void { this.ft.delete?.() }
}

export class FastTextModel {
  readonly labels: string[]
  /** Use FastTextModel.load / fromBytes or trainSupervised. */
  private constructor(private readonly backend: Backend) {
    this.labels = backend.labels()
  }

  /** Which engine holds this model. */
  get engine(): FastTextEngine { return this.backend.engine }

  static async fromBytes(bytes: Uint8Array, name = 'model'): Promise<FastTextModel> {
    if (fastTextEngine() === 'native') {
      const addon = loadNative()!
      let handle: unknown
      try {
        handle = addon.loadBytes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name)
      } catch (err) {
        throw new Error(`${name} is not a fastText model file: ${(err as Error).message}`)
      }
      return new FastTextModel(new NativeBackend(addon, handle))
    }
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
    return new FastTextModel(new WasmBackend(ft, mod))
  }

  static async load(path: string): Promise<FastTextModel> {
    const bytes = await readFile(path).catch((err) => {
      throw new Error(`cannot read fastText model ${path}: ${(err as Error).message}`)
    })
    return FastTextModel.fromBytes(bytes, path)
  }

  /** Top-k labels with probabilities, as fastText's predict-prob prints them (k = -1: all). */
  predict(line: string, k = 1, threshold = 0): Prediction[] {
    return this.backend.predict(line, k, threshold)
  }

  /** Probability of one label (0 when it is not among the model's labels). */
  probability(line: string, label: string): number {
    const all = this.predict(line, -1, 0)
    return all.find((p) => p.label === label)?.prob ?? 0
  }

  /** Frees the model's memory now (a 100k-bucket, dim-256 model holds ~100 MB); unusable after. */
  dispose(): void {
    this.backend.dispose()
  }

  async save(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true })
    await this.backend.saveBytes(path)
  }

  /** @internal */
  static fromBackend(backend: Backend): FastTextModel { return new FastTextModel(backend) }
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
  const p = { ...DEFAULT_TRAIN_PARAMS, ...params }
  let lastReport = 0
  const report = (progress: number, loss: number, wordsPerSec: number): void => {
    if (onProgress && (progress - lastReport >= 0.05 || progress >= 1)) {
      lastReport = progress
      onProgress({ progress, loss, wordsPerSec })
    }
  }
  return fastTextEngine() === 'native' ? trainNative(trainingText, p, report) : trainWasm(trainingText, p, report)
}

type Report = (progress: number, loss: number, wordsPerSec: number) => void

async function trainNative(trainingText: string | Uint8Array, p: TrainParams, report: Report): Promise<FastTextModel> {
  const addon = loadNative()!
  const dir = await mkdtemp(join(tmpdir(), 'dsmath-fasttext-'))
  const input = join(dir, 'train.txt')
  try {
    await writeFile(input, trainingText)
    const handle = await addon.train({ ...p, input }, report)
    return FastTextModel.fromBackend(new NativeBackend(addon, handle))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function trainWasm(trainingText: string | Uint8Array, p: TrainParams, report: Report): Promise<FastTextModel> {
  // A module of its own: in a module where a model was loaded, the official code's training fails (measured:
  // train, save, load, train -> a C++ exception), and its memory goes with the model when that is collected.
  const mod = await getFastTextModule()
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
    ft.train(args, report)
  } catch (err) {
    throw new Error(`fastText training failed: ${describe(mod, err)}`)
  } finally {
    mod.FS.unlink(input)
  }
  return FastTextModel.fromBackend(new WasmBackend(ft, mod))
}
