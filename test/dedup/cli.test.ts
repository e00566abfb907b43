import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers.ts'
import { sampleDocs } from './sample.ts'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'dsmath-dedup-cli-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('')
const readJsonl = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))

describe('dsmath dedup', () => {
  const [a, b, c] = sampleDocs().slice(0, 3)
  const shard1 = [
    { id: 'a', url: 'https://example.org/a', text: a.text, math_score: 0.4, source: 'kept field' },
    { id: 'a-copy', text: a.text.toUpperCase(), math_score: 0.9 },
    { id: 'b', url: 'https://example.org/b', text: b.text, math_score: 0.7 },
  ]
  const shard2 = [
    { id: 'b-link', url: 'https://Example.org/b/?utm_source=x#top', text: 'the page has changed since', math_score: 1 },
    { id: 'c', text: c.text },
  ]

  it('writes kept documents, a report and an index, and prints a summary', async () => {
    await writeFile(join(dir, 'shard1.jsonl'), jsonl(shard1))
    const r = await runCli(['dedup', '--input', join(dir, 'shard1.jsonl'), '--out', join(dir, 'out1.jsonl'), '--index', join(dir, 'index'), '--report', join(dir, 'report1.jsonl')])
    expect(r.stderr).toBe(`dedup: 3 documents, kept 2 -> ${join(dir, 'out1.jsonl')}; dropped 0 url, 1 exact, 0 near (index: 2 entries)\n`)
    expect(r.code).toBe(0)
    expect(await readJsonl(join(dir, 'out1.jsonl'))).toEqual([shard1[1], shard1[2]])
    expect(await readJsonl(join(dir, 'report1.jsonl'))).toEqual([{ id: 'a', reason: 'exact', duplicate_of: 'a-copy' }])
  })

  it('uses the index of the first shard for the second, and prints JSON statistics with --json', async () => {
    await writeFile(join(dir, 'shard2.jsonl'), jsonl(shard2))
    const r = await runCli(['dedup', '--input', join(dir, 'shard2.jsonl'), '--out', join(dir, 'out2.jsonl'), '--index', join(dir, 'index'), '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ docs: 2, kept: 1, dropped: { url: 1, exact: 0, near: 0 }, index_entries: 3 })
    expect((await readJsonl(join(dir, 'out2.jsonl'))).map((d) => d.id)).toEqual(['c'])
  })

  it('explains bad flags and has --help', async () => {
    const bad = await runCli(['dedup', '--input', 'x.jsonl', '--out', 'y.jsonl', '--threshold', '1.5'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--threshold must be a number in \(0, 1\]/)
    expect((await runCli(['dedup', '--out', 'y.jsonl'])).stderr).toMatch(/missing required flag --input/)
    const help = await runCli(['dedup', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^dsmath dedup --input F --out F/)
  })
})
