// Parquet shards (zstd) through parquet-wasm (Rust arrow-rs compiled to WebAssembly) and apache-arrow.
import { RecordBatch, Table, makeData, makeVector, tableFromIPC, tableToIPC, vectorFromArray, Struct, type Vector } from 'apache-arrow'
import { Compression, Table as WasmTable, WriterPropertiesBuilder, readParquet, writeParquet } from 'parquet-wasm/node'
import { SHARD_COLUMNS, SHARD_SCHEMA, arrowType, type ShardRow } from './schema.ts'

function rowsToTable(rows: ShardRow[]): Table {
  const children = SHARD_COLUMNS.map((c) => {
    const values = rows.map((r) => r[c.name])
    if (c.type === 'int64') return makeVector(BigInt64Array.from(values as number[], (v) => BigInt(v)))
    return vectorFromArray(values, arrowType(c.type)) as Vector
  })
  const data = makeData({ type: new Struct(SHARD_SCHEMA.fields), length: rows.length, nullCount: 0, children: children.map((v) => v.data[0]) })
  return new Table(SHARD_SCHEMA, new RecordBatch(SHARD_SCHEMA, data))
}

export function encodeParquet(rows: ShardRow[], rowGroupSize = 10_000): Uint8Array {
  const ipc = tableToIPC(rowsToTable(rows), 'stream')
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(rowGroupSize)
    .setCreatedBy('dsmath')
    .build()
  return writeParquet(WasmTable.fromIPCStream(ipc), props)
}

export function decodeParquet(bytes: Uint8Array): ShardRow[] {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream())
  return table.toArray().map((r) => {
    const o = r.toJSON() as Record<string, unknown>
    for (const k of ['warc_offset', 'warc_length'] as const) o[k] = Number(o[k])
    if (o.fetch_time instanceof Date) o.fetch_time = o.fetch_time.getTime()
    else if (typeof o.fetch_time === 'bigint') o.fetch_time = Number(o.fetch_time)
    return o as unknown as ShardRow
  })
}

/** Row count, reading one small column. */
export function parquetRowCount(bytes: Uint8Array): number {
  const table = readParquet(bytes, { columns: ['warc_offset'] })
  try {
    return table.recordBatches().reduce((n, b) => n + b.numRows, 0)
  } finally {
    table.free()
  }
}
