// A byte-level BPE tokenizer in Hugging Face's tokenizer.json format: written from a trained model, loaded
// back, and applied (encode/decode) in TypeScript. Ids match Hugging Face's own tokenizers on the same file.
import { fromByteLevel, toByteLevel } from './bytelevel.ts'
import { forEachPiece, PRE_TOKENIZER_JSON } from './pretokenize.ts'
import type { BpeModel } from './train.ts'

export const BOS = '<|begin_of_sentence|>'
export const EOS = '<|end_of_sentence|>'
export const PAD = '<|pad|>'
export const SPECIAL_TOKENS: readonly string[] = [BOS, EOS, PAD]

export interface AddedTokenJson {
  id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean
}

export interface TokenizerJson {
  version: string
  added_tokens: AddedTokenJson[]
  pre_tokenizer: unknown
  model: { type: string; vocab: Record<string, number>; merges: ([string, string] | string)[]; [key: string]: unknown }
  [key: string]: unknown
}

/** The tokenizer.json Hugging Face writes for a trained byte-level BPE (its key order too). */
export function toTokenizerJson(model: BpeModel, specialTokens: readonly string[]): TokenizerJson {
  const vocab: Record<string, number> = {}
  model.tokens.forEach((t, id) => { vocab[t] = id })
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content) => ({
      id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER_JSON,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: model.merges,
    },
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export class Tokenizer {
  private readonly idOf = new Map<string, number>()
  private readonly tokenOf: string[] = []
  /** "a b" (ids) -> [rank, merged id] */
  private readonly mergeRank = new Map<number, [number, number]>()
  private readonly specialIds = new Set<number>()
  private readonly specialSplit: RegExp | undefined
  private readonly cache = new Map<string, number[]>()
  /** Merge keys are a * pairBase + b: small integers for vocabularies up to 46,340 (fast map lookups). */
  private readonly pairBase: number

  constructor(json: TokenizerJson) {
    if (json.model?.type !== 'BPE') throw new Error(`tokenizer.json: model type ${json.model?.type} is not BPE`)
    if (JSON.stringify(json.pre_tokenizer) !== JSON.stringify(PRE_TOKENIZER_JSON)) {
      throw new Error('tokenizer.json: unsupported pre_tokenizer (expected the digit Split + ByteLevel sequence dsmath writes)')
    }
    for (const [t, id] of Object.entries(json.model.vocab)) {
      this.idOf.set(t, id)
      this.tokenOf[id] = t
    }
    this.pairBase = this.tokenOf.length
    json.model.merges.forEach((m, rank) => {
      const [a, b] = typeof m === 'string' ? splitMerge(m) : m
      const ia = this.idOf.get(a), ib = this.idOf.get(b), merged = this.idOf.get(a + b)
      if (ia === undefined || ib === undefined || merged === undefined) throw new Error(`tokenizer.json: merge ${rank} (${a} ${b}) uses tokens not in the vocab`)
      const key = ia * this.pairBase + ib
      if (!this.mergeRank.has(key)) this.mergeRank.set(key, [rank, merged])
    })
    for (const t of json.added_tokens ?? []) {
      this.idOf.set(t.content, t.id)
      this.tokenOf[t.id] = t.content
      if (t.special) this.specialIds.add(t.id)
    }
    const contents = (json.added_tokens ?? []).map((t) => t.content).sort((x, y) => y.length - x.length)
    this.specialSplit = contents.length ? new RegExp(contents.map(escapeRegExp).join('|'), 'g') : undefined
  }

  static fromString(text: string): Tokenizer {
    return new Tokenizer(JSON.parse(text) as TokenizerJson)
  }

  get vocabSize(): number { return this.tokenOf.length }

  tokenId(token: string): number | undefined { return this.idOf.get(token) }

  /**
   * Ids of `text`; added tokens written literally in the text become their single id, as in Hugging Face. With
   * `plainText`, they are encoded as the characters they are (for scraped documents, where a literal
   * `<|end_of_sentence|>` must not fake a document boundary).
   */
  encode(text: string, opts: { plainText?: boolean } = {}): number[] {
    const ids: number[] = []
    if (!this.specialSplit || opts.plainText) {
      this.encodeOrdinary(text, ids)
      return ids
    }
    let start = 0
    for (const m of text.matchAll(this.specialSplit)) {
      if (m.index > start) this.encodeOrdinary(text.slice(start, m.index), ids)
      ids.push(this.idOf.get(m[0])!)
      start = m.index + m[0].length
    }
    if (start < text.length) this.encodeOrdinary(start === 0 ? text : text.slice(start), ids)
    return ids
  }

  decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
    let chars = ''
    for (const id of ids) {
      const t = this.tokenOf[id]
      if (t === undefined) throw new Error(`unknown token id ${id}`)
      if (opts.skipSpecial && this.specialIds.has(id)) continue
      chars += t
    }
    return fromByteLevel(chars)
  }

  private encodeOrdinary(text: string, ids: number[]): void {
    forEachPiece(text, (piece) => {
      let pieceIds = this.cache.get(piece)
      if (!pieceIds) {
        pieceIds = this.bpe(toByteLevel(piece))
        if (this.cache.size > 100_000) this.cache.clear()
        this.cache.set(piece, pieceIds)
      }
      for (const id of pieceIds) ids.push(id)
    })
  }

  /** Applies merges lowest rank first, leftmost first on ties: the order of Hugging Face's Word::merge_all. */
  private bpe(chars: string): number[] {
    const syms = Array.from(chars, (ch) => this.idOf.get(ch)!)
    for (;;) {
      let bestRank = Infinity, bestAt = -1, bestId = -1
      for (let j = 0; j + 1 < syms.length; j++) {
        const m = this.mergeRank.get(syms[j] * this.pairBase + syms[j + 1])
        if (m && m[0] < bestRank) [bestRank, bestAt, bestId] = [m[0], j, m[1]]
      }
      if (bestAt < 0) return syms
      syms.splice(bestAt, 2, bestId)
    }
  }
}

function splitMerge(m: string): [string, string] {
  const at = m.indexOf(' ', 1)
  return [m.slice(0, at), m.slice(at + 1)]
}
