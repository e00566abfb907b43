// Documents in and out of the stand-alone stages (dedup, decontam, score): JSON lines (optionally gzipped)
// or Parquet shards with the schema of schemas/shard.columns.json. JSON lines keep every field they had.
import { gunzipSync, gzipSync } from 'node:zlib'
import { decodeParquet, encodeParquet } from '../shard/parquet.ts'
import type { ShardRow } from '../shard/schema.ts'
import { readAll, writeObject } from '../storage/store.ts'

export type Doc = Record<string, unknown> & { id?: unknown; url?: string; text: string; math_score?: number }

const isParquet = (path: string): boolean => /\.parquet$/i.test(path)

export async function readDocs(path: string): Promise<Doc[]> {
  const raw = await readAll(path)
  if (isParquet(path)) return decodeParquet(raw) as unknown as Doc[]
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')
  const docs: Doc[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let d: Doc
    try {
      d = JSON.parse(line)
    } catch {
      throw new Error(`${path}: line ${i + 1} is not JSON`)
    }
    if (typeof d.text !== 'string') throw new Error(`${path}: line ${i + 1} has no "text" string`)
    docs.push(d)
  })
  return docs
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

/** A document's stable id: its `id` field, else its record id, else its URL, else its position. */
export function docId(d: Doc, index: number): string {
  return String(d.id ?? d.warc_record_id ?? d.url ?? index)
}
