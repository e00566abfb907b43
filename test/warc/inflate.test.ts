// The libdeflate addon (native/inflate, `make native`) and the node:zlib fallback must give the same
// records: same offsets, lengths, headers, blocks, and the same bad records with the same reasons.
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { type InflateEngine, nativeInflate, resolveInflateEngine } from '../../src/warc/inflate.ts'
import { readWarc } from '../../src/warc/reader.ts'
import { REPO } from '../helpers.ts'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

async function summary(bytes: Buffer, engine: InflateEngine, chunk = bytes.length || 1, reuseBlocks = false): Promise<string[]> {
  async function* source() { for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk) }
  const out: string[] = []
  for await (const r of readWarc(source(), 0, { inflate: engine, reuseBlocks })) {
    out.push('bad' in r
      ? JSON.stringify([r.bad, r.message, r.offset, r.length, sha1(r.raw)])
      : JSON.stringify([r.offset, r.length, r.resumeOffset, r.version, r.headers.entries, sha1(r.block), r.block.length]))
  }
  return out
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0
    return s / 2 ** 32
  }
}

const fixtures = [
  ...readdirSync(`${REPO}test/fixtures/warc`).filter((f) => /\.(warc|gz)$/.test(f) && !f.endsWith('.paths.gz')).map((f) => `test/fixtures/warc/${f}`),
  ...readdirSync(`${REPO}sample/warc`).filter((f) => /\.warc(\.gz)?$/.test(f)).map((f) => `sample/warc/${f}`),
]
const native = nativeInflate()

describe('inflate engines', () => {
  for (const f of fixtures) {
    it(`same records from ${f} read whole and in 997-byte pieces`, async () => {
      const bytes = readFileSync(`${REPO}${f}`)
      expect(await summary(bytes, 'zlib', 997)).toEqual(await summary(bytes, 'zlib'))
    })
  }

  it('picks libdeflate when the addon is built, node:zlib otherwise', () => {
    expect(resolveInflateEngine('zlib')).toBe('zlib')
    if (native.available) expect(resolveInflateEngine('libdeflate')).toBe('libdeflate')
    else expect(() => resolveInflateEngine('libdeflate')).toThrow(/make native/)
  })

  describe.skipIf(!native.available)(`libdeflate addon (${native.available ? native.version : native.why}) against node:zlib`, () => {
    for (const f of fixtures) {
      it(`same records from ${f}, whole and in 997-byte and 64 KiB reads`, async () => {
        const bytes = readFileSync(`${REPO}${f}`)
        const want = await summary(bytes, 'zlib')
        expect(want.length).toBeGreaterThan(0)
        expect(await summary(bytes, 'libdeflate')).toEqual(want)
        expect(await summary(bytes, 'libdeflate', 997)).toEqual(await summary(bytes, 'zlib', 997))
        expect(await summary(bytes, 'libdeflate', 65536)).toEqual(await summary(bytes, 'zlib', 65536))
        expect(await summary(bytes, 'libdeflate', 65536, true)).toEqual(await summary(bytes, 'zlib', 65536))
      })
    }

    for (const f of ['test/fixtures/warc/sample-0000.warc.gz', 'test/fixtures/warc/warcfile.warc.gz', 'test/fixtures/warc/clueweb-quirk.warc.gz']) {
      it(`same records and bad records from 120 truncated or bit-flipped copies of ${f}`, async () => {
        const original = readFileSync(`${REPO}${f}`)
        const rand = rng(original.length)
        let bad = 0
        for (let i = 0; i < 120; i++) {
          let bytes: Buffer
          if (i % 2 === 0) bytes = original.subarray(0, Math.floor(rand() * original.length))
          else {
            bytes = Buffer.from(original)
            for (let j = 0, n = 1 + Math.floor(rand() * 4); j < n; j++) bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8)
          }
          const want = await summary(bytes, 'zlib', 8192)
          bad += want.filter((s) => s.startsWith('["')).length
          expect(await summary(bytes, 'libdeflate', 8192), `case ${i}`).toEqual(want)
          expect(await summary(bytes, 'libdeflate', 8192, true), `case ${i}, reused blocks`).toEqual(want)
        }
        expect(bad).toBeGreaterThan(0)
      }, 60_000)
    }

    it('reuses one output buffer with reuseBlocks, and gives each block its own memory without', async () => {
      const bytes = readFileSync(`${REPO}test/fixtures/warc/warcfile.warc.gz`)
      const blocks = async (reuseBlocks: boolean) => {
        const out: Buffer[] = []
        for await (const r of readWarc((async function* () { yield bytes })(), 0, { inflate: 'libdeflate', reuseBlocks })) if (!('bad' in r)) out.push(r.block)
        return out
      }
      const owned = await blocks(false), reused = await blocks(true)
      expect(new Set(owned.map((b) => b.buffer)).size).toBe(owned.length)
      expect(new Set(reused.map((b) => b.buffer)).size).toBeLessThan(reused.length)
    })
  })
})
