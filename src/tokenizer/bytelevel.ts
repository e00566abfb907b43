// GPT-2's byte-level alphabet: every byte maps to one printable character, so any UTF-8 text is covered by
// 256 base tokens and decoding is exact. The same table as Hugging Face's ByteLevel pre-tokenizer/decoder.

function buildByteToChar(): string[] {
  const printable: number[] = []
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b)
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b)
  for (let b = 0xae; b <= 0xff; b++) printable.push(b)
  const table: string[] = new Array(256)
  for (const b of printable) table[b] = String.fromCharCode(b)
  let shifted = 0
  for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCharCode(256 + shifted++)
  return table
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar()

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]))

const utf8 = new TextEncoder()

export function toByteLevel(text: string): string {
  let out = ''
  for (const byte of utf8.encode(text)) out += BYTE_TO_CHAR[byte]
  return out
}

/** Byte-level characters back to text; characters outside the table (special tokens) pass through as UTF-8. */
export function fromByteLevel(chars: string): string {
  const bytes: number[] = []
  for (const ch of chars) {
    const b = CHAR_TO_BYTE.get(ch)
    if (b !== undefined) bytes.push(b)
    else bytes.push(...utf8.encode(ch))
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(bytes))
}
