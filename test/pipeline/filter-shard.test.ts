import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyCounters } from '../../src/pipeline/counters.ts'
import { DEFAULT_FILTERS, filterShard } from '../../src/pipeline/filter-shard.ts'
import { scoredShardPath, type ShardInfo } from '../../src/pipeline/shard-job.ts'
import { decodeParquet, encodeParquet } from '../../src/shard/parquet.ts'
import type { ShardRow } from '../../src/shard/schema.ts'
import { writeObject } from '../../src/storage/store.ts'
import { sampleTexts } from '../dedup/sample.ts'

function row(id: string, url: string, text: string, score = 0.9): ShardRow {
  return {
    url, domain: new URL(url).hostname, warc_path: 'x.warc.gz', warc_record_id: id, warc_offset: 0, warc_length: 1,
    fetch_time: null, http_status: 200, charset: 'utf-8', title: '', text, lang: 'en', lang_score: 1, math_score: score,
  }
}

async function scoredShard(out: string, shardId: string, rows: ShardRow[]): Promise<ShardInfo> {
  const path = scoredShardPath(out, shardId)
  const bytes = encodeParquet(rows)
  await writeObject(path, bytes)
  const counters = { ...emptyCounters(), html_pages: rows.length, docs_written: rows.length }
  return { shard_id: shardId, path, warc_path: `${shardId}.warc.gz`, rows: rows.length, bytes: bytes.length, sha256: '', counters }
}

const readJsonl = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))

describe('filterShard', () => {
  const [a, b, c] = sampleTexts()
  const leak = `${c}\nJanet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins.`

  it('drops duplicates across shards (the earlier shard keeps its copy) and contaminated pages, with reports', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsmath-filter-'))
    const first = await scoredShard(out, 's1', [row('a', 'https://x.org/a', a), row('b', 'https://x.org/b', b)])
    const second = await scoredShard(out, 's2', [
      row('a2', 'https://mirror.org/a', a.replace(/\bthe\b/, 'a'), 0.99), row('b2', 'https://X.org/b/#top', 'other text'),
      row('leak', 'https://forum.org/t/1', leak), row('c', 'https://x.org/c', c),
    ])
    const one = await filterShard(first, out, DEFAULT_FILTERS)
    const two = await filterShard(second, out, DEFAULT_FILTERS)
    expect(one.rows).toBe(2)
    expect(decodeParquet(await readFile(two.path)).map((r) => r.warc_record_id)).toEqual(['c'])
    expect(two.counters.dropped).toEqual({ dedup_near: 1, dedup_url: 1, decontam: 1 })
    expect(two.counters.docs_written).toBe(1)
    expect((await readJsonl(join(out, 'reports/s2.dedup.jsonl'))).map((d) => [d.id, d.reason, d.duplicate_of]))
      .toEqual(expect.arrayContaining([['a2', 'near', 'a'], ['b2', 'url', 'b']]))
    expect(await readJsonl(join(out, 'reports/s2.decontam.jsonl'))).toMatchObject([{ id: 'leak', match: 'ngram10' }])

    const again = await filterShard(second, out, DEFAULT_FILTERS)
    expect(again.sha256).toBe(two.sha256)
  })

  it('passes every row through with both filters off', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsmath-filter-off-'))
    const scored = await scoredShard(out, 's1', [row('a', 'https://x.org/a', a), row('a-copy', 'https://x.org/a', a), row('leak', 'https://f.org/', leak)])
    const info = await filterShard(scored, out, { dedup: false, decontam: false })
    expect(decodeParquet(await readFile(info.path)).map((r) => r.warc_record_id)).toEqual(['a', 'a-copy', 'leak'])
    expect(info.counters.dropped).toEqual({})
  })
})
