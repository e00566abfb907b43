// Documents in and out of the stand-alone stages (dedup, decontam, score): JSON lines (optionally gzipped)
// or Parquet shards with the schema of schemas/shard.columns.json. JSON lines keep every field they had.
import { constants, gunzipSync, gzipSync } from 'node:zlib'
import { decodeParquet, encodeParquet } from '../shard/parquet.ts'
import type { ShardRow } from '../shard/schema.ts'
import { readAll, writeObject } from '../storage/store.ts'

export type Doc = Record<string, unknown> & { id?: unknown; url?: string; text: string; math_score?: number }

const isParquet = (path: string): boolean => /\.parquet$/i.test(path)

export interface ReadDocsOptions {
  /** Called for each unreadable line (skipped) or a gzip stream cut short (its readable part kept); without
   * it, the first such problem throws. Messages name the file and line. */
  onBad?: (message: string) => void
}

export async function readDocs(path: string, opts: ReadDocsOptions = {}): Promise<Doc[]> {
  const raw = await readAll(path)
  if (isParquet(path)) {
    try {
      return decodeParquet(raw) as unknown as Doc[]
    } catch (err) {
      throw new Error(`${path}: not a readable Parquet file (${(err as Error).message})`)
    }
  }
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipDocs(path, raw, opts) : raw).toString('utf8')
  const docs: Doc[] = []
  const problem = (message: string): void => {
    if (!opts.onBad) throw new Error(message)
    opts.onBad(message)
  }
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let d: Doc
    try {
      d = JSON.parse(line)
    } catch {
      return problem(`${path}: line ${i + 1} is not JSON`)
    }
    if (typeof d !== 'object' || d === null || typeof d.text !== 'string') return problem(`${path}: line ${i + 1} has no "text" string`)
    docs.push(d)
  })
  return docs
}

function gunzipDocs(path: string, raw: Buffer, opts: ReadDocsOptions): Buffer {
  try {
    return gunzipSync(raw)
  } catch (err) {
    const why = (err as Error).message
    if (!opts.onBad) throw new Error(`${path}: not a readable gzip file (${why})`)
    let salvaged: Buffer
    try {
      salvaged = gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH })
    } catch {
      throw new Error(`${path}: not a readable gzip file (${why})`)
    }
    opts.onBad(`${path}: the gzip stream is cut short or damaged (${why}); kept the ${salvaged.length} bytes before it`)
    return salvaged
  }
}

const ROW_DEFAULTS: ShardRow = {
  url: '', domain: '', warc_path: '', warc_record_id: '', warc_offset: 0, warc_length: 0, fetch_time: null,
  http_status: 0, charset: '', title: '', text: '', lang: '', lang_score: 0, math_score: 0,
}

export async function writeDocs(path: string, docs: Doc[]): Promise<void> {
  if (isParquet(path)) {
    const rows = docs.map((d) => {
      const row = { ...ROW_DEFAULTS } as Record<string, unknown>
      for (const k of Object.keys(ROW_DEFAULTS)) if (d[k] !== undefined) row[k] = d[k]
      if (!row.warc_record_id && d.id !== undefined) row.warc_record_id = String(d.id)
      return row as unknown as ShardRow
    })
    await writeObject(path, encodeParquet(rows))
    return
  }
  const body = docs.map((d) => JSON.stringify(d)).join('\n') + (docs.length ? '\n' : '')
  await writeObject(path, /\.gz$/i.test(path) ? gzipSync(body) : body)
}

/** A document's stable id: its `id` field, else its record id, else its URL (the first that is not empty), else
 * its position. */
export function docId(d: Doc, index: number): string {
  return String(ownId(d) ?? index)
}

/** The id a document carries itself, if any: `id`, record id or URL, empty strings not counted (Parquet written
 * from documents without ids holds warc_record_id ""). */
export function ownId(d: Doc): unknown {
  return [d.id, d.warc_record_id, d.url].find((v) => v !== undefined && v !== null && v !== '')
}
