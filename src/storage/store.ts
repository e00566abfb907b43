// Object storage over local files and S3, with one set of functions for both.
import { type FileHandle, mkdir, readdir, readFile, rename, rm, stat, writeFile, open } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { dirname, join } from 'node:path'
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, paginateListObjectsV2,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { parseLocation } from './location.ts'
import { describeS3Error, s3Client } from './s3.ts'

/** An object that cannot be read at all, whatever the retries: missing, or a directory where a file should be. */
export class UnreadableObjectError extends Error {}

export class NotFoundError extends UnreadableObjectError {}

/** Whether `err` says that the object `uri` itself cannot be read (not some other object, not a transient error). */
export function isUnreadable(err: unknown, uri: string): err is UnreadableObjectError {
  return err instanceof UnreadableObjectError && err.message.startsWith(`${uri}:`)
}

function notFound(uri: string): NotFoundError {
  return new NotFoundError(`${uri}: no such file or object`)
}

/** A local file error as an error that names the file: missing, a directory, or what the OS said. */
function localError(uri: string, err: unknown): Error {
  if (isMissing(err)) return notFound(uri)
  const e = err as NodeJS.ErrnoException
  if (e.code === 'EISDIR') return new UnreadableObjectError(`${uri}: is a directory, not a file`)
  return new Error(`${uri}: ${e.message ?? String(err)}`, { cause: err })
}

function isMissing(err: unknown): boolean {
  const e = err as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } }
  return e.code === 'ENOENT' || e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404
}

/**
 * A stream of an object's bytes. A local file can also be read straight into the caller's buffer
 * (`readInto`, as the WARC reader does: no chunk allocated or copied per read); `close` ends it early.
 */
export interface ByteStream extends AsyncIterable<Uint8Array> {
  /** Reads up to `length` bytes into buf[offset..] from where the last read ended; 0 at the end. */
  readInto?(buf: Uint8Array, offset: number, length: number): Promise<number>
  close?(): Promise<void>
}

/** Streams an object from byte `start` on, without reading it whole (a ranged GET on S3). */
export function readStream(uri: string, start = 0): ByteStream {
  let loc: ReturnType<typeof parseLocation>
  try {
    loc = parseLocation(uri)
  } catch (err) {
    return (async function* () { throw err })()
  }
  return loc.kind === 'file' ? new LocalFileStream(uri, loc.path, start) : readS3Stream(uri, loc, start)
}

/** A local file from `pos` on, in 1 MiB chunks or read into a given buffer; errors come on the first read. */
class LocalFileStream implements ByteStream {
  private fh: FileHandle | null = null
  private closed = false

  constructor(private readonly uri: string, private readonly path: string, private pos: number) {}

  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.closed) return 0
    this.fh ??= await open(this.path, 'r').catch((err) => { throw localError(this.uri, err) })
    const { bytesRead } = await this.fh.read(buf, offset, length, this.pos).catch((err) => { throw localError(this.uri, err) })
    this.pos += bytesRead
    if (bytesRead === 0) await this.close()
    return bytesRead
  }

  async close(): Promise<void> {
    this.closed = true
    const fh = this.fh
    this.fh = null
    await fh?.close()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(1 << 20)
        const n = await this.readInto(buf, 0, buf.length)
        if (n === 0) return
        yield n === buf.length ? buf : buf.subarray(0, n)
      }
    } finally {
      await this.close()
    }
  }
}

async function* readS3Stream(uri: string, loc: Extract<ReturnType<typeof parseLocation>, { kind: 's3' }>, start: number): AsyncGenerator<Uint8Array> {
  let body: AsyncIterable<Uint8Array>
  try {
    const res = await s3Client().send(new GetObjectCommand({
      Bucket: loc.bucket, Key: loc.key, ...(start > 0 ? { Range: `bytes=${start}-` } : {}),
    }))
    body = res.Body as AsyncIterable<Uint8Array>
  } catch (err) {
    if (isMissing(err)) throw notFound(uri)
    if (start > 0 && httpStatus(err) === 416) return // at or past the end: nothing left, as for a local file
    throw describeS3Error(err, `reading ${uri}`)
  }
  try {
    yield* body
  } catch (err) {
    throw describeS3Error(err, `reading ${uri}`) // the connection dropped mid-object
  }
}

const httpStatus = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode

export async function readRange(uri: string, offset: number, length: number): Promise<Buffer> {
  const loc = parseLocation(uri)
  if (length <= 0) return Buffer.alloc(0) // S3 ignores an empty Range and would send the whole object
  if (loc.kind === 'file') {
    const fh = await open(loc.path, 'r').catch((err) => { throw localError(uri, err) })
    try {
      const buf = Buffer.alloc(length)
      const { bytesRead } = await fh.read(buf, 0, length, offset).catch((err) => { throw localError(uri, err) })
      return buf.subarray(0, bytesRead)
    } finally {
      await fh.close()
    }
  }
  try {
    const res = await s3Client().send(new GetObjectCommand({
      Bucket: loc.bucket, Key: loc.key, Range: `bytes=${offset}-${offset + length - 1}`,
    }))
    return Buffer.from(await res.Body!.transformToByteArray())
  } catch (err) {
    if (isMissing(err)) throw notFound(uri)
    if (httpStatus(err) === 416) return Buffer.alloc(0) // past the end, as a local read gives
    throw describeS3Error(err, `reading ${uri}`)
  }
}

export async function readAll(uri: string): Promise<Buffer> {
  const loc = parseLocation(uri)
  if (loc.kind === 'file') {
    return readFile(loc.path).catch((err) => { throw localError(uri, err) })
  }
  const chunks: Uint8Array[] = []
  for await (const c of readStream(uri)) chunks.push(c)
  return Buffer.concat(chunks)
}

export interface WriteOptions {
  /** Write only if nothing is there yet; returns false instead of overwriting. */
  ifAbsent?: boolean
  contentType?: string
}

/** Writes an object atomically (temp file + rename locally; one PUT or a multipart upload on S3). */
export async function writeObject(uri: string, data: Uint8Array | string, opts: WriteOptions = {}): Promise<boolean> {
  const loc = parseLocation(uri)
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  if (loc.kind === 'file') {
    await mkdir(dirname(loc.path), { recursive: true })
    if (opts.ifAbsent) {
      try {
        await writeFile(loc.path, bytes, { flag: 'wx' })
        return true
      } catch (err) {
        if ((err as { code?: string }).code === 'EEXIST') return false
        throw err
      }
    }
    const tmp = `${loc.path}.tmp-${randomUUID()}`
    try {
      await writeFile(tmp, bytes)
      await rename(tmp, loc.path)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
    return true
  }
  try {
    if (bytes.byteLength > 64 << 20 && !opts.ifAbsent) {
      await new Upload({
        client: s3Client(),
        params: { Bucket: loc.bucket, Key: loc.key, Body: bytes, ContentType: opts.contentType },
        partSize: 16 << 20,
      }).done()
    } else {
      await s3Client().send(new PutObjectCommand({
        Bucket: loc.bucket, Key: loc.key, Body: bytes, ContentType: opts.contentType,
        ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}),
      }))
    }
    return true
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    if (opts.ifAbsent && status === 412) return false
    throw describeS3Error(err, `writing ${uri}`)
  }
}

export async function objectSize(uri: string): Promise<number> {
  const loc = parseLocation(uri)
  if (loc.kind === 'file') {
    return (await stat(loc.path).catch((err) => { throw isMissing(err) ? notFound(uri) : err })).size
  }
  try {
    const res = await s3Client().send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }))
    return res.ContentLength ?? 0
  } catch (err) {
    if (isMissing(err)) throw notFound(uri)
    throw describeS3Error(err, `stat ${uri}`)
  }
}

export async function removeObject(uri: string): Promise<void> {
  const loc = parseLocation(uri)
  if (loc.kind === 'file') {
    await rm(loc.path, { force: true, recursive: true })
    return
  }
  try {
    await s3Client().send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: loc.key }))
  } catch (err) {
    throw describeS3Error(err, `deleting ${uri}`)
  }
}

/** Removes everything under a prefix: a directory tree locally, every listed key on S3. */
export async function removePrefix(prefixUri: string): Promise<void> {
  const loc = parseLocation(prefixUri)
  if (loc.kind === 'file') {
    await rm(loc.path, { force: true, recursive: true })
    return
  }
  for (const key of await listObjects(prefixUri)) await removeObject(key)
}

/** Lists every object under a prefix (a directory, recursively, for local paths), sorted. */
export async function listObjects(prefixUri: string): Promise<string[]> {
  const loc = parseLocation(prefixUri)
  if (loc.kind === 'file') {
    const out: string[] = []
    const walk = async (dir: string): Promise<void> => {
      for (const ent of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, ent.name)
        if (ent.isDirectory()) await walk(p)
        else if (ent.isFile()) out.push(p)
      }
    }
    const st = await stat(loc.path).catch(() => null)
    if (!st) throw notFound(prefixUri)
    if (st.isFile()) return [loc.path]
    await walk(loc.path)
    return out.sort()
  }
  const keys: string[] = []
  try {
    // s3://b/run1 names the object run1 or the folder run1/, as a local path does, not run10/ beside it.
    const inFolder = (k: string): boolean => loc.key === '' || loc.key.endsWith('/') || k === loc.key || k.startsWith(`${loc.key}/`)
    for await (const page of paginateListObjectsV2({ client: s3Client() }, { Bucket: loc.bucket, Prefix: loc.key })) {
      for (const obj of page.Contents ?? []) if (obj.Key && inFolder(obj.Key)) keys.push(`s3://${loc.bucket}/${obj.Key}`)
    }
  } catch (err) {
    throw describeS3Error(err, `listing ${prefixUri}`)
  }
  return keys.sort()
}
