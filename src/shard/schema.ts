import { readFileSync } from 'node:fs'
import { Field, Float64, Int32, Int64, Schema, TimestampMillisecond, Utf8, type DataType } from 'apache-arrow'

/** One corpus row; the column list and order come from schemas/shard.columns.json. */
export interface ShardRow {
  url: string
  domain: string
  warc_path: string
  warc_record_id: string
  warc_offset: number
  warc_length: number
  fetch_time: number | null
  http_status: number
  charset: string
  title: string
  text: string
  lang: string
  lang_score: number
  math_score: number
}

interface ColumnSpec { name: keyof ShardRow; type: 'string' | 'int64' | 'int32' | 'float64' | 'timestamp_ms'; doc: string }

const SPEC: { version: number; columns: ColumnSpec[] } = JSON.parse(
  readFileSync(new URL('../../schemas/shard.columns.json', import.meta.url), 'utf8'),
)
export const SHARD_COLUMNS = SPEC.columns
export const SHARD_SCHEMA_VERSION = SPEC.version

export function arrowType(type: ColumnSpec['type']): DataType {
  switch (type) {
    case 'string': return new Utf8()
    case 'int64': return new Int64()
    case 'int32': return new Int32()
    case 'float64': return new Float64()
    case 'timestamp_ms': return new TimestampMillisecond('UTC')
  }
}

export const SHARD_SCHEMA = new Schema(SHARD_COLUMNS.map((c) => new Field(c.name, arrowType(c.type), c.type === 'timestamp_ms')))
