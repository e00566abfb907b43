// Tokens and n-gram keys for decontamination.
//
// Tokenisation: the text is NFKC-normalised (full-width letters and digits, ligatures, super- and subscripts
// become their plain forms) and lower-cased. A token is then either one Han, Hiragana, Katakana or Hangul
// character (these scripts do not separate words with spaces, so each character counts as a word) or a maximal
// run of other Unicode letters, digits and combining marks. Everything else (spaces, punctuation, math symbols)
// separates tokens and is dropped: "$\frac{1}{2}$" gives frac 1 2, "妈咪买了3盒茶叶" gives 妈 咪 买 了 3 盒 茶 叶.
//
// Keys: tokens are interned to integer ids (`Vocabulary`); an n-gram's key is two 32-bit hashes of its ids, and
// `GramTable` is an open-addressing table over typed arrays from that 64-bit key to an integer. On the bundled
// benchmarks' 1.03M 10-gram windows it builds in ~0.7 s (interning included) and holds 25 MB, where a Map keyed by
// the tokens joined with \u0001 took ~1.9 s and 88 MB; look-ups are ~2x faster too. Callers verify each hit
// against the tokens, so a hash collision can never drop a document.

const CJK = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\p{sc=Hangul}'
const TOKEN = new RegExp(`[${CJK}]|[[\\p{L}\\p{N}\\p{M}]--[${CJK}]]+`, 'gv')

export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? []
}

// The same tokens, each with an optional backslash in front to tell LaTeX control words (\frac) from words.
const TOKEN_AFTER_BACKSLASH = new RegExp(`\\\\?(?:${TOKEN.source})`, 'gv')
const CJK_CHAR = new RegExp(`^[${CJK}]$`, 'v')
const TWO_LETTERS = /\p{L}.*\p{L}/u

/**
 * `tokenize`, plus which tokens are words: a Han, Hiragana, Katakana or Hangul character, or a token with at
 * least two letters that is not a LaTeX control word. Digits, single letters (variables) and command names are
 * the stuff of formulas, which any math page may share with a benchmark without having seen it.
 */
export function tokenizeWithWords(text: string): { tokens: string[]; words: Uint8Array } {
  const raw = text.normalize('NFKC').toLowerCase().match(TOKEN_AFTER_BACKSLASH) ?? []
  const tokens = raw.map((t) => (t[0] === '\\' ? t.slice(1) : t))
  const words = Uint8Array.from(raw, (t) => (t[0] !== '\\' && (CJK_CHAR.test(t) || TWO_LETTERS.test(t)) ? 1 : 0))
  return { tokens, words }
}

/** Whether an n-gram is worth matching: at least half its tokens are words (see `tokenizeWithWords`). */
export const mostlyWords = (wordCount: number, length: number): boolean => 2 * wordCount >= length

/** Token strings to dense ids; ids index `tokens`. */
export class Vocabulary {
  readonly tokens: string[] = []
  private readonly ids = new Map<string, number>()

  /** The token's id, adding it if new. */
  add(token: string): number {
    let id = this.ids.get(token)
    if (id === undefined) {
      id = this.tokens.length
      this.ids.set(token, id)
      this.tokens.push(token)
    }
    return id
  }

  /** The ids of `tokens`, -1 for a token not in the vocabulary (it cannot be part of any match). */
  lookup(tokens: string[]): Int32Array {
    const out = new Int32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) out[i] = this.ids.get(tokens[i]) ?? -1
    return out
  }

  encode(tokens: string[]): Int32Array {
    return Int32Array.from(tokens, (t) => this.add(t))
  }

  get size(): number {
    return this.tokens.length
  }
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r))

/** MurmurHash3 (x86, 32-bit) over the ids ids[start..start+n), as words; `seed` picks the hash function. */
export function hashIds(ids: Int32Array, start: number, n: number, seed: number): number {
  let h = seed
  for (let i = start; i < start + n; i++) {
    let k = Math.imul(ids[i], 0xcc9e2d51)
    k = Math.imul(rotl(k, 15), 0x1b873593)
    h = Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64
  }
  h ^= n * 4
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const SEED_LOW = 0x9747b28c, SEED_HIGH = 0x5bd1e995
const EMPTY = -1

/** Open-addressing hash table (linear probing) from an n-gram of ids to a non-negative integer. */
export class GramTable {
  private low: Uint32Array
  private high: Uint32Array
  private values: Int32Array
  private count = 0

  constructor(readonly n: number, expected = 1024) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, expected * 2)))
    this.low = new Uint32Array(capacity)
    this.high = new Uint32Array(capacity)
    this.values = new Int32Array(capacity).fill(EMPTY)
  }

  get size(): number {
    return this.count
  }

  /** Stores `value` for the n-gram at ids[start..] unless the n-gram is already there; returns the stored value. */
  insert(ids: Int32Array, start: number, value: number): number {
    if (2 * (this.count + 1) > this.values.length) this.grow()
    const lo = hashIds(ids, start, this.n, SEED_LOW), hi = hashIds(ids, start, this.n, SEED_HIGH)
    const slot = this.find(lo, hi)
    if (this.values[slot] !== EMPTY) return this.values[slot]
    this.low[slot] = lo
    this.high[slot] = hi
    this.values[slot] = value
    this.count++
    return value
  }

  /** The value stored for the n-gram at ids[start..], or -1. */
  get(ids: Int32Array, start: number): number {
    const lo = hashIds(ids, start, this.n, SEED_LOW)
    return this.values[this.find(lo, hashIds(ids, start, this.n, SEED_HIGH))]
  }

  private find(lo: number, hi: number): number {
    const mask = this.values.length - 1
    let slot = lo & mask
    while (this.values[slot] !== EMPTY && (this.low[slot] !== lo || this.high[slot] !== hi)) slot = (slot + 1) & mask
    return slot
  }

  private grow(): void {
    const { low, high, values } = this
    this.low = new Uint32Array(values.length * 2)
    this.high = new Uint32Array(values.length * 2)
    this.values = new Int32Array(values.length * 2).fill(EMPTY)
    for (let i = 0; i < values.length; i++) {
      if (values[i] === EMPTY) continue
      const slot = this.find(low[i], high[i])
      this.low[slot] = low[i]
      this.high[slot] = high[i]
      this.values[slot] = values[i]
    }
  }
}
