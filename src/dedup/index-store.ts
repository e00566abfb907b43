// What dedup has seen: an in-memory index (DocIndex) and its persistent form (IndexStore), a local directory
//   meta.json      the MinHash parameters; signatures are comparable only under the same ones
//   entries.jsonl  append-only, one line per kept document: {"id","url_sha1","text_sha1","minhash"}
//                  (minhash: the signature's 32-bit values, little-endian, base64; null for a text without tokens)
//   LOCK           the pid of the process that has the index open; one writer at a time
// Opening loads every entry into memory; commit() appends the entries added since and fsyncs. A crash can leave
// only a partial last line, which was never committed and is cut off at the next open.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DEFAULT_PARAMS, LshIndex, type MinHashParams, type Signature } from './minhash.ts'

export interface IndexEntry {
  id: string
  urlSha1: string | null
  textSha1: string
  signature: Signature | null
}

export const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

/** The exact-duplicate key of a text: whitespace runs collapsed to one space, trimmed, lower-cased. */
export const textSha1 = (text: string): string =>
  sha1(text.replace(/\s{2,}|[^\S ]/g, ' ').trim().toLowerCase()) // = replace(/\s+/g, ' '), but leaves single spaces be: 2x faster

export class DocIndex {
  private readonly ids: string[] = []
  private readonly byId = new Map<string, number>()
  private readonly byUrl = new Map<string, number>()
  private readonly byText = new Map<string, number>()
  private readonly lsh: LshIndex

  constructor(readonly params: MinHashParams) {
    this.lsh = new LshIndex(params.bands, params.rows)
  }

  get size(): number {
    return this.ids.length
  }

  get candidatesChecked(): number {
    return this.lsh.candidatesChecked
  }

  /** Adds an entry; the first entry of a URL or text stays the one that later duplicates point to. */
  add(e: IndexEntry): number {
    const n = this.ids.length
    this.ids.push(e.id)
    if (!this.byId.has(e.id)) this.byId.set(e.id, n)
    if (e.urlSha1 && !this.byUrl.has(e.urlSha1)) this.byUrl.set(e.urlSha1, n)
    if (!this.byText.has(e.textSha1)) this.byText.set(e.textSha1, n)
    if (e.signature) this.lsh.add(n, e.signature)
    return n
  }

  idOf(entry: number): string {
    return this.ids[entry]
  }

  entryOfId(id: string): number | undefined {
    return this.byId.get(id)
  }

  entryOfUrl(urlSha1: string): number | undefined {
    return this.byUrl.get(urlSha1)
  }

  entryOfText(textSha1: string): number | undefined {
    return this.byText.get(textSha1)
  }

  nearest(sig: Signature, threshold: number): { entry: number; similarity: number } | undefined {
    return this.lsh.bestMatch(sig, threshold)
  }
}

const FORMAT = 'dsmath-dedup-index/1'
const PARAM_NAMES = ['shingle', 'bands', 'rows', 'seed'] as const

export class IndexStore {
  private pending: IndexEntry[] = []

  private constructor(readonly dir: string, readonly index: DocIndex, private committed: number) {}

  /** Opens (creating if need be) the index in `dir`; `params` given must match those it was built with. */
  static async open(dir: string, params: Partial<MinHashParams> = {}): Promise<IndexStore> {
    await mkdir(dir, { recursive: true })
    await takeLock(dir)
    try {
      const index = new DocIndex(await loadParams(dir, params))
      await loadEntries(join(dir, 'entries.jsonl'), index)
      return new IndexStore(dir, index, index.size)
    } catch (err) {
      await releaseLock(dir)
      throw err
    }
  }

  /** Entries on disk (the rest of `index` is pending until commit). */
  get committedSize(): number {
    return this.committed
  }

  add(e: IndexEntry): number {
    this.pending.push(e)
    return this.index.add(e)
  }

  /** Appends the pending entries and fsyncs; returns how many. */
  async commit(): Promise<number> {
    if (this.pending.length === 0) return 0
    const body = this.pending.map((e) => JSON.stringify(entryToJson(e)) + '\n').join('')
    const fh = await open(join(this.dir, 'entries.jsonl'), 'a')
    try {
      await fh.writeFile(body)
      await fh.sync()
    } finally {
      await fh.close()
    }
    if (this.committed === 0) await syncDir(this.dir) // the file may be new: make its directory entry durable
    const n = this.pending.length
    this.committed += n
    this.pending = []
    return n
  }

  /** Releases the lock; entries not committed are lost. */
  async close(): Promise<void> {
    await releaseLock(this.dir)
  }
}

async function loadParams(dir: string, requested: Partial<MinHashParams>): Promise<MinHashParams> {
  const metaPath = join(dir, 'meta.json')
  const existing = await readFile(metaPath, 'utf8').catch((err) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (existing === undefined) {
    const params = { ...DEFAULT_PARAMS, ...requested }
    await writeFile(`${metaPath}.tmp`, JSON.stringify({ format: FORMAT, ...params }) + '\n')
    await rename(`${metaPath}.tmp`, metaPath)
    await syncDir(dir)
    return params
  }
  const meta = JSON.parse(existing)
  if (meta.format !== FORMAT) throw new Error(`${metaPath}: not a ${FORMAT} index`)
  const params = Object.fromEntries(PARAM_NAMES.map((k) => [k, meta[k]])) as unknown as MinHashParams
  const conflicts = PARAM_NAMES.filter((k) => requested[k] !== undefined && requested[k] !== params[k])
  if (conflicts.length) {
    const describe = (p: Partial<MinHashParams>): string => conflicts.map((k) => `${k} ${p[k]}`).join(', ')
    throw new Error(`index ${dir} was built with ${describe(params)}; this run asks for ${describe(requested)}`)
  }
  return params
}

/** Streams the committed entries into `index` (a whole-file string would cap the index at V8's string limit). */
async function loadEntries(path: string, index: DocIndex): Promise<void> {
  if (!(await cutPartialLastLine(path))) return
  const length = index.params.bands * index.params.rows
  let lineNumber = 0
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lineNumber++
    if (line === '') continue
    try {
      index.add(entryFromJson(JSON.parse(line), length))
    } catch (err) {
      throw new Error(`${path}: line ${lineNumber} is corrupt (${(err as Error).message})`)
    }
  }
}

/** Truncates the file after its last newline (a partial line is an append cut short); false if there is no file. */
async function cutPartialLastLine(path: string): Promise<boolean> {
  let fh
  try {
    fh = await open(path, 'r+')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
  try {
    const { size } = await fh.stat()
    const chunk = Buffer.alloc(1 << 16)
    let end = size
    while (end > 0) {
      const start = Math.max(0, end - chunk.length)
      const { bytesRead } = await fh.read(chunk, 0, end - start, start)
      const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a)
      if (newline >= 0) {
        end = start + newline + 1
        break
      }
      end = start
    }
    if (end < size) {
      await fh.truncate(end)
      await fh.sync()
    }
    return true
  } finally {
    await fh.close()
  }
}

interface EntryJson { id: string; url_sha1: string | null; text_sha1: string; minhash: string | null }

function entryToJson(e: IndexEntry): EntryJson {
  const minhash = e.signature ? Buffer.from(new Uint8Array(e.signature.buffer, e.signature.byteOffset, e.signature.byteLength)) : null
  if (minhash && !LITTLE_ENDIAN) minhash.swap32()
  return { id: e.id, url_sha1: e.urlSha1, text_sha1: e.textSha1, minhash: minhash?.toString('base64') ?? null }
}

function entryFromJson(j: EntryJson, signatureLength: number): IndexEntry {
  if (typeof j.id !== 'string' || typeof j.text_sha1 !== 'string') throw new Error('no id or text_sha1')
  let signature: Signature | null = null
  if (j.minhash !== null) {
    const bytes = Buffer.from(j.minhash, 'base64')
    if (bytes.length !== signatureLength * 4) throw new Error(`minhash of ${bytes.length / 4} values, expected ${signatureLength}`)
    if (!LITTLE_ENDIAN) bytes.swap32()
    signature = new Int32Array(signatureLength)
    new Uint8Array(signature.buffer).set(bytes)
  }
  return { id: j.id, urlSha1: j.url_sha1 ?? null, textSha1: j.text_sha1, signature }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function takeLock(dir: string): Promise<void> {
  const lock = join(dir, 'LOCK')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' })
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new Error(`index ${dir} is in use by process ${holder} (delete ${lock} if that is wrong)`)
    }
    await rm(lock, { force: true }) // left by a process that died
  }
  throw new Error(`index ${dir}: could not take ${lock}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function releaseLock(dir: string): Promise<void> {
  await rm(join(dir, 'LOCK'), { force: true })
}
