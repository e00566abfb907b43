import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeParquet } from '../../src/shard/parquet.ts'
import type { ShardRow } from '../../src/shard/schema.ts'
import { runCli, runPython } from '../helpers.ts'

const row = (i: number, domain: string, score: number): ShardRow => ({
  url: `https://${domain}/${i}`, domain, warc_path: 'w', warc_record_id: `<urn:${i}>`, warc_offset: i, warc_length: 1,
  fetch_time: Date.UTC(2024, 0, 1), http_status: 200, charset: 'utf-8', title: '', text: 'one two three', lang: 'en', lang_score: 1, math_score: score,
})

describe('dsmath shards stats', () => {
  it('counts rows, words, the score histogram and top domains, and plots the histogram', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-stats-'))
    await writeFile(join(dir, 'a.parquet'), encodeParquet([row(1, 'math.org', 0.95), row(2, 'math.org', 0.91), row(3, 'news.com', 0.05)]))
    await writeFile(join(dir, 'b.parquet'), encodeParquet([row(4, 'math.org', 0.55)]))
    const r = await runCli(['shards', 'stats', dir, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.rows).toBe(4)
    expect(s.words).toBe(12)
    expect(s.score_histogram.map((h: { count: number }) => h.count)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 2])
    expect(s.top_domains[0]).toMatchObject({ domain: 'math.org', rows: 3 })
    expect(await readFile(s.plot, 'utf8')).toMatch(/^<svg[\s\S]*<rect[\s\S]*<\/svg>\n$/)
  })

  it('writes zstd shards that pyarrow reads with the declared types', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-pa-'))
    const path = join(dir, 's.parquet')
    await writeFile(path, encodeParquet([row(1, 'a.org', 0.5)]))
    const py = await runPython(`
import sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
print(f.metadata.num_rows, f.metadata.row_group(0).column(0).compression, f.schema_arrow.field('fetch_time').type, f.schema_arrow.field('warc_offset').type)
`, [path])
    expect(py.stdout.trim()).toBe('1 ZSTD timestamp[ms, tz=UTC] int64')
  })
})
