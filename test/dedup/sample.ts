// Real texts for the dedup tests (sample/seed: PlanetMath entries and web pages) and a near-duplicate planter.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { words } from '../../src/dedup/minhash.ts'
import { REPO } from '../helpers.ts'

export interface SampleDoc { id: string; text: string }

let cached: SampleDoc[] | undefined

/** Documents of sample/seed/{positives,negatives}.jsonl.gz with at least 100 words. */
export function sampleDocs(): SampleDoc[] {
  cached ??= ['positives', 'negatives'].flatMap((name) =>
    gunzipSync(readFileSync(`${REPO}sample/seed/${name}.jsonl.gz`)).toString('utf8').split('\n').filter(Boolean)
      .map((line) => JSON.parse(line) as SampleDoc))
    .filter((d) => words(d.text).length >= 100)
  return cached
}

export const sampleTexts = (): string[] => sampleDocs().map((d) => d.text)

/** Every word of the sample documents (with repeats): replacement words drawn by frequency. */
export const sampleVocabulary = (): string[] => sampleTexts().flatMap(words)

// The tokens of src/dedup/minhash.ts as one regular expression (its hand-written scanner must agree), so that
// "5% of the words" means 5% of the words MinHash sees.
const CJK = String.raw`\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}`
export const TOKEN = new RegExp(String.raw`[${CJK}]|[[\p{L}\p{N}\p{M}]--[${CJK}]]+`, 'gv')

/** `text` with `fraction` of its words, chosen at random, replaced by random words of `vocabulary`. */
export function plantNearDuplicate(text: string, fraction: number, vocabulary: string[], rand: () => number): string {
  const uniform = (n: number): number => Math.floor(((rand() >>> 0) / 2 ** 32) * n)
  const count = words(text).length
  const replaced = new Set<number>()
  while (replaced.size < Math.round(count * fraction)) replaced.add(uniform(count))
  let position = 0
  return text.replace(TOKEN, (word) => (replaced.has(position++) ? vocabulary[uniform(vocabulary.length)] : word))
}
