// Building classifier training sets: fastText lines from labelled texts, cut into passages, balanced and
// shuffled deterministically. Used by `dsmath seed build` and by the default model.
import { classifierText } from './tokenize.ts'

export const MATH = '__label__math'
export const OTHER = '__label__other'

/**
 * A small seed (hundreds of documents) gives three epochs too few updates to learn anything (measured:
 * every probability stays 0.5), so documents are cut into passages of this many tokens, each one example.
 */
export const PASSAGE_TOKENS = 128

export function passages(text: string, size = PASSAGE_TOKENS): string[] {
  const words = classifierText(text).split(' ').filter(Boolean)
  const out: string[] = []
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(' '))
  return out
}

/** Deterministic Fisher-Yates with a small LCG, so a seed gives the same file everywhere. */
export function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0 || 1
  for (let i = items.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const j = s % (i + 1)
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

export interface SeedSet { lines: string[]; positives: number; negatives: number }

/**
 * At most this many passages per document, so a few long documents (LaTeX encyclopaedia entries) do not
 * outweigh many short ones (a forum's word problems) in what the classifier learns.
 */
export const MAX_PASSAGES_PER_DOC = 4

/** Labelled passages, the larger class sampled down to the smaller (balanced), then shuffled. */
export function buildSeedLines(positives: string[], negatives: string[], seed = 1, balance = true): SeedSet {
  const cut = (t: string): string[] => passages(t).slice(0, MAX_PASSAGES_PER_DOC)
  let pos = positives.flatMap(cut).map((p) => `${MATH} ${p}`)
  let neg = negatives.flatMap(cut).map((p) => `${OTHER} ${p}`)
  if (balance) {
    const n = Math.min(pos.length, neg.length)
    pos = shuffle(pos, seed).slice(0, n)
    neg = shuffle(neg, seed + 1).slice(0, n)
  }
  return { lines: shuffle([...pos, ...neg], seed + 2), positives: pos.length, negatives: neg.length }
}
