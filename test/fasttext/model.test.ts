// The two fastText engines (native addon over the official C++ code, and the same code in WebAssembly):
// same model files, same probabilities, threads, and clear errors on bad input.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { seedTrainingLines } from '../../src/fasttext/default-model.ts'
import { FastTextModel, fastTextEngine, trainSupervised } from '../../src/fasttext/model.ts'

const params = { bucket: 20_000, epoch: 5 }

function withEngine<T>(engine: 'native' | 'wasm', fn: () => Promise<T>): Promise<T> {
  process.env.DSMATH_FASTTEXT = engine
  return fn().finally(() => { delete process.env.DSMATH_FASTTEXT })
}

describe('fastText engines', () => {
  let dir: string
  let trainText: string
  let texts: string[]
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsmath-ft-engines-'))
    const lines = seedTrainingLines()
    trainText = lines.slice(200).join('\n') + '\n'
    texts = lines.slice(0, 200).map((l) => l.split(' ').filter((w) => !w.startsWith('__label__')).join(' '))
  })
  afterEach(() => { delete process.env.DSMATH_FASTTEXT })

  it('uses the native addon when it is built (make native)', () => {
    expect(fastTextEngine()).toBe('native')
  })

  it('a model trained natively loads in WebAssembly with the same labels and probabilities, and back', async () => {
    const native = await withEngine('native', () => trainSupervised(trainText, params))
    expect(native.engine).toBe('native')
    await native.save(join(dir, 'native.bin'))
    const inWasm = await withEngine('wasm', () => FastTextModel.load(join(dir, 'native.bin')))
    expect(inWasm.engine).toBe('wasm')
    expect([...inWasm.labels].sort()).toEqual([...native.labels].sort())
    let maxDiff = 0
    for (const t of texts) {
      const a = native.predict(t, -1)
      const b = inWasm.predict(t, -1)
      expect(b.map((p) => p.label).sort()).toEqual(a.map((p) => p.label).sort())
      for (const p of a) maxDiff = Math.max(maxDiff, Math.abs(p.prob - b.find((q) => q.label === p.label)!.prob))
    }
    expect(maxDiff).toBeLessThan(1e-4)

    const wasm = await withEngine('wasm', () => trainSupervised(trainText, params))
    await wasm.save(join(dir, 'wasm.bin'))
    const inNative = await withEngine('native', () => FastTextModel.load(join(dir, 'wasm.bin')))
    for (const t of texts.slice(0, 50)) expect(inNative.predict(t, 1)[0].prob).toBeCloseTo(wasm.predict(t, 1)[0].prob, 4)
    native.dispose()
    inWasm.dispose()
  }, 120_000)

  it('trains on several threads, off the JavaScript thread, and the model classifies held-out lines', async () => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    const progress: number[] = []
    const model = await withEngine('native', () =>
      trainSupervised(trainText, { ...params, epoch: 10, thread: 2 }, (p) => progress.push(p.progress)))
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(0)
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toBeGreaterThan(0.9)
    const gold = seedTrainingLines().slice(0, 200).map((l) => l.split(' ')[0])
    const correct = texts.filter((t, i) => model.predict(t, 1)[0]?.label === gold[i]).length
    expect(correct / texts.length).toBeGreaterThan(0.85)
  }, 120_000)

  it('names the file that is not a fastText model, in both engines', async () => {
    const bad = join(dir, 'not-a-model.bin')
    await writeFile(bad, 'this is not a model')
    for (const engine of ['native', 'wasm'] as const) {
      await expect(withEngine(engine, () => FastTextModel.load(bad))).rejects.toThrow(/not-a-model\.bin/)
    }
    // A real model cut short: an error, not a crash.
    const good = join(dir, 'native.bin')
    const truncated = join(dir, 'truncated.bin')
    await writeFile(truncated, (await readFile(good)).subarray(0, 5000))
    await expect(withEngine('native', () => FastTextModel.load(truncated))).rejects.toThrow(/truncated\.bin: truncated or corrupt/)
  }, 30_000)

  it('rejects training on input without labels with fastText\'s reason', async () => {
    await expect(withEngine('native', () => trainSupervised('no labels here at all\n', params))).rejects.toThrow(/fastText training failed: .+/)
  })

  it('a disposed model says so instead of crashing', async () => {
    const model = await withEngine('native', () => FastTextModel.load(join(dir, 'native.bin')))
    model.dispose()
    expect(() => model.predict('x', 1)).toThrow(/disposed/)
  })
})
