// Streaming WARC reader: gzip-per-record (multi-member) and uncompressed files, WARC/0.18 to 1.1.
// Memory stays bounded by the largest record; bad records come out as BadRecord values (never throws on
// bad input), and the reader resynchronises on the next record so the good records of a file are kept.
import { type InflateEngine, ReusedOutput, gzipHeaderLength, inflateMember, resolveInflateEngine } from './inflate.ts'
import { type BadReason, type BadRecord, type WarcRecord, WarcHeaders } from './record.ts'

export interface ReadOptions {
  /** Largest record (or gzip member) accepted, in bytes; larger ones are skipped as record_too_large. */
  maxRecordBytes?: number
  /** At most this many raw bytes of a bad record are kept for quarantine. */
  quarantineBytes?: number
  /** Inflater for gzip members: libdeflate (native addon, `make native`) or node:zlib; same records either way.
   * Default: DSMATH_INFLATE, else libdeflate when the addon is built. */
  inflate?: InflateEngine
  /**
   * Each gzip record's block may be a view of a buffer the reader reuses, valid only until the next record
   * is asked for (as FastWARC's records are): no allocation per record. Copy a block to keep it. Applies to
   * the libdeflate engine; node:zlib blocks are always the caller's.
   */
  reuseBlocks?: boolean
}

const GZIP_MAGIC = [0x1f, 0x8b]

/**
 * A WARC byte stream: any async iterable of chunks. One that can also read straight into a given buffer
 * (`readInto`: local files, see storage/store.ts readStream) is read that way, with no chunk allocated or
 * copied per read.
 */
export interface ByteSource extends AsyncIterable<Uint8Array> {
  /** Reads up to `length` bytes into buf[offset..] from where the last read ended; 0 at the end. */
  readInto?(buf: Uint8Array, offset: number, length: number): Promise<number>
  close?(): Promise<void>
}

/** Bytes asked of a `readInto` source at a time, at least. */
const READ_CHUNK = 1 << 20

/**
 * A growable window over a byte stream, addressed by absolute file offsets. The bytes live in one reused
 * arena: each byte read is copied in once (or read into it directly), and the arena is compacted instead
 * of reallocated (no fresh megabyte buffers to page in and collect). Slices are views of the arena, valid
 * until the next fill: nothing handed out of the reader aliases them.
 */
class Window {
  private arena = Buffer.alloc(0)
  /** Arena index of `base`, and the number of bytes held from there. */
  private start = 0
  private len = 0
  /** Absolute offset of the first byte held. */
  base: number
  eof = false
  private it: AsyncIterator<Uint8Array> | null = null
  private direct: ByteSource | null = null

  constructor(source: ByteSource, startOffset: number) {
    this.base = startOffset
    if (typeof source.readInto === 'function') this.direct = source
    else this.it = source[Symbol.asyncIterator]()
  }

  get end(): number {
    return this.base + this.len
  }

  /** Ensures bytes [base, upTo) are present unless the stream ends first; returns whether they are. */
  async fill(upTo: number): Promise<boolean> {
    while (this.end < upTo && !this.eof) {
      if (this.direct) {
        this.reserve(Math.max(upTo - this.end, READ_CHUNK))
        const at = this.start + this.len
        const n = await this.direct.readInto!(this.arena, at, this.arena.length - at)
        if (n === 0) { this.eof = true; break }
        this.len += n
      } else {
        const next = await this.it!.next()
        if (next.done) { this.eof = true; break }
        this.reserve(next.value.length)
        this.arena.set(next.value, this.start + this.len)
        this.len += next.value.length
      }
    }
    return this.end >= upTo
  }

  /** Makes room for `extra` more bytes after the ones held: compacts the arena, or grows it. */
  private reserve(extra: number): void {
    const need = this.len + extra
    if (this.start + need > this.arena.length || this.arena.length > Math.max(4 * need, 64 << 20)) {
      if (need <= this.arena.length && this.arena.length <= Math.max(4 * need, 64 << 20)) {
        this.arena.copyWithin(0, this.start, this.start + this.len)
      } else {
        const next = Buffer.allocUnsafeSlow(Math.max(2 * need, 4 << 20))
        this.arena.copy(next, 0, this.start, this.start + this.len)
        this.arena = next
      }
      this.start = 0
    }
  }

  /** Bytes [from, to) by absolute offset; both must already be in the window. */
  slice(from: number, to = this.end): Buffer {
    return this.arena.subarray(this.start + from - this.base, this.start + to - this.base)
  }

  /** Forgets everything before `offset`. */
  drop(offset: number): void {
    if (offset > this.base) {
      const n = Math.min(offset - this.base, this.len)
      this.start += n
      this.len -= n
      this.base = offset
    }
  }

  async atEof(offset: number): Promise<boolean> {
    return !(await this.fill(offset + 1))
  }

  /** First absolute offset >= from where `needle` starts, reading ahead as needed; -1 at EOF. */
  async find(needle: Buffer, from: number): Promise<number> {
    let at = from
    for (;;) {
      const idx = this.slice(this.base).indexOf(needle, Math.max(0, at - this.base))
      if (idx >= 0) return this.base + idx
      if (this.eof) return -1
      at = Math.max(at, this.end - needle.length + 1)
      await this.fill(this.end + (1 << 20))
    }
  }

  async close(): Promise<void> {
    if (this.direct) await this.direct.close?.()
    else await this.it!.return?.()
  }
}

/**
 * Reads every record of a WARC byte stream that starts at `startOffset` in its file (0, or a resume point
 * previously returned as `resumeOffset`). Detects gzip from the first bytes.
 */
export async function* readWarc(
  source: ByteSource, startOffset = 0, opts: ReadOptions = {},
): AsyncGenerator<WarcRecord | BadRecord> {
  const win = new Window(source, startOffset)
  const limits = { maxRecordBytes: opts.maxRecordBytes ?? 256 << 20, quarantineBytes: opts.quarantineBytes ?? 1 << 20, inflate: resolveInflateEngine(opts.inflate), reuseBlocks: opts.reuseBlocks ?? false }
  try {
    // Blank lines before the first record (a stray newline before a gzip stream, say) do not decide the format.
    let at = startOffset
    while (!(await win.atEof(at)) && isBlankByte(win.slice(at, at + 1)[0])) at++
    if (await startsGzipMember(win, at)) yield* readGzipMembers(win, at, limits)
    else yield* readPlain(win, at, limits)
  } finally {
    await win.close()
  }
}

type Limits = Required<ReadOptions>

const isBlankByte = (c: number): boolean => c === 0x0d || c === 0x0a

async function startsGzipMember(win: Window, at: number): Promise<boolean> {
  await win.fill(at + 2)
  const head = win.slice(at, Math.min(win.end, at + 2))
  return head.length === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]
}

function bad(win: Window, reason: BadReason, message: string, offset: number, end: number, limits: Limits): BadRecord {
  const stop = Math.min(end, win.end, offset + limits.quarantineBytes)
  return { bad: reason, message, offset, length: end - offset, raw: Buffer.from(win.slice(offset, Math.max(offset, stop))) }
}

// ---------- gzip-per-record ----------

// Bytes held past a member's start before inflating it: members are rarely cut by the window end, and a
// member that is cut costs a failed inflate plus a retry.
const READ_AHEAD = 1 << 20

async function* readGzipMembers(win: Window, start: number, limits: Limits): AsyncGenerator<WarcRecord | BadRecord> {
  let offset = start
  let want = READ_AHEAD
  const reuse = limits.reuseBlocks ? new ReusedOutput() : undefined
  // The window usually holds the next member already: await only when it has to be filled.
  while (win.end > offset || !(await win.atEof(offset))) {
    win.drop(offset)
    if (win.end < offset + want && !win.eof) await win.fill(offset + want)
    const member = inflateMember(win.slice(offset), win.eof, limits.inflate, reuse)
    if (member.kind === 'need_more') {
      if (win.end - offset >= limits.maxRecordBytes) {
        const next = await nextMemberStart(win, offset + 1)
        yield bad(win, 'record_too_large', `gzip member at ${offset} exceeds ${limits.maxRecordBytes} bytes`, offset, next, limits)
        offset = next; want = READ_AHEAD
        continue
      }
      // Grow past what the window already holds, so that each retry has new bytes to inflate.
      want = Math.max(want * 4, 2 * (win.end - offset))
      continue
    }
    want = READ_AHEAD
    if (member.kind === 'truncated') {
      yield bad(win, 'truncated_gzip', `gzip member at offset ${offset} ends before its end (file cut short)`, offset, win.end, limits)
      return
    }
    if (member.kind === 'corrupt') {
      const next = await nextMemberStart(win, offset + 1)
      yield bad(win, 'corrupt_gzip', `gzip member at offset ${offset} does not inflate: ${member.message}`, offset, next, limits)
      offset = next
      continue
    }
    const end = offset + member.length
    if (!member.crcOk) {
      yield bad(win, 'gzip_crc_mismatch', `gzip member at offset ${offset} fails its CRC32 check`, offset, end, limits)
      offset = end
      continue
    }
    // One member normally holds one record; whole-file gzip puts every record in one member.
    const records = parseRecordsInBuffer(member.data)
    for (let i = 0; i < records.length; i++) {
      const r = records[i]
      if ('bad' in r) {
        const raw = Buffer.from(member.data.subarray(r.start, Math.min(r.end, r.start + limits.quarantineBytes)))
        yield { bad: r.bad, message: `${r.message} (in gzip member at offset ${offset})`, offset, length: member.length, raw }
      } else {
        yield { ...r, offset, length: member.length, resumeOffset: i === records.length - 1 ? end : null }
      }
    }
    offset = end
  }
}

/** Offset of the next plausible gzip member at or after `from` (or the end of the stream). */
async function nextMemberStart(win: Window, from: number): Promise<number> {
  let at = from
  for (;;) {
    const idx = await win.find(Buffer.from([0x1f, 0x8b, 0x08]), at)
    if (idx < 0) return win.end
    await win.fill(idx + 64)
    if (gzipHeaderLength(win.slice(idx), 0) > 0) return idx
    at = idx + 1
  }
}

// ---------- record parsing (shared by both formats) ----------

const RECORD_START = Buffer.from('WARC/')

type Parsed = { version: string; headers: WarcHeaders; block: Buffer; length: number }
/** A bad record of a member carries its byte range in the inflated member, for quarantine. */
type ParsedOrBad = Omit<WarcRecord, 'offset' | 'length' | 'resumeOffset'> | { bad: BadReason; message: string; start: number; end: number }

const VERSION_LINE = /^WARC\/(\d+\.\d+)\s*$/

/**
 * Parses the header block (text up to the blank line). Returns null if the version line is missing. Lines
 * end at LF with any CRs before it dropped; a line starting with a space or tab continues the previous
 * header; lines without a name and colon are skipped.
 */
function parseHeaderBlock(text: string): { version: string; headers: WarcHeaders; contentLength: number | null } | null {
  let nl = text.indexOf('\n')
  if (nl < 0) nl = text.length
  const m = VERSION_LINE.exec(text.slice(0, nl))
  if (!m) return null
  const headers = new WarcHeaders()
  let name = '', value = '', have = false
  for (let p = nl + 1; p < text.length;) {
    let e = text.indexOf('\n', p)
    if (e < 0) e = text.length
    let le = e
    while (le > p && text.charCodeAt(le - 1) === 13) le--
    if (le > p) {
      const c = text.charCodeAt(p)
      if ((c === 32 || c === 9) && have) {
        value += ' ' + text.slice(p, le).trim()
      } else {
        const colon = text.indexOf(':', p)
        if (colon > p && colon < le) {
          if (have) headers.add(name, value)
          name = text.slice(p, colon).trim()
          value = text.slice(colon + 1, le).trim()
          have = true
        }
      }
    }
    p = e + 1
  }
  if (have) headers.add(name, value)
  const cl = headers.get('Content-Length')
  const n = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null
  return { version: m[1], headers, contentLength: n }
}

/** Finds the end of the header block starting at `at`: the index just after CRLFCRLF (or LFLF). */
function headerEnd(buf: Buffer, at: number): number {
  const crlf = buf.indexOf('\r\n\r\n', at)
  // Look for LFLF only where it could come first: not through the whole content block after CRLFCRLF.
  const lf = crlf < 0 ? buf.indexOf('\n\n', at) : buf.subarray(0, crlf + 3).indexOf('\n\n', at)
  if (crlf < 0 && lf < 0) return -1
  if (crlf < 0) return lf + 2
  if (lf < 0) return crlf + 4
  return Math.min(crlf + 4, lf + 2)
}

/**
 * Parses the records in a decompressed gzip member (usually exactly one; whole-file gzip puts every record in
 * one). A bad record is reported and parsing resumes at the next line that starts a WARC record, so one bad
 * record does not cost the rest of the member.
 */
function parseRecordsInBuffer(buf: Buffer): ParsedOrBad[] {
  const out: ParsedOrBad[] = []
  let p = 0
  while (p < buf.length) {
    while (p < buf.length && (buf[p] === 0x0d || buf[p] === 0x0a)) p++
    if (p >= buf.length) break
    const r = parseRecordAt(buf, p)
    if ('bad' in r) {
      const next = nextRecordInBuffer(buf, p + 1)
      out.push({ ...r, start: p, end: next })
      p = next
    } else {
      out.push(r.record)
      p = r.end
    }
  }
  // A member of one record (the usual case) lends its buffer to the block; blocks of a member holding
  // several records are copied so that keeping one of them does not keep the whole member.
  if (out.length > 1) for (const r of out) if ('block' in r) r.block = Buffer.from(r.block)
  return out
}

function parseRecordAt(buf: Buffer, p: number): { record: ParsedOrBad; end: number } | { bad: BadReason; message: string } {
  const he = headerEnd(buf, p)
  if (he < 0) return { bad: 'malformed_header', message: 'WARC header block has no end' }
  const h = parseHeaderBlock(buf.toString('latin1', p, he))
  if (!h) return { bad: 'malformed_header', message: `no WARC version line: ${JSON.stringify(buf.toString('latin1', p, Math.min(p + 40, he)))}` }
  if (h.contentLength === null) return { bad: 'missing_content_length', message: 'record has no valid Content-Length' }
  const blockEnd = he + h.contentLength
  if (blockEnd > buf.length) return { bad: 'bad_content_length', message: `Content-Length ${h.contentLength} runs past the gzip member` }
  // The block ends the member, or CRLFCRLF (or bare LFs) follows it.
  const tail = buf.toString('latin1', blockEnd, Math.min(buf.length, blockEnd + 4))
  if (!(tail.length === 0 || tail.startsWith('\r\n\r\n') || tail.startsWith('\n\n') || (tail === '\r\n' && blockEnd + 2 === buf.length))) {
    return { bad: 'bad_content_length', message: `Content-Length ${h.contentLength} does not end at a record boundary` }
  }
  return { record: { version: h.version, headers: h.headers, block: buf.subarray(he, blockEnd) }, end: blockEnd }
}

/** Index of the next line at or after `from` that starts a WARC record, or the buffer's length. */
function nextRecordInBuffer(buf: Buffer, from: number): number {
  for (let at = from; ;) {
    const idx = buf.indexOf(RECORD_START, at)
    if (idx < 0) return buf.length
    if ((idx === 0 || buf[idx - 1] === 0x0a) && /^WARC\/\d+\.\d+\r?\n/.test(buf.toString('latin1', idx, Math.min(buf.length, idx + 16)))) return idx
    at = idx + 1
  }
}

// ---------- uncompressed ----------

async function* readPlain(win: Window, start: number, limits: Limits): AsyncGenerator<WarcRecord | BadRecord> {
  let offset = start
  for (;;) {
    // Skip the blank lines between records.
    for (;;) {
      if (await win.atEof(offset)) return
      if (!isBlankByte(win.slice(offset, offset + 1)[0])) break
      offset++
    }
    win.drop(offset)
    // Gzip members after plain records (a .warc.gz appended to a .warc): read the rest as members.
    if (win.slice(offset, offset + 1)[0] === GZIP_MAGIC[0] && (await startsGzipMember(win, offset))) { yield* readGzipMembers(win, offset, limits); return }
    const parsed = await parsePlainRecord(win, offset, limits)
    if ('bad' in parsed) {
      const next = await nextPlainRecord(win, offset + 1)
      yield bad(win, parsed.bad, parsed.message, offset, parsed.truncated ? win.end : next, limits)
      if (parsed.truncated) return
      offset = next
      continue
    }
    const end = offset + parsed.length
    yield { offset, length: parsed.length, resumeOffset: end, version: parsed.version, headers: parsed.headers, block: parsed.block }
    offset = end
  }
}

async function parsePlainRecord(win: Window, offset: number, limits: Limits): Promise<Parsed | { bad: BadReason; message: string; truncated?: boolean }> {
  let he = -1
  for (let want = 4096; ; want *= 4) {
    await win.fill(offset + want)
    he = headerEnd(win.slice(offset), 0)
    if (he >= 0 || win.eof || want > 1 << 20) break
  }
  if (he < 0) {
    return win.eof
      ? { bad: 'truncated_record', message: `record at offset ${offset}: file ends inside the WARC header`, truncated: true }
      : { bad: 'malformed_header', message: `record at offset ${offset}: no end of WARC header within 1 MiB` }
  }
  const h = parseHeaderBlock(win.slice(offset, offset + he).toString('latin1'))
  if (!h) return { bad: 'malformed_header', message: `record at offset ${offset}: no WARC version line` }
  if (h.contentLength === null) return { bad: 'missing_content_length', message: `record at offset ${offset}: no valid Content-Length` }
  if (h.contentLength > limits.maxRecordBytes) return { bad: 'record_too_large', message: `record at offset ${offset}: Content-Length ${h.contentLength} over the limit` }
  const blockEnd = offset + he + h.contentLength
  if (!(await win.fill(blockEnd + 4))) {
    if (win.end < blockEnd) return { bad: 'truncated_record', message: `record at offset ${offset}: file ends inside the content block (${win.end - offset - he} of ${h.contentLength} bytes)`, truncated: true }
  }
  // The block must be followed by CRLFCRLF (tolerate bare LFs, and the very end of the file).
  const tail = win.slice(blockEnd, Math.min(win.end, blockEnd + 4)).toString('latin1')
  const trailer = tail.startsWith('\r\n\r\n') ? 4 : tail.startsWith('\n\n') ? 2 : tail.startsWith('\r\n') && win.end <= blockEnd + 2 ? 2 : tail.length === 0 ? 0 : -1
  if (trailer < 0) return { bad: 'bad_content_length', message: `record at offset ${offset}: Content-Length ${h.contentLength} does not end at a record boundary` }
  return { version: h.version, headers: h.headers, block: Buffer.from(win.slice(offset + he, blockEnd)), length: he + h.contentLength + trailer }
}

/** Offset of the next line that starts a WARC record after `from`, or the end of the stream. */
async function nextPlainRecord(win: Window, from: number): Promise<number> {
  let at = from
  for (;;) {
    const idx = await win.find(RECORD_START, at)
    if (idx < 0) return win.end
    const prev = idx > win.base ? win.slice(idx - 1, idx)[0] : 0x0a
    await win.fill(idx + 16)
    if (prev === 0x0a && /^WARC\/\d+\.\d+\r?\n/.test(win.slice(idx, Math.min(win.end, idx + 16)).toString('latin1'))) return idx
    at = idx + 1
  }
}
