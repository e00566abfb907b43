import { describe, expect, it } from 'vitest'
import { dedupDocs } from '../../src/dedup/dedup.ts'
import { exactJaccard, mulberry32, shingleSet } from '../../src/dedup/minhash.ts'
import type { Doc } from '../../src/pipeline/docio.ts'
import { plantNearDuplicate, sampleDocs, sampleVocabulary } from './sample.ts'

const PLANTED = 200

function shuffled<T>(items: T[], rand: () => number): T[] {
  return items.map((item) => [rand(), item] as const).sort((a, b) => a[0] - b[0]).map(([, item]) => item)
}

describe('dedupDocs on real texts with planted near-duplicates', () => {
  // The sample itself holds duplicates (copies of the same test pages), which are right to drop: the originals
  // are the sample after one dedup pass.
  const rand = mulberry32(2024)
  const score = (): number => 0.5 + (rand() >>> 0) / 2 ** 33
  const originals = dedupDocs(sampleDocs().map((d) => ({ ...d, math_score: score() }))).kept
  const vocabulary = sampleVocabulary()
  const planted = shuffled(originals, rand).slice(0, PLANTED).map((o) => ({
    ...o, id: `${o.id}#near`, text: plantNearDuplicate(o.text, 0.05, vocabulary, rand), math_score: (o.math_score as number) - 0.1,
  }))
  const input = shuffled([...originals, ...planted], rand)
  const result = dedupDocs(input)
  const dropped = new Map(result.dropped.map((d) => [d.id, d]))

  it(`removes >= 95% of ${PLANTED} copies with 5% of words replaced, pointing at their originals`, () => {
    expect(originals.length).toBeGreaterThan(400)
    const caught = planted.filter((p) => dropped.get(p.id)?.duplicate_of === p.id.replace(/#near$/, ''))
    const recall = caught.length / PLANTED
    console.log(`planted near-duplicates removed: ${caught.length}/${PLANTED} = ${recall}; stats ${JSON.stringify(result.stats)}`)
    expect(recall).toBeGreaterThanOrEqual(0.95)
    expect(caught.every((p) => dropped.get(p.id)!.reason === 'near')).toBe(true)
  })

  it('falsely removes < 0.5% of the originals', () => {
    const falselyRemoved = originals.filter((o) => dropped.has(o.id as string))
    console.log(`originals falsely removed: ${falselyRemoved.length}/${originals.length}`)
    expect(falselyRemoved.length / originals.length).toBeLessThan(0.005)
  })

  it('keeps documents in input order', () => {
    expect(result.kept).toEqual(input.filter((d) => !dropped.has(d.id as string)))
  })
})

describe('keep rule', () => {
  const text = [
    'the integral of a continuous function over a closed interval is finite and the function attains its bounds there,',
    'which is the extreme value theorem; its proof uses the compactness of the interval, since every sequence in it',
    'has a convergent subsequence whose limit stays inside, and continuity carries limits of points to limits of values',
  ].join(' ')
  const near = text.replace('finite', 'bounded')
  const ids = (docs: Doc[]): unknown[] => docs.map((d) => d.id)

  it('keeps the highest math_score, then the earliest, and scored before unscored', () => {
    expect(ids(dedupDocs([{ id: 'a', text, math_score: 0.2 }, { id: 'b', text, math_score: 0.9 }]).kept)).toEqual(['b'])
    expect(ids(dedupDocs([{ id: 'a', text, math_score: 0.5 }, { id: 'b', text, math_score: 0.5 }]).kept)).toEqual(['a'])
    expect(ids(dedupDocs([{ id: 'a', text }, { id: 'b', text, math_score: 0.1 }]).kept)).toEqual(['b'])
  })

  it('reports the reason and the kept duplicate', () => {
    const { kept, dropped, stats } = dedupDocs([
      { id: 'a', url: 'https://example.org/p', text },
      { id: 'b', url: 'https://Example.org/p/?utm_source=feed#top', text: 'another page entirely' },
      { id: 'c', text: `  ${text.toUpperCase()}\n` },
      { id: 'd', text: near },
      { id: 'e', text: 'nothing alike: group theory, rings and fields' },
    ])
    expect(ids(kept)).toEqual(['a', 'e'])
    expect(dropped.map(({ similarity, ...d }) => d)).toEqual([
      { id: 'b', reason: 'url', duplicate_of: 'a' },
      { id: 'c', reason: 'exact', duplicate_of: 'a' },
      { id: 'd', reason: 'near', duplicate_of: 'a' },
    ])
    expect(dropped[2].similarity).toBeGreaterThan(0.55)
    expect(stats).toMatchObject({ docs: 5, kept: 2, dropped: { url: 1, exact: 1, near: 1 } })
  })

  it('compares with kept documents only, so a chain of edits is not dropped through its middle link', () => {
    const far = near.replace('continuity', 'smoothness')
    const jaccard = (x: string, y: string): number => exactJaccard(shingleSet(x), shingleSet(y))
    expect([jaccard(text, near), jaccard(near, far), jaccard(text, far)].map((j) => j.toFixed(2))).toEqual(['0.82', '0.82', '0.68'])
    const { kept, dropped } = dedupDocs([{ id: 'a', text }, { id: 'b', text: near }, { id: 'c', text: far }], { threshold: 0.75 })
    expect(ids(kept)).toEqual(['a', 'c'])
    expect(dropped.map((d) => [d.id, d.duplicate_of])).toEqual([['b', 'a']])
  })

  it('honours the threshold', () => {
    expect(dedupDocs([{ id: 'a', text }, { id: 'b', text: near }], { threshold: 0.99 }).dropped).toEqual([])
  })

  it('leaves documents without words to the exact check', () => {
    const { kept, dropped } = dedupDocs([{ id: 'a', text: '' }, { id: 'b', text: ' ' }, { id: 'c', text: '---' }])
    expect(ids(kept)).toEqual(['a', 'c'])
    expect(dropped).toEqual([{ id: 'b', reason: 'exact', duplicate_of: 'a' }])
  })

  it('uses positions as ids for documents without one', () => {
    expect(dedupDocs([{ text }, { text }]).dropped).toEqual([{ id: '1', reason: 'exact', duplicate_of: '0' }])
  })
})
