import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dedupDocs } from '../../src/dedup/dedup.ts'
import { IndexStore } from '../../src/dedup/index-store.ts'
import { DEFAULT_PARAMS } from '../../src/dedup/minhash.ts'
import type { Doc } from '../../src/pipeline/docio.ts'
import { sampleDocs } from './sample.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'dsmath-dedup-index-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const [first, second, third] = sampleDocs().slice(0, 3).map((d) => d.text)
const edited = (text: string): string => text.replace(/\b(the|of|a)\b/, 'zzz')

async function run(docs: Doc[], commit = true): Promise<ReturnType<typeof dedupDocs>> {
  const store = await IndexStore.open(dir)
  try {
    const result = dedupDocs(docs, { store })
    if (commit) await store.commit()
    return result
  } finally {
    await store.close()
  }
}

describe('persistent index', () => {
  it('catches duplicates of an earlier run, which wins whatever the scores', async () => {
    await run([{ id: 'a', url: 'https://example.org/a', text: first, math_score: 0.1 }, { id: 'b', text: second }])
    const { kept, dropped } = await run([
      { id: 'near-a', text: edited(first), math_score: 0.99 },
      { id: 'url-a', url: 'https://EXAMPLE.org/a/?utm_medium=rss', text: 'updated page', math_score: 0.99 },
      { id: 'copy-b', text: `${second}\n`, math_score: 0.99 },
      { id: 'c', text: third },
    ])
    expect(kept.map((d) => d.id)).toEqual(['c'])
    expect(dropped.map(({ similarity, ...d }) => d)).toEqual([
      { id: 'near-a', reason: 'near', duplicate_of: 'a' },
      { id: 'url-a', reason: 'url', duplicate_of: 'a' },
      { id: 'copy-b', reason: 'exact', duplicate_of: 'b' },
    ])
    const store = await IndexStore.open(dir)
    expect(store.committedSize).toBe(3)
    await store.close()
  })

  it('gives the same output when a run is repeated (its own documents are already indexed)', async () => {
    const docs: Doc[] = [{ id: 'a', text: first }, { id: 'a2', text: first }, { id: 'b', text: second }]
    const once = await run(docs)
    const twice = await run(docs)
    expect(twice.kept).toEqual(once.kept)
    expect(twice.dropped).toEqual(once.dropped)
    expect(twice.stats.already_indexed).toBe(2)
    expect((await readFile(join(dir, 'entries.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2)
  })

  it('does not take an empty id, or an id whose indexed text differs, for the same document', async () => {
    await run([{ warc_record_id: '', text: first }, { warc_record_id: '', text: second }])
    const emptyIds = await run([{ warc_record_id: '', text: first }, { warc_record_id: '', text: second }])
    expect(emptyIds.stats.already_indexed).toBe(0)
    expect(emptyIds.kept).toEqual([])
  })

  it('keeps one of two crawls of a URL (the URL their only id) on every run of the same input', async () => {
    const crawls: Doc[] = [{ url: 'https://example.org/p', text: first }, { url: 'https://example.org/p', text: third }]
    const once = await run(crawls)
    expect(once.kept.map((d) => d.text)).toEqual([first])
    const twice = await run(crawls)
    expect(twice.kept).toEqual(once.kept)
    expect(twice.dropped).toEqual(once.dropped)
  })

  it('does not treat positional ids as the same document across runs', async () => {
    await run([{ text: first }])
    expect((await run([{ text: first }])).dropped).toEqual([{ id: '0', reason: 'exact', duplicate_of: '0' }])
  })

  it('shares one index between batches of one process, and keeps nothing uncommitted', async () => {
    const store = await IndexStore.open(dir)
    dedupDocs([{ id: 'a', text: first }], { store })
    expect(dedupDocs([{ id: 'a-copy', text: first }], { store }).kept).toEqual([])
    await store.close()
    expect((await run([{ id: 'a-copy', text: first }])).kept).toHaveLength(1)
  })

  it('round-trips signatures, so near-duplicates are found after reloading', async () => {
    await run([{ id: 'a', text: first }])
    const raw = JSON.parse((await readFile(join(dir, 'entries.jsonl'), 'utf8')).trim())
    expect(Object.keys(raw)).toEqual(['id', 'url_sha1', 'text_sha1', 'minhash'])
    expect(Buffer.from(raw.minhash, 'base64')).toHaveLength(4 * DEFAULT_PARAMS.bands * DEFAULT_PARAMS.rows)
    expect((await run([{ id: 'b', text: edited(first) }])).stats.dropped.near).toBe(1)
  })

  it('cuts off a partial last line left by a crash', async () => {
    await run([{ id: 'a', text: first }])
    await appendFile(join(dir, 'entries.jsonl'), '{"id":"half-writ')
    expect((await run([{ id: 'b', text: second }])).kept).toHaveLength(1)
    const lines = (await readFile(join(dir, 'entries.jsonl'), 'utf8')).split('\n')
    expect(lines.filter(Boolean).map((l) => JSON.parse(l).id)).toEqual(['a', 'b'])
  })

  it('refuses a corrupt line', async () => {
    await run([{ id: 'a', text: first }])
    await appendFile(join(dir, 'entries.jsonl'), 'not json\n')
    await expect(IndexStore.open(dir)).rejects.toThrow(/entries\.jsonl: line 2 is corrupt/)
  })

  it('keeps its MinHash parameters and refuses others', async () => {
    const store = await IndexStore.open(dir, { bands: 20, rows: 5 })
    await store.close()
    const again = await IndexStore.open(dir)
    expect(again.index.params).toMatchObject({ bands: 20, rows: 5, shingle: 5 })
    expect(() => dedupDocs([{ text: first }], { store: again, params: { bands: 64 } })).toThrow(/uses bands 20, not 64/)
    await again.close()
    await expect(IndexStore.open(dir, { bands: 64 })).rejects.toThrow(/was built with bands 20; this run asks for bands 64/)
  })

  it('has one writer at a time, and takes over the lock of a dead process', async () => {
    const store = await IndexStore.open(dir)
    await expect(IndexStore.open(dir)).rejects.toThrow(new RegExp(`in use by process ${process.pid}`))
    await store.close()
    await writeFile(join(dir, 'LOCK'), '999999999')
    const again = await IndexStore.open(dir)
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid))
    await again.close()
  })
})
