// Generated arithmetic text, mixing by weight, packing with EOS, and the loader's exact resume.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { arithmeticDocument, arithmeticProblem, generatedUri, parseGeneratedUri } from '../../src/train/arithmetic.ts'
import { GENERATED_ARITHMETIC, PretrainLoader, type SourceSpec } from '../../src/train/data.ts'
import { Rng } from '../../src/train/rng.ts'

/** A transparent "tokenizer": one id per character code (mod 1000), so tests can read sequences back. */
const charTok = { encode: (t: string): number[] => Array.from(t, (c) => c.charCodeAt(0) % 1000) }
const EOS = 1000

describe('generated arithmetic text', () => {
  it('is deterministic under the seed, differs across seeds and indices', () => {
    expect(arithmeticDocument(7, 3)).toBe(arithmeticDocument(7, 3))
    expect(arithmeticDocument(7, 3)).not.toBe(arithmeticDocument(8, 3))
    expect(arithmeticDocument(7, 3)).not.toBe(arithmeticDocument(7, 4))
  })
  it('multi-step problems whose worked solutions are right', () => {
    for (let i = 0; i < 300; i++) {
      const p = arithmeticProblem(1, i)
      expect(p.steps).toBeGreaterThanOrEqual(2)
      expect(p.solution.endsWith(`The answer is \\boxed{${p.answer}}.`)).toBe(true)
      expect(Number.isInteger(p.answer) && p.answer >= 0).toBe(true)
      // Every "a op b = c" in the solution holds.
      for (const m of p.solution.matchAll(/(\d+) ([-+*/]) (\d+) = (\d+)/g)) {
        const [a, b, c] = [Number(m[1]), Number(m[3]), Number(m[4])]
        const v = m[2] === '+' ? a + b : m[2] === '-' ? a - b : m[2] === '*' ? a * b : a / b
        expect(v, `${p.question}\n${p.solution}`).toBe(c)
      }
    }
    expect(arithmeticProblem(1, 0, 3).steps).toBe(3)
  })
  it('with maxValue keeps every number of question, solution and program in [0, maxValue], still right', () => {
    for (const max of [10, 20, 50, 99]) {
      let largest = 0
      for (let i = 0; i < 400; i++) {
        const p = arithmeticProblem(3, i, 2 + (i % 3), { maxValue: max })
        const nums = [...`${p.question} ${p.solution} ${p.program}`.matchAll(/\d+/g)].map((m) => Number(m[0]))
        largest = Math.max(largest, ...nums)
        expect(Math.max(...nums), `${p.question}\n${p.solution}`).toBeLessThanOrEqual(max)
        for (const m of p.solution.matchAll(/(\d+) ([-+*/]) (\d+) = (\d+)/g)) {
          const [a, b, c] = [Number(m[1]), Number(m[3]), Number(m[4])]
          expect(m[2] === '+' ? a + b : m[2] === '-' ? a - b : m[2] === '*' ? a * b : a / b).toBe(c)
        }
      }
      expect(largest).toBeGreaterThan(max / 2) // the bound limits the range, it does not collapse it
    }
  })
  it('without limits draws as before the limits existed (same RNG use)', () => {
    for (let i = 0; i < 50; i++) expect(arithmeticProblem(5, i, undefined, {})).toEqual(arithmeticProblem(5, i))
    const unbounded = Array.from({ length: 300 }, (_, i) => arithmeticProblem(5, i).answer)
    expect(Math.max(...unbounded)).toBeGreaterThan(500)
  })
  it('generator URIs carry the bound; malformed ones are refused', () => {
    expect(parseGeneratedUri(GENERATED_ARITHMETIC)).toEqual({})
    expect(parseGeneratedUri(generatedUri({ maxValue: 50 }))).toEqual({ maxValue: 50 })
    expect(generatedUri({})).toBe(GENERATED_ARITHMETIC)
    expect(parseGeneratedUri('data/math.jsonl')).toBeNull()
    expect(() => parseGeneratedUri('generated:arithmetic?max-value=abc')).toThrow(/max-value=N/)
    expect(() => parseGeneratedUri('generated:arithmetic?max-value=5')).toThrow(/N >= 10/)
  })
})

describe('source mixing', () => {
  let dir: string
  const docs = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ text: `${tag}${i}` })).join('\n') + '\n'
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsmath-mix-'))
    await writeFile(join(dir, 'a.jsonl'), docs('A', 50))
    await writeFile(join(dir, 'b.jsonl.gz'), gzipSync(docs('B', 50)))
  })

  it('mixes sources in proportion to their weights in tokens; sources without data give theirs away', async () => {
    const specs: SourceSpec[] = [
      { name: 'math_corpus', weight: 56, uris: [GENERATED_ARITHMETIC] },
      { name: 'algebraic_stack', weight: 4, uris: [] },
      { name: 'arxiv', weight: 10, uris: [] },
      { name: 'github_code', weight: 20, uris: [join(dir, 'a.jsonl')] },
      { name: 'common_crawl', weight: 10, uris: [join(dir, 'b.jsonl.gz')] },
    ]
    const loader = await PretrainLoader.create(specs, 64, 1, charTok, EOS, 3)
    const mix = loader.mixture()
    expect(mix.map((m) => m.weight)).toEqual([0.56, 0.04, 0.1, 0.2, 0.1])
    // 14% without data: the others share it in proportion (56:20:10 of 86).
    expect(mix.map((m) => +m.effective.toFixed(4))).toEqual([+(56 / 86).toFixed(4), 0, 0, +(20 / 86).toFixed(4), +(10 / 86).toFixed(4)])
    expect(mix[1]!.note).toMatch(/no data/)
    for (let i = 0; i < 3000; i++) await loader.nextSequence()
    const s = loader.snapshot().sources
    const total = s.math_corpus!.tokens + s.github_code!.tokens + s.common_crawl!.tokens
    expect(s.math_corpus!.tokens / total).toBeCloseTo(56 / 86, 2)
    expect(s.github_code!.tokens / total).toBeCloseTo(20 / 86, 2)
    expect(s.common_crawl!.tokens / total).toBeCloseTo(10 / 86, 2)
    // Documents differ in length (a generated problem is ~50 times longer than 'A17'), so the document
    // counts are far from the weights: drawing by document would have given the short sources 3% of tokens.
    expect(s.github_code!.docs).toBeGreaterThan(s.math_corpus!.docs)
    // File sources cycle over their documents (epochs).
    expect(s.github_code!.epoch).toBeGreaterThan(0)
  })

  it('the RNG is a pure function of its state', () => {
    const a = Rng.fromSeed(5), xs = [a.next(), a.next()]
    const b = new Rng(Rng.fromSeed(5).state)
    expect([b.next(), b.next()]).toEqual(xs)
  })
})

describe('packing', () => {
  it('fixed-length sequences of seq_len + 1 tokens, EOS between documents, nothing dropped or repeated', async () => {
    const specs: SourceSpec[] = [{ name: 'math_corpus', weight: 1, uris: [GENERATED_ARITHMETIC] }]
    const loader = await PretrainLoader.create(specs, 32, 4, charTok, EOS, 9)
    const flat: number[] = []
    for (let i = 0; i < 50; i++) {
      const batch = await loader.nextBatch()
      expect(batch).toHaveLength(4)
      for (const s of batch) { expect(s).toHaveLength(33); flat.push(...s) }
    }
    const expected: number[] = []
    for (let i = 0; expected.length < flat.length; i++) expected.push(...charTok.encode(arithmeticDocument(9, i)), EOS)
    expect(flat).toEqual(expected.slice(0, flat.length))
    expect(loader.snapshot().seq_index).toBe(200)
  })
  it('a bounded generator source packs the bounded documents', async () => {
    const loader = await PretrainLoader.create([{ name: 'math_corpus', weight: 1, uris: [generatedUri({ maxValue: 20 })] }], 64, 2, charTok, EOS, 9)
    const flat = (await loader.nextBatch()).flat()
    const expected = [...charTok.encode(arithmeticDocument(9, 0, { maxValue: 20 })), EOS, ...charTok.encode(arithmeticDocument(9, 1, { maxValue: 20 }))]
    expect(flat).toEqual(expected.slice(0, flat.length))
    expect(arithmeticDocument(9, 0, { maxValue: 20 })).not.toBe(arithmeticDocument(9, 0))
  })
})

describe('resumable loader', () => {
  it('a loader rebuilt from a snapshot yields exactly the batches an uninterrupted one yields', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-resume-'))
    for (const [f, n] of [['s1.jsonl', 7], ['s2.jsonl', 5]] as const) {
      await writeFile(join(dir, f), Array.from({ length: n }, (_, i) => JSON.stringify({ text: `${f} doc ${i} `.repeat(i + 1) })).join('\n'))
    }
    await writeFile(join(dir, 'crawl.txt'), 'a plain text file is one document\n')
    const specs: SourceSpec[] = [
      { name: 'math_corpus', weight: 56, uris: [dir] },
      { name: 'arithmetic', weight: 30, uris: [GENERATED_ARITHMETIC] },
      { name: 'arxiv', weight: 10, uris: [] },
    ]
    const control = await PretrainLoader.create(specs, 48, 3, charTok, EOS, 11)
    const first = await PretrainLoader.create(specs, 48, 3, charTok, EOS, 11)
    for (let i = 0; i < 17; i++) { await control.nextBatch(); await first.nextBatch() }
    const saved = JSON.parse(JSON.stringify(first.snapshot()))
    expect(saved.seq_index).toBe(51)
    expect(saved.sources.math_corpus.files).toHaveLength(3)
    const resumed = new PretrainLoader(specs, 48, 3, charTok, EOS, 11, saved)
    for (let i = 0; i < 10; i++) expect(await resumed.nextBatch()).toEqual(await control.nextBatch())
    // A shard added later is read after the files the source already had.
    await writeFile(join(dir, 'late.jsonl'), JSON.stringify({ text: 'LATE' }) + '\n')
    expect(resumed.addFiles('math_corpus', [join(dir, 'late.jsonl'), join(dir, 's1.jsonl')])).toBe(1)
    expect(() => new PretrainLoader(specs, 64, 3, charTok, EOS, 11, saved)).toThrow(/seq_len 48/)
  })

  it('resumes exactly when a source has files but no documents (its emptiness is in the snapshot)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-resume-empty-'))
    await writeFile(join(dir, 'empty.jsonl'), '')
    await writeFile(join(dir, 'long.jsonl'), Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `long document ${i} `.repeat(20) })).join('\n'))
    const specs: SourceSpec[] = [
      { name: 'math_corpus', weight: 56, uris: [GENERATED_ARITHMETIC] },
      { name: 'algebraic_stack', weight: 4, uris: [join(dir, 'long.jsonl')] },
      { name: 'arxiv', weight: 10, uris: [join(dir, 'empty.jsonl')] },
    ]
    const control = await PretrainLoader.create(specs, 63, 4, charTok, EOS, 5)
    const first = await PretrainLoader.create(specs, 63, 4, charTok, EOS, 5)
    for (let i = 0; i < 17; i++) { await control.nextBatch(); await first.nextBatch() }
    const saved = JSON.parse(JSON.stringify(first.snapshot()))
    expect(saved.sources.arxiv.empty).toBe(true)
    const resumed = await PretrainLoader.resume(specs, 63, 4, charTok, EOS, 5, saved)
    for (let i = 0; i < 20; i++) expect(await resumed.nextBatch()).toEqual(await control.nextBatch())
  })

  it('on resume reads files and sources the config gained, and refuses a source switched to other data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-resume-grow-'))
    await writeFile(join(dir, 'a.jsonl'), JSON.stringify({ text: 'first' }) + '\n')
    const specs: SourceSpec[] = [{ name: 'math_corpus', weight: 1, uris: [GENERATED_ARITHMETIC] }]
    const saved = (await PretrainLoader.create(specs, 16, 1, charTok, EOS, 3)).snapshot()
    const grown = await PretrainLoader.resume([...specs, { name: 'github_code', weight: 1, uris: [dir] }], 16, 1, charTok, EOS, 3, saved)
    expect(grown.state.sources.github_code!.files).toEqual([join(dir, 'a.jsonl')])
    await expect(PretrainLoader.resume([{ name: 'math_corpus', weight: 1, uris: [dir] }], 16, 1, charTok, EOS, 3, saved))
      .rejects.toThrow(/source math_corpus: the checkpoint reads generated:arithmetic, the config now .*a\.jsonl/)
  })

  it('reads a literal special token in a document as text, not as a document boundary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-special-'))
    await writeFile(join(dir, 'd.jsonl'), JSON.stringify({ text: 'a <|end_of_sentence|> b' }) + '\n')
    const seen: { plainText?: boolean }[] = []
    const tok = { encode: (t: string, opts?: { plainText?: boolean }): number[] => { seen.push(opts ?? {}); return charTok.encode(t) } }
    const loader = await PretrainLoader.create([{ name: 'math_corpus', weight: 1, uris: [dir] }], 8, 1, tok, EOS, 1)
    await loader.nextBatch()
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((o) => o.plainText === true)).toBe(true)
  })
})
