// Byte-level BPE training, the algorithm of Hugging Face's BpeTrainer: special tokens take the first ids, then
// the 256 byte-level characters in code-point order, then one token per merge. Each step merges the most
// frequent adjacent pair (summed over pre-token frequencies); ties go to the pair of smaller ids, so training
// is deterministic and, on the same pre-tokens, picks the same merges as the Rust trainer.
import { BYTE_TO_CHAR, toByteLevel } from './bytelevel.ts'
import { forEachPiece } from './pretokenize.ts'

export interface TrainOptions {
  /** Total vocabulary size, special tokens included (as Hugging Face counts it). */
  vocabSize: number
  specialTokens: readonly string[]
  /** Pairs seen fewer times than this are never merged. */
  minFrequency?: number
}

export interface BpeModel {
  /** Token string (byte-level) by id. */
  tokens: string[]
  merges: [string, string][]
}

/** Pre-token frequencies over a corpus; feed it documents one at a time. */
export class PieceCounter {
  readonly counts = new Map<string, number>()

  add(text: string): void {
    forEachPiece(text, (piece) => this.counts.set(piece, (this.counts.get(piece) ?? 0) + 1))
  }
}

export function trainBpe(counts: ReadonlyMap<string, number>, opts: TrainOptions): BpeModel {
  const tokens: string[] = []
  const idOf = new Map<string, number>()
  const addToken = (t: string): number => {
    const known = idOf.get(t)
    if (known !== undefined) return known
    idOf.set(t, tokens.length)
    tokens.push(t)
    return tokens.length - 1
  }
  for (const s of opts.specialTokens) addToken(s)
  for (const ch of [...BYTE_TO_CHAR].sort()) addToken(ch)

  const words: number[][] = []
  const freq: number[] = []
  for (const [piece, n] of counts) {
    words.push(Array.from(toByteLevel(piece), (ch) => idOf.get(ch)!))
    freq.push(n)
  }
  const pairs = new PairStats(words, freq, Math.max(opts.vocabSize, tokens.length))
  const merges: [string, string][] = []
  const minFrequency = Math.max(1, opts.minFrequency ?? 0)

  while (tokens.length < opts.vocabSize) {
    const best = pairs.popBest()
    if (!best || best.count < minFrequency) break
    const merged = addToken(tokens[best.a] + tokens[best.b])
    merges.push([tokens[best.a], tokens[best.b]])
    pairs.merge(best.a, best.b, merged)
  }
  return { tokens, merges }
}

interface Candidate { count: number; a: number; b: number }

/** Pair counts, which words hold each pair, and a max-heap of candidates checked lazily against the counts. */
class PairStats {
  private readonly count = new Map<number, number>()
  private readonly where = new Map<number, Set<number>>()
  private readonly heap = new CandidateHeap()
  private readonly words: number[][]
  private readonly freq: number[]
  // Pair keys are a * base + b with base = the vocabulary size: up to 46,340 tokens they stay small integers,
  // which V8's maps hash several times faster than doubles.
  private readonly base: number

  constructor(words: number[][], freq: number[], base: number) {
    this.words = words
    this.freq = freq
    this.base = base
    words.forEach((w, i) => this.addPairs(i, w))
    for (const [key, n] of this.count) this.heap.push({ count: n, a: Math.floor(key / base), b: key % base })
  }

  popBest(): Candidate | undefined {
    for (let top = this.heap.pop(); top; top = this.heap.pop()) {
      const actual = this.count.get(this.key(top.a, top.b)) ?? 0
      if (actual === top.count) return top
      if (actual > 0) this.heap.push({ ...top, count: actual })
    }
    return undefined
  }

  merge(a: number, b: number, merged: number): void {
    const key = this.key(a, b)
    const created = new Set<number>()
    for (const i of this.where.get(key) ?? []) {
      const next = this.mergeWord(i, a, b, merged, created)
      if (next) this.words[i] = next
    }
    this.where.delete(key)
    this.count.delete(key)
    for (const k of created) {
      const n = this.count.get(k) ?? 0
      if (n > 0) this.heap.push({ count: n, a: Math.floor(k / this.base), b: k % this.base })
    }
  }

  /**
   * Left to right, non-overlapping ("a a a" with (a, a) gives "aa a", as Hugging Face's Word::merge), updating
   * only the pairs around each merge. Returns undefined when the word no longer holds the pair.
   */
  private mergeWord(i: number, a: number, b: number, merged: number, created: Set<number>): number[] | undefined {
    const word = this.words[i], n = this.freq[i]
    let out: number[] | undefined
    for (let j = 0; j < word.length; j++) {
      if (j + 1 < word.length && word[j] === a && word[j + 1] === b) {
        out ??= word.slice(0, j)
        if (out.length > 0) {
          const prev = out[out.length - 1]
          this.bump(this.key(prev, a), -n)
          this.bump(this.key(prev, merged), n, i, created)
        }
        if (j + 2 < word.length) {
          this.bump(this.key(b, word[j + 2]), -n)
          this.bump(this.key(merged, word[j + 2]), n, i, created)
        }
        out.push(merged)
        j++
      } else if (out) {
        out.push(word[j])
      }
    }
    return out
  }

  private key(a: number, b: number): number { return a * this.base + b }

  private bump(k: number, delta: number, word?: number, created?: Set<number>): void {
    this.count.set(k, (this.count.get(k) ?? 0) + delta)
    if (word === undefined) return
    let set = this.where.get(k)
    if (!set) this.where.set(k, (set = new Set()))
    set.add(word)
    created!.add(k)
  }

  private addPairs(i: number, word: number[]): void {
    for (let j = 0; j + 1 < word.length; j++) {
      const k = this.key(word[j], word[j + 1])
      this.count.set(k, (this.count.get(k) ?? 0) + this.freq[i])
      let set = this.where.get(k)
      if (!set) this.where.set(k, (set = new Set()))
      set.add(i)
    }
  }
}

/** Binary max-heap: higher count first, then the smaller (a, b). */
class CandidateHeap {
  private readonly items: Candidate[] = []

  push(c: Candidate): void {
    const h = this.items
    h.push(c)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(h[i], h[parent])) break
      ;[h[i], h[parent]] = [h[parent], h[i]]
      i = parent
    }
  }

  pop(): Candidate | undefined {
    const h = this.items
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1, r = l + 1
        let best = i
        if (l < h.length && before(h[l], h[best])) best = l
        if (r < h.length && before(h[r], h[best])) best = r
        if (best === i) break
        ;[h[i], h[best]] = [h[best], h[i]]
        i = best
      }
    }
    return top
  }
}

function before(x: Candidate, y: Candidate): boolean {
  if (x.count !== y.count) return x.count > y.count
  return x.a !== y.a ? x.a < y.a : x.b < y.b
}
