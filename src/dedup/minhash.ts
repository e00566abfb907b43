// MinHash signatures over word shingles, LSH banding, and the S-curve of the banding.
//
// Tokenisation (shared by the signatures and by the exact Jaccard used in tests): the text is lower-cased and
// split into runs of Unicode letters, digits and combining marks; each Han, Hiragana or Katakana character is a
// token of its own (those scripts do not put spaces between words). Everything else separates tokens, so
// "a_1+x^{2}" gives a, 1, x, 2. A shingle is `size` consecutive tokens; a text with fewer tokens than that has one
// shingle of all of them, and a text without tokens has none (and no signature).
//
// Hashing: each token is hashed once (FNV-1a), each shingle is folded from its tokens' hashes into two 32-bit
// hashes (h1, h2), and permutation p is h -> (a_p*h1 + b_p*h2 + c_p) mod 2^32 with odd random a_p, b_p: two
// multiplications and two additions per permutation and shingle, no BigInt. The signature keeps, per permutation,
// the minimum as a signed 32-bit integer (any fixed order of the values is as good as another for MinHash).

export interface MinHashParams {
  /** Tokens per shingle. */
  shingle: number
  bands: number
  rows: number
  /** Seed of the permutation coefficients; signatures are comparable only under equal params. */
  seed: number
}

/**
 * 64 bands of 4 rows: P(candidate) = 0.998 at Jaccard 0.55 (DataTrove's 14x8: 0.11), and 256 permutations keep the
 * estimate's standard deviation near 0.03, so pairs at 0.6 pass a 0.55 threshold 95% of the time. See docs/dedup.md.
 */
export const DEFAULT_PARAMS: MinHashParams = { shingle: 5, bands: 64, rows: 4, seed: 0x5eed }

export type Signature = Int32Array

const SEPARATOR = 1, WORD = 2, CJK = 3
const CJK_CHAR = /^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]$/u
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u
/** Character class per BMP code point, filled on first sight (0 = not yet classified). */
const BMP_CLASS = new Uint8Array(0x10000)

function classify(codePoint: number): number {
  const ch = String.fromCodePoint(codePoint)
  return CJK_CHAR.test(ch) ? CJK : WORD_CHAR.test(ch) ? WORD : SEPARATOR
}

function charClass(codePoint: number): number {
  if (codePoint > 0xffff) return classify(codePoint)
  let k = BMP_CLASS[codePoint]
  if (k === 0) BMP_CLASS[codePoint] = k = classify(codePoint)
  return k
}

let tokenBounds = new Int32Array(1 << 13)

/**
 * Finds the tokens of an already lower-cased text (a hand-written scanner: no regex per token) and returns their
 * count; token i is lower.slice(tokenBounds[2i], tokenBounds[2i+1]) until the next call.
 */
function scanTokens(lower: string): number {
  let count = 0
  const push = (start: number, end: number): void => {
    if (2 * count === tokenBounds.length) {
      const bigger = new Int32Array(tokenBounds.length * 2)
      bigger.set(tokenBounds)
      tokenBounds = bigger
    }
    tokenBounds[2 * count] = start
    tokenBounds[2 * count + 1] = end
    count++
  }
  let start = -1
  for (let i = 0; i < lower.length;) {
    let cp = lower.charCodeAt(i)
    let width = 1
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < lower.length) {
      const low = lower.charCodeAt(i + 1)
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00)
        width = 2
      }
    }
    const k = charClass(cp)
    if (k === WORD) {
      if (start < 0) start = i
    } else {
      if (start >= 0) push(start, i)
      start = -1
      if (k === CJK) push(i, i + width)
    }
    i += width
  }
  if (start >= 0) push(start, lower.length)
  return count
}

export function words(text: string): string[] {
  const lower = text.toLowerCase()
  const count = scanTokens(lower)
  const out = new Array<string>(count)
  for (let t = 0; t < count; t++) out[t] = lower.slice(tokenBounds[2 * t], tokenBounds[2 * t + 1])
  return out
}

/** The exact set of shingles (tokens joined by one space), for tests and for checking estimates. */
export function shingleSet(text: string, size = DEFAULT_PARAMS.shingle): Set<string> {
  const w = words(text)
  const set = new Set<string>()
  if (w.length > 0 && w.length < size) set.add(w.join(' '))
  for (let i = 0; i + size <= w.length; i++) set.add(w.slice(i, i + size).join(' '))
  return set
}

export function exactJaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1
  let common = 0
  for (const s of a) if (b.has(s)) common++
  return common / (a.size + b.size - common)
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** Deterministic 32-bit generator (mulberry32) for the permutation coefficients and for tests. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) | 0
  }
}

/** Coefficients a (all of them), then b, then c, of `count` permutations; a and b odd. */
function permutationCoefficients(count: number, seed: number): Int32Array {
  const next = mulberry32(seed)
  const coefficients = new Int32Array(3 * count)
  for (let p = 0; p < count; p++) {
    coefficients[p] = next() | 1
    coefficients[count + p] = next() | 1
    coefficients[2 * count + p] = next()
  }
  return coefficients
}

let tokenHashBuffer = new Int32Array(1 << 12)

/** FNV-1a hashes of the text's tokens, in a shared buffer (valid until the next call). */
function tokenHashes(text: string): Int32Array {
  const lower = text.toLowerCase()
  const count = scanTokens(lower)
  if (count > tokenHashBuffer.length) tokenHashBuffer = new Int32Array(count * 2)
  for (let t = 0; t < count; t++) {
    let h = 0x811c9dc5
    for (let i = tokenBounds[2 * t], end = tokenBounds[2 * t + 1]; i < end; i++) h = Math.imul(h ^ lower.charCodeAt(i), 0x01000193)
    tokenHashBuffer[t] = h
  }
  return tokenHashBuffer.subarray(0, count)
}

// Shingles are hashed in batches, and each permutation then takes the minimum over a whole batch, so that its
// running minimum stays in a register. The minimum is taken by a WebAssembly SIMD kernel, four permutations at a
// time (about 6x the plain loop below, with identical results), where the runtime has one.
const BATCH = 256

/** Where one signature is computed: coefficients, signature and a batch of shingle hashes, plus the kernel. */
interface Workspace {
  key: string
  coefficients: Int32Array
  sig: Int32Array
  h1: Int32Array
  h2: Int32Array
  /** sig[p] = min(sig[p], min over the first n shingles of (a_p*h1 + b_p*h2 + c_p) mod 2^32, as int32). */
  minimise(n: number): void
}

function portableWorkspace(count: number, seed: number): Workspace {
  const coefficients = permutationCoefficients(count, seed)
  const sig = new Int32Array(count), h1 = new Int32Array(BATCH), h2 = new Int32Array(BATCH)
  const minimise = (n: number): void => {
    for (let p = 0; p < count; p++) {
      const a = coefficients[p], b = coefficients[count + p], c = coefficients[2 * count + p]
      let min = sig[p]
      for (let s = 0; s < n; s++) min = Math.min(min, ((Math.imul(a, h1[s]) + Math.imul(b, h2[s])) | 0) + c | 0)
      sig[p] = min
    }
  }
  return { key: `${count}:${seed}`, coefficients, sig, h1, h2, minimise }
}

function simdWorkspace(count: number, seed: number): Workspace | undefined {
  const kernel = simdKernel()
  if (!kernel || count % 4 !== 0) return undefined
  // memory: coefficients (3*count), signature (count), h1 batch, h2 batch; int32 each
  const bytes = 4 * (4 * count + 2 * BATCH)
  const missing = bytes - kernel.memory.buffer.byteLength
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536))
  const heap = new Int32Array(kernel.memory.buffer, 0, bytes / 4)
  const coefficients = heap.subarray(0, 3 * count)
  coefficients.set(permutationCoefficients(count, seed))
  const sig = heap.subarray(3 * count, 4 * count)
  const h1 = heap.subarray(4 * count, 4 * count + BATCH)
  const h2 = heap.subarray(4 * count + BATCH, 4 * count + 2 * BATCH)
  const minimise = (n: number): void => kernel.minimise(0, sig.byteOffset, h1.byteOffset, h2.byteOffset, 4 * n, 4 * count)
  return { key: `${count}:${seed}`, coefficients, sig, h1, h2, minimise }
}

const current: { simd?: Workspace; portable?: Workspace } = {}

/** The workspace for these params, made anew when they change (a grown WebAssembly memory invalidates views). */
function workspace(params: MinHashParams, simd: boolean): Workspace {
  const count = params.bands * params.rows
  const key = `${count}:${params.seed}`
  if (simd && current.simd?.key !== key) current.simd = simdWorkspace(count, params.seed)
  if (simd && current.simd) return current.simd
  if (current.portable?.key !== key) current.portable = portableWorkspace(count, params.seed)
  return current.portable
}

function hashShingles(tokens: Int32Array, first: number, n: number, size: number, ws: Workspace): void {
  for (let s = 0; s < n; s++) {
    let h1 = 0x9747b28c, h2 = 0x2545f491
    for (let j = first + s; j < first + s + size; j++) {
      h1 = Math.imul(h1 ^ tokens[j], 0x01000193)
      h2 = Math.imul(h2 + tokens[j], 0x9e3779b1) ^ (h2 >>> 15)
    }
    ws.h1[s] = fmix32(h1)
    ws.h2[s] = fmix32(h2)
  }
}

function computeSignature(text: string, params: MinHashParams, simd: boolean): Signature | null {
  const tokens = tokenHashes(text)
  if (tokens.length === 0) return null
  const size = Math.min(params.shingle, tokens.length)
  const shingles = tokens.length - size + 1
  const ws = workspace(params, simd)
  ws.sig.fill(0x7fffffff)
  for (let first = 0; first < shingles; first += BATCH) {
    const n = Math.min(BATCH, shingles - first)
    hashShingles(tokens, first, n, size, ws)
    ws.minimise(n)
  }
  return ws.sig.slice()
}

/** The MinHash signature of a text, or null when it has no tokens. */
export function signature(text: string, params: MinHashParams = DEFAULT_PARAMS): Signature | null {
  return computeSignature(text, params, true)
}

/** The same signature without WebAssembly (what runs where SIMD is missing; tests compare the two). */
export function portableSignature(text: string, params: MinHashParams = DEFAULT_PARAMS): Signature | null {
  return computeSignature(text, params, false)
}

export const simdAvailable = (): boolean => simdKernel() !== undefined

interface SimdKernel {
  memory: WebAssembly.Memory
  minimise(coefficients: number, sig: number, h1: number, h2: number, nBytes: number, countBytes: number): void
}

let kernel: SimdKernel | null | undefined

function simdKernel(): SimdKernel | undefined {
  if (kernel === undefined) {
    try {
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(minimiseModule()))
      kernel = { memory: exports.memory as WebAssembly.Memory, minimise: exports.minimise as SimdKernel['minimise'] }
    } catch {
      kernel = null
    }
  }
  return kernel ?? undefined
}

/**
 * The WebAssembly module of the kernel, assembled here (no toolchain needed). In WAT:
 *   (func (export "minimise") (param $coef $sig $h1 $h2 $nBytes $countBytes i32) (local $p $s i32) (local $a $b $c $m v128)
 *     (loop over $p from 0 to $countBytes step 16            ;; four permutations at a time
 *       $a = v128.load($coef + $p)  $b = v128.load($coef + $countBytes + $p)  $c = v128.load($coef + 2*$countBytes + $p)
 *       $m = v128.load($sig + $p)
 *       (loop over $s from 0 to $nBytes step 4
 *         $m = i32x4.min_s($m, i32x4.add(i32x4.add(i32x4.mul($a, i32x4.splat(i32.load($h1 + $s))),
 *                                                   i32x4.mul($b, i32x4.splat(i32.load($h2 + $s)))), $c)))
 *       v128.store($sig + $p, $m)))
 *   (memory (export "memory") 1)
 */
function minimiseModule(): Uint8Array<ArrayBuffer> {
  const uleb = (n: number): number[] => {
    const out: number[] = []
    do {
      out.push((n & 0x7f) | (n >>> 7 ? 0x80 : 0))
      n >>>= 7
    } while (n)
    return out
  }
  const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()]
  const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body]
  const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)]
  const I32 = 0x7f, V128 = 0x7b
  const [COEF, SIG, H1, H2, N_BYTES, COUNT_BYTES, P, S, A, B, C, M] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
  const get = (i: number): number[] => [0x20, i]
  const set = (i: number): number[] => [0x21, i]
  const simd = (op: number): number[] => [0xfd, ...uleb(op)]
  const add = [0x6a], geU = [0x4f], brIfOuter = [0x0d, 1], brLoop = [0x0c, 0]
  const i32Const = (v: number): number[] => [0x41, v] // one-byte signed LEB128: 0 <= v < 64
  const blockLoop = [0x02, 0x40, 0x03, 0x40], endEnd = [0x0b, 0x0b]
  const i32Load = [0x28, 2, 0], v128Load = [...simd(0x00), 4, 0], v128Store = [...simd(0x0b), 4, 0]
  const splat = simd(0x11), i32x4Add = simd(0xae), i32x4Mul = simd(0xb5), i32x4MinS = simd(0xb6)
  const loadCoefficient = (times: number): number[] =>
    [...get(COEF), ...get(P), ...add, ...Array.from({ length: times }, () => [...get(COUNT_BYTES), ...add]).flat(), ...v128Load]
  const body = [
    ...vec([[2, I32], [4, V128]]),
    ...blockLoop,
    ...get(P), ...get(COUNT_BYTES), ...geU, ...brIfOuter,
    ...loadCoefficient(0), ...set(A), ...loadCoefficient(1), ...set(B), ...loadCoefficient(2), ...set(C),
    ...get(SIG), ...get(P), ...add, ...v128Load, ...set(M),
    ...i32Const(0), ...set(S),
    ...blockLoop,
    ...get(S), ...get(N_BYTES), ...geU, ...brIfOuter,
    ...get(M),
    ...get(A), ...get(H1), ...get(S), ...add, ...i32Load, ...splat, ...i32x4Mul,
    ...get(B), ...get(H2), ...get(S), ...add, ...i32Load, ...splat, ...i32x4Mul,
    ...i32x4Add, ...get(C), ...i32x4Add, ...i32x4MinS, ...set(M),
    ...get(S), ...i32Const(4), ...add, ...set(S),
    ...brLoop, ...endEnd,
    ...get(SIG), ...get(P), ...add, ...get(M), ...v128Store,
    ...get(P), ...i32Const(16), ...add, ...set(P),
    ...brLoop, ...endEnd,
    0x0b,
  ]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0]])), // type: (i32 x6) -> ()
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0x00, 1]])), // one memory, at least 1 page
    ...section(7, vec([[...name('minimise'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ])
}

export function estimatedJaccard(a: Signature, b: Signature): number {
  if (a.length !== b.length) throw new Error(`signatures of different lengths (${a.length} vs ${b.length})`)
  let equal = 0
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++
  return equal / a.length
}

/** Per band, a 64-bit hash of its rows and its band number, as int32 pairs [hi0, lo0, hi1, lo1, ...]. */
function bandHashes(sig: Signature, bands: number, rows: number): Int32Array {
  const hashes = new Int32Array(2 * bands)
  for (let band = 0; band < bands; band++) {
    let h1 = 0x3c6ef372 ^ band, h2 = 0x1b873593 ^ band
    for (let i = band * rows; i < (band + 1) * rows; i++) {
      h1 = Math.imul(h1 ^ sig[i], 0x01000193)
      h2 = Math.imul(h2 ^ sig[i], 0xcc9e2d51) ^ (h2 >>> 13)
    }
    hashes[2 * band] = fmix32(h1)
    hashes[2 * band + 1] = fmix32(h2)
  }
  return hashes
}

/** One key per band: 53 bits of the band's hash (exact as a JS number); documents with equal keys share the band. */
export function bandKeys(sig: Signature, bands: number, rows: number): number[] {
  const hashes = bandHashes(sig, bands, rows)
  return Array.from({ length: bands }, (_, band) => (hashes[2 * band] >>> 0) * 0x200000 + (hashes[2 * band + 1] >>> 11))
}

/**
 * Band hash -> the latest slot stored under it, by open addressing over one typed array of 16-byte cells
 * [hi, lo, slot + 1, unused] (slot + 1 = 0 marks an empty cell). A Map with number keys cost about 0.5 µs an
 * operation plus a bucket array per key, which made LSH slower than the signatures.
 */
class BandTable {
  private cells = new Int32Array(4 << 12)
  private used = 0

  /** The latest slot stored under the hash, or -1. */
  get(hi: number, lo: number): number {
    const cells = this.cells
    const mask = (cells.length >> 2) - 1
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const c = i << 2
      if (cells[c + 2] === 0 || (cells[c] === hi && cells[c + 1] === lo)) return cells[c + 2] - 1
    }
  }

  /** Stores `slot` under the hash and returns the slot stored there before (-1 if none). */
  replace(hi: number, lo: number, slot: number): number {
    if (8 * (this.used + 1) > this.cells.length) this.grow() // load factor 1/2
    const cells = this.cells
    const mask = (cells.length >> 2) - 1
    let c = (lo & mask) << 2
    while (cells[c + 2] !== 0 && !(cells[c] === hi && cells[c + 1] === lo)) c = (c + 4) & (cells.length - 1)
    const previous = cells[c + 2] - 1
    if (previous < 0) this.used++
    cells[c] = hi
    cells[c + 1] = lo
    cells[c + 2] = slot + 1
    return previous
  }

  private grow(): void {
    const old = this.cells
    this.cells = new Int32Array(old.length * 2)
    this.used = 0
    for (let c = 0; c < old.length; c += 4) if (old[c + 2] !== 0) this.replace(old[c], old[c + 1], old[c + 2] - 1)
  }
}

/** Signatures banded for lookup: a query returns the most similar stored entry at or above a threshold. */
export class LshIndex {
  private readonly table = new BandTable()
  private readonly entries: number[] = []
  private readonly signatures: Signature[] = []
  /** Per slot and band, the previous slot in the same bucket (-1 ends the chain). */
  private chains = new Int32Array(1 << 12)
  /** Per slot, the last query that looked at it, so a candidate found in several bands is checked once. */
  private lastQuery = new Int32Array(1 << 10)
  private queries = 0
  candidatesChecked = 0

  constructor(readonly bands: number, readonly rows: number) {}

  add(entry: number, sig: Signature): void {
    const slot = this.entries.length
    this.entries.push(entry)
    this.signatures.push(sig)
    if ((slot + 1) * this.bands > this.chains.length) this.chains = grown(this.chains, (slot + 1) * this.bands)
    if (slot >= this.lastQuery.length) this.lastQuery = grown(this.lastQuery, slot + 1)
    const hashes = bandHashes(sig, this.bands, this.rows)
    for (let band = 0; band < this.bands; band++) {
      this.chains[slot * this.bands + band] = this.table.replace(hashes[2 * band], hashes[2 * band + 1], slot)
    }
  }

  /** The stored entry most similar to `sig` by estimated Jaccard, if any candidate reaches `threshold`. */
  bestMatch(sig: Signature, threshold: number): { entry: number; similarity: number } | undefined {
    const query = ++this.queries
    const hashes = bandHashes(sig, this.bands, this.rows)
    let bestSlot = -1, bestSimilarity = -1
    for (let band = 0; band < this.bands; band++) {
      for (let slot = this.table.get(hashes[2 * band], hashes[2 * band + 1]); slot >= 0; slot = this.chains[slot * this.bands + band]) {
        if (this.lastQuery[slot] === query) continue
        this.lastQuery[slot] = query
        this.candidatesChecked++
        const similarity = estimatedJaccard(sig, this.signatures[slot])
        // ties go to the earliest stored entry, whatever the band order
        if (similarity >= threshold && (similarity > bestSimilarity || (similarity === bestSimilarity && slot < bestSlot))) {
          bestSlot = slot
          bestSimilarity = similarity
        }
      }
    }
    return bestSlot < 0 ? undefined : { entry: this.entries[bestSlot], similarity: bestSimilarity }
  }
}

function grown(array: Int32Array, atLeast: number): Int32Array<ArrayBuffer> {
  let length = array.length
  while (length < atLeast) length *= 2
  const bigger = new Int32Array(length)
  bigger.set(array)
  return bigger
}

/** P(a pair of Jaccard s shares at least one band) = 1 - (1 - s^rows)^bands. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands
}

/**
 * P(a pair of Jaccard s is a candidate AND its estimated Jaccard reaches `threshold`), each permutation agreeing
 * independently with probability s. The two events are correlated (a matching band is `rows` agreements), so this
 * is computed exactly over (agreements so far, any band matched yet).
 */
export function detectionProbability(s: number, bands: number, rows: number, threshold: number): number {
  const n = bands * rows
  const perBand = Array.from({ length: rows + 1 }, (_, k) => binomial(rows, k) * s ** k * (1 - s) ** (rows - k))
  // dist[matched][agreements]
  let dist = [new Float64Array(n + 1), new Float64Array(n + 1)]
  dist[0][0] = 1
  for (let band = 0; band < bands; band++) {
    const next = [new Float64Array(n + 1), new Float64Array(n + 1)]
    for (const matched of [0, 1]) {
      for (let agree = 0; agree <= band * rows; agree++) {
        const p = dist[matched][agree]
        if (p === 0) continue
        for (let k = 0; k <= rows; k++) next[k === rows ? 1 : matched][agree + k] += p * perBand[k]
      }
    }
    dist = next
  }
  const needed = Math.ceil(threshold * n - 1e-9)
  let total = 0
  for (let agree = needed; agree <= n; agree++) total += dist[1][agree]
  return total
}

function binomial(n: number, k: number): number {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}
