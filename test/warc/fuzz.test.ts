// Fuzzing with a fixed number of cases: truncations, bit flips and spliced bytes of real WARCs and HTML.
// Reading must never throw or hang; every failure comes out as a bad record with a reason.
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { extractText } from '../../src/extract/html.ts'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import { FastTextModel } from '../../src/fasttext/model.ts'
import { emptyCounters } from '../../src/pipeline/counters.ts'
import { loadModels, recordToRow, type Models } from '../../src/pipeline/document.ts'
import { readWarc } from '../../src/warc/reader.ts'
import { isBad } from '../../src/warc/record.ts'
import { FIXTURES } from '../helpers.ts'

const CASES = 150
const PER_CASE_MS = 5000

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0
    return s / 2 ** 32
  }
}

function mutate(bytes: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(bytes)
  switch (Math.floor(rand() * 3)) {
    case 0: return out.subarray(0, Math.floor(rand() * out.length))
    case 1: {
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) out[Math.floor(rand() * out.length)] ^= 1 << Math.floor(rand() * 8)
      return out
    }
    default: {
      const a = Math.floor(rand() * out.length), b = Math.floor(rand() * out.length)
      return Buffer.concat([out.subarray(0, Math.min(a, b)), out.subarray(Math.max(a, b)), out.subarray(Math.min(a, b), Math.max(a, b))])
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms) })
  try {
    return await Promise.race([p, limit])
  } finally {
    clearTimeout(timer)
  }
}

describe('fuzz', () => {
  let models: Models
  beforeAll(async () => { models = await loadModels(await FastTextModel.load(await ensureDefaultModel())) }, 120_000)

  for (const file of ['sample-0000.warc.gz', 'example.warc', 'example-iana.org-chunked.warc']) {
    it(`reads ${CASES} mutations of ${file} without a crash or a hang`, async () => {
      const original = readFileSync(`${FIXTURES}/warc/${file}`)
      const rand = rng(file.length * 7919)
      const reasons = new Map<string, number>()
      for (let i = 0; i < CASES; i++) {
        const bytes = mutate(original, rand)
        const c = emptyCounters()
        await withTimeout((async () => {
          for await (const r of readWarc((async function* () { yield bytes })())) {
            if (isBad(r)) reasons.set(r.bad, (reasons.get(r.bad) ?? 0) + 1)
            else recordToRow(r, file, models, c)
          }
        })(), PER_CASE_MS, `${file} case ${i}`)
      }
      expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    }, 120_000)
  }

  it('extracts text from mutated HTML without a crash', () => {
    const html = readFileSync(`${FIXTURES}/warc/example.warc`).toString('latin1')
    const rand = rng(42)
    for (let i = 0; i < CASES; i++) expect(typeof extractText(mutate(Buffer.from(html), rand).toString('utf8')).text).toBe('string')
  })
})
