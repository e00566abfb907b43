import { createHash } from 'node:crypto'

/** A WARC record as read from a file: headers, raw content block, and where it lives in the file. */
export interface WarcRecord {
  /** Byte offset of the record (of its gzip member, for gzip-per-record files) in the file. */
  offset: number
  /** Bytes the record (or its gzip member) takes in the file; offset+length re-reads it alone. */
  length: number
  /** Offset to resume from after this record, or null when the record shares a gzip member with the next. */
  resumeOffset: number | null
  version: string
  headers: WarcHeaders
  block: Buffer
}

/** Headers in file order; lookups are case-insensitive and return the first value. */
export class WarcHeaders {
  readonly entries: [string, string][] = []
  private index = new Map<string, string>()

  add(name: string, value: string): void {
    this.entries.push([name, value])
    const key = name.toLowerCase()
    if (!this.index.has(key)) this.index.set(key, value)
  }

  get(name: string): string | undefined {
    return this.index.get(name.toLowerCase())
  }
}

export function recordType(r: WarcRecord): string {
  return r.headers.get('WARC-Type') ?? ''
}

export function recordId(r: WarcRecord): string {
  return r.headers.get('WARC-Record-ID') ?? ''
}

/** WARC-Target-URI, with the `<...>` wrapping some writers (wget 1.x, WARC/1.1 drafts) add removed. */
export function targetUri(r: WarcRecord): string {
  const raw = (r.headers.get('WARC-Target-URI') ?? '').trim()
  return raw.startsWith('<') && raw.endsWith('>') ? raw.slice(1, -1) : raw
}

/** Why a record was not read; each becomes a counter in the run manifest. */
export type BadReason =
  | 'truncated_gzip'
  | 'corrupt_gzip'
  | 'gzip_crc_mismatch'
  | 'malformed_header'
  | 'missing_content_length'
  | 'bad_content_length'
  | 'truncated_record'
  | 'record_too_large'

export interface BadRecord {
  bad: BadReason
  message: string
  offset: number
  length: number
  /** The raw bytes that could not be read (possibly cut at the quarantine limit). */
  raw: Buffer
}

export function isBad(r: WarcRecord | BadRecord): r is BadRecord {
  return 'bad' in r
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function base32(bytes: Buffer): string {
  let out = '', bits = 0, value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/**
 * Checks a `WARC-Block-Digest`/`WARC-Payload-Digest` value (`sha1:BASE32`, also hex or base64, sha256 too)
 * against bytes. Returns undefined when the digest is absent or uses an algorithm we do not know.
 */
export function digestMatches(digest: string | undefined, bytes: Buffer): boolean | undefined {
  if (!digest) return undefined
  const colon = digest.indexOf(':')
  if (colon < 0) return undefined
  const algo = digest.slice(0, colon).toLowerCase().replace('-', '')
  const want = digest.slice(colon + 1).trim()
  if (algo !== 'sha1' && algo !== 'sha256') return undefined
  const got = createHash(algo).update(bytes).digest()
  const forms = [base32(got), got.toString('hex'), got.toString('base64'), got.toString('base64url')]
  return forms.some((f) => f.replace(/=+$/, '').toLowerCase() === want.replace(/=+$/, '').toLowerCase())
}
