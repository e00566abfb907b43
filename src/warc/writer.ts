// Writes WARC/1.1 records, one gzip member per record (Common Crawl's layout).
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'

export interface RecordSpec {
  type: 'warcinfo' | 'request' | 'response' | 'metadata' | 'resource'
  targetUri?: string
  date: string
  contentType: string
  block: Buffer | string
  recordId?: string
  extraHeaders?: Record<string, string>
}

export function encodeRecord(spec: RecordSpec): Buffer {
  const block = typeof spec.block === 'string' ? Buffer.from(spec.block) : spec.block
  const lines = [
    'WARC/1.1',
    `WARC-Type: ${spec.type}`,
    `WARC-Record-ID: ${spec.recordId ?? `<urn:uuid:${randomUUID()}>`}`,
    `WARC-Date: ${spec.date}`,
    ...(spec.targetUri ? [`WARC-Target-URI: ${spec.targetUri}`] : []),
    ...Object.entries(spec.extraHeaders ?? {}).map(([k, v]) => `${k}: ${v}`),
    `Content-Type: ${spec.contentType}`,
    `Content-Length: ${block.length}`,
  ]
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), block, Buffer.from('\r\n\r\n')])
}

export function gzipRecord(spec: RecordSpec): Buffer {
  return gzipSync(encodeRecord(spec), { level: 6 })
}

export function httpResponseBlock(html: string, status = 200, contentType = 'text/html; charset=utf-8'): Buffer {
  const body = Buffer.from(html)
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status} OK\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`),
    body,
  ])
}
