import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  bandKeys, candidateProbability, DEFAULT_PARAMS, detectionProbability, estimatedJaccard, exactJaccard, LshIndex,
  mulberry32, portableSignature, shingleSet, signature, simdAvailable, words,
} from '../../src/dedup/minhash.ts'
import { REPO } from '../helpers.ts'
import { plantNearDuplicate, sampleTexts, sampleVocabulary, TOKEN } from './sample.ts'

const S_VALUES = [0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9]

describe('tokenisation', () => {
  it('lower-cases, splits on non-letters/digits, and makes each CJK character a token', () => {
    expect(words('The Sum $\\sum_{i=1}^n a_i$ IS x^2.')).toEqual(['the', 'sum', 'sum', 'i', '1', 'n', 'a', 'i', 'is', 'x', '2'])
    expect(words('Ünïcödé naïve café ΑΒΓ')).toEqual(['ünïcödé', 'naïve', 'café', 'αβγ'])
    expect(words('数学abc中文 ひらがな')).toEqual(['数', '学', 'abc', '中', '文', 'ひ', 'ら', 'が', 'な'])
    expect(words('x𝔸y 😀 z')).toEqual(['x𝔸y', 'z'])
  })

  it('agrees with its definition as one regular expression on every sample text', () => {
    for (const text of sampleTexts()) expect(words(text)).toEqual(text.toLowerCase().match(TOKEN) ?? [])
  })

  it('makes shingles of 5 words, or one of all words for a shorter text', () => {
    expect([...shingleSet('a b c d e f')]).toEqual(['a b c d e', 'b c d e f'])
    expect([...shingleSet('a b c')]).toEqual(['a b c'])
    expect(shingleSet('  ,; ').size).toBe(0)
    expect(signature('  ,; ')).toBeNull()
  })
})

describe('MinHash', () => {
  it('gives equal signatures for texts with equal shingles, whatever the case and punctuation', () => {
    const a = signature('The quick brown fox jumps over the lazy dog')!
    const b = signature('the QUICK brown fox -- jumps over the lazy dog!')!
    expect(a).toHaveLength(DEFAULT_PARAMS.bands * DEFAULT_PARAMS.rows)
    expect(estimatedJaccard(a, b)).toBe(1)
    expect(bandKeys(a, DEFAULT_PARAMS.bands, DEFAULT_PARAMS.rows)).toEqual(bandKeys(b, DEFAULT_PARAMS.bands, DEFAULT_PARAMS.rows))
  })

  it('estimates word-5-gram Jaccard without bias on real texts', () => {
    const rand = mulberry32(11)
    const texts = sampleTexts().slice(0, 150)
    const vocabulary = sampleVocabulary()
    const errors = texts.map((text, i) => {
      const copy = plantNearDuplicate(text, [0.02, 0.05, 0.1, 0.2][i % 4], vocabulary, rand)
      return estimatedJaccard(signature(text)!, signature(copy)!) - exactJaccard(shingleSet(text), shingleSet(copy))
    })
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length
    const rmse = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length)
    expect(Math.abs(mean)).toBeLessThan(0.01)
    expect(rmse).toBeLessThan(0.04) // binomial sd at J = 0.5 with 256 permutations is 0.031
  })

  it('gives the same signatures with the WebAssembly SIMD kernel as without', () => {
    expect(simdAvailable()).toBe(true) // Node >= 16.4 has WebAssembly SIMD
    const texts = sampleTexts().slice(0, 80)
    for (const params of [DEFAULT_PARAMS, { shingle: 3, bands: 14, rows: 8, seed: 7 }, { shingle: 5, bands: 9, rows: 3, seed: 1 }]) {
      for (const text of texts) expect(signature(text, params)).toEqual(portableSignature(text, params))
    }
  })

  it('keeps unrelated texts apart', () => {
    const texts = sampleTexts().slice(0, 60)
    const sigs = texts.map((t) => signature(t)!)
    let worst = 0
    for (let i = 0; i < sigs.length; i++) for (let j = i + 1; j < sigs.length; j++) {
      if (exactJaccard(shingleSet(texts[i]), shingleSet(texts[j])) < 0.1) worst = Math.max(worst, estimatedJaccard(sigs[i], sigs[j]))
    }
    expect(worst).toBeLessThan(0.2)
  })
})

describe('LshIndex', () => {
  const { bands, rows } = DEFAULT_PARAMS
  const texts = sampleTexts()

  it('finds the most similar stored signature, the earliest of equals, and nothing below the threshold', () => {
    const lsh = new LshIndex(bands, rows)
    const base = texts[0]
    const words0 = base.split(' ')
    const closer = words0.map((w, i) => (i % 40 === 7 ? 'zzz' : w)).join(' ')
    const farther = words0.map((w, i) => (i % 12 === 5 ? 'zzz' : w)).join(' ')
    lsh.add(10, signature(farther)!)
    lsh.add(11, signature(closer)!)
    lsh.add(12, signature(closer)!)
    const match = lsh.bestMatch(signature(base)!, 0.55)
    expect(match?.entry).toBe(11)
    expect(match!.similarity).toBeGreaterThan(estimatedJaccard(signature(base)!, signature(farther)!))
    expect(lsh.bestMatch(signature(base)!, 0.999)).toBeUndefined()
  })

  it('holds thousands of entries (its table grows) and still finds each one', () => {
    const lsh = new LshIndex(bands, rows)
    const sigs = texts.map((t) => signature(t)!)
    for (let round = 0; round < 8; round++) sigs.forEach((sig, i) => lsh.add(round * 1000 + i, sig))
    for (const sig of sigs) {
      const match = lsh.bestMatch(sig, 0.99)
      expect(match?.similarity).toBe(1)
      expect(match!.entry).toBe(sigs.findIndex((s) => estimatedJaccard(s, sig) === 1)) // the sample has copies: the first
    }
  })
})

describe('S-curve', () => {
  it('catches pairs at Jaccard 0.55 with probability >= 0.95 under the defaults (DataTrove 14x8: about 0.11)', () => {
    const { bands, rows } = DEFAULT_PARAMS
    expect(candidateProbability(0.55, bands, rows)).toBeGreaterThanOrEqual(0.95)
    expect(candidateProbability(0.55, 14, 8)).toBeCloseTo(0.111, 3)
    expect(candidateProbability(0.65, 14, 8)).toBeCloseTo(0.365, 3) // "about a third"
    expect(candidateProbability(0.5, 64, 4)).toBeCloseTo(1 - (1 - 0.5 ** 4) ** 64, 12)
  })

  it('drops (candidate and estimate >= 0.55) half the pairs at 0.55 and 95% at 0.6', () => {
    expect(detectionProbability(0.55, 64, 4, 0.55)).toBeCloseTo(0.516, 2)
    expect(detectionProbability(0.6, 64, 4, 0.55)).toBeGreaterThan(0.95)
    expect(detectionProbability(0.4, 64, 4, 0.55)).toBeLessThan(1e-3)
    // no confirmation threshold: detection is candidacy
    expect(detectionProbability(0.55, 14, 8, 0)).toBeCloseTo(candidateProbability(0.55, 14, 8), 10)
  })

  it('matches the table in docs/dedup.md', () => {
    const doc = readFileSync(`${REPO}docs/dedup.md`, 'utf8')
    const rows: [string, number[]][] = [
      ['dsmath 64x4 P(candidate)', S_VALUES.map((s) => candidateProbability(s, 64, 4))],
      ['dsmath 64x4 P(dropped)', S_VALUES.map((s) => detectionProbability(s, 64, 4, 0.55))],
      ['DataTrove 14x8 P(candidate) = P(dropped)', S_VALUES.map((s) => candidateProbability(s, 14, 8))],
    ]
    for (const [label, values] of rows) {
      const line = doc.split('\n').find((l) => l.startsWith(`| ${label} |`))
      expect(line, label).toBeDefined()
      const cells = line!.split('|').slice(2, -1).map((c) => Number(c.trim()))
      expect(cells).toEqual(values.map((v) => Number(v.toFixed(3))))
    }
  })
})
