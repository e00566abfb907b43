// Pre-tokenization, as the tokenizer.json below declares it: every number character (\p{N}) is its own piece
// (DeepSeek splits numbers into single digits), then GPT-2's regex splits the rest into words, then each piece
// is mapped to byte-level characters. The trainer and the encoder both use this, so merges learned on a piece
// are the merges applied to it.
import { toByteLevel } from './bytelevel.ts'

export const DIGIT_SPLIT = '\\p{N}'
// Hugging Face ByteLevel's use_regex pattern (the GPT-2 one).
// \p{White_Space}, not \s: Hugging Face's regex engine takes Unicode's White_Space (U+0085 in, U+FEFF out), where
// JavaScript's \s has U+FEFF and lacks U+0085.
const GPT2_WORDS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu
const DIGIT = new RegExp(DIGIT_SPLIT, 'gu')

export const PRE_TOKENIZER_JSON = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: DIGIT_SPLIT }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  ],
} as const

/** Calls `emit` with each pre-token of `text` as raw text (not yet byte-level). */
export function forEachPiece(text: string, emit: (piece: string) => void): void {
  let start = 0
  for (const m of text.matchAll(DIGIT)) {
    if (m.index > start) forEachWord(text.slice(start, m.index), emit)
    emit(m[0])
    start = m.index + m[0].length
  }
  if (start < text.length) forEachWord(start === 0 ? text : text.slice(start), emit)
}

function forEachWord(span: string, emit: (piece: string) => void): void {
  for (const m of span.matchAll(GPT2_WORDS)) emit(m[0])
}

/** The byte-level pre-tokens of `text`, as Hugging Face's pre_tokenize_str would give them. */
export function preTokenize(text: string): string[] {
  const out: string[] = []
  forEachPiece(text, (p) => out.push(toByteLevel(p)))
  return out
}
