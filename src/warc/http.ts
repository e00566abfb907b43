// HTTP messages inside WARC response records: status line, headers, chunked transfer and
// content-encoding decoding, and the charset of the decoded body.
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib'

export interface HttpResponse {
  status: number
  headers: Map<string, string>
  body: Buffer
}

/** Parses an HTTP/1.x response; returns null when the block is not one. */
export function parseHttpResponse(block: Buffer): HttpResponse | null {
  const crlf = block.indexOf('\r\n\r\n')
  const lf = block.indexOf('\n\n')
  const end = crlf >= 0 && (lf < 0 || crlf + 2 <= lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1
  if (end < 0) return null
  const lines = block.toString('latin1', 0, end).split(/\r*\n/)
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(lines[0] ?? '')
  if (!m) return null
  const headers = new Map<string, string>()
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) {
      const k = line.slice(0, colon).trim().toLowerCase()
      const v = line.slice(colon + 1).trim()
      headers.set(k, headers.has(k) ? `${headers.get(k)}, ${v}` : v)
    }
  }
  return { status: Number(m[1]), headers, body: block.subarray(end) }
}

/** Undoes `Transfer-Encoding: chunked`; returns null when the body is not valid chunked data. */
export function dechunk(body: Buffer): Buffer | null {
  const parts: Buffer[] = []
  let p = 0
  for (;;) {
    const eol = body.indexOf('\n', p)
    if (eol < 0) return parts.length ? Buffer.concat(parts) : null
    const sizeText = body.toString('latin1', p, eol).trim().split(';')[0]
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return parts.length ? Buffer.concat(parts) : null
    const size = parseInt(sizeText, 16)
    if (size === 0) return Buffer.concat(parts)
    parts.push(body.subarray(eol + 1, eol + 1 + size))
    p = eol + 1 + size
    if (body[p] === 0x0d) p++
    if (body[p] === 0x0a) p++
  }
}

export class DecodeError extends Error {}

/** Undoes Content-Encoding (gzip, deflate with or without zlib wrapper, br). */
export function decodeContent(body: Buffer, encoding: string | undefined): Buffer {
  const codings = (encoding ?? '').toLowerCase().split(',').map((s) => s.trim()).filter((s) => s && s !== 'identity')
  let out = body
  for (const coding of codings.reverse()) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') out = gunzipSync(out)
      else if (coding === 'deflate') out = out[0] === 0x78 ? inflateSync(out) : inflateRawSync(out)
      else if (coding === 'br') out = brotliDecompressSync(out)
      else throw new DecodeError(`unknown content-encoding '${coding}'`)
    } catch (err) {
      if (err instanceof DecodeError) throw err
      throw new DecodeError(`content-encoding ${coding} does not decode: ${(err as Error).message}`)
    }
  }
  return out
}

/** The decoded entity body: transfer and content encodings undone. */
export function entityBody(res: HttpResponse): Buffer {
  let body = res.body
  if (/chunked/i.test(res.headers.get('transfer-encoding') ?? '')) body = dechunk(body) ?? body
  return decodeContent(body, res.headers.get('content-encoding'))
}

function charsetFromContentType(ct: string | undefined): string | undefined {
  const m = /charset\s*=\s*["']?([\w.:-]+)/i.exec(ct ?? '')
  return m?.[1]
}

/**
 * Picks the charset of an HTML body: byte-order mark, then the HTTP header, then a <meta> in the first
 * 4 KiB, else UTF-8. Labels TextDecoder does not know fall back to UTF-8.
 */
export function detectCharset(body: Buffer, contentType: string | undefined): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8'
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le'
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be'
  const head = body.toString('latin1', 0, Math.min(body.length, 4096))
  const meta = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1]
  for (const label of [charsetFromContentType(contentType), meta]) {
    if (!label) continue
    try {
      return new TextDecoder(label).encoding
    } catch {
      // unknown label: try the next source
    }
  }
  return 'utf-8'
}

export function decodeText(body: Buffer, charset: string): string {
  return new TextDecoder(charset, { fatal: false }).decode(body)
}

export function isHtml(contentType: string | undefined, body: Buffer): boolean {
  const ct = (contentType ?? '').toLowerCase()
  if (ct.includes('html')) return true
  if (ct && !ct.startsWith('text/plain') && !ct.includes('octet-stream')) return false
  const head = body.toString('latin1', 0, Math.min(body.length, 512)).trimStart().toLowerCase()
  return head.startsWith('<!doctype html') || head.startsWith('<html')
}
