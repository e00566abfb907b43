import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeParquet } from '../src/shard/parquet.ts'
import type { ShardRow } from '../src/shard/schema.ts'
import { FIXTURES, runCli } from './helpers.ts'

const ROW: ShardRow = {
  url: '', domain: '', warc_path: 'w.warc.gz', warc_record_id: '<urn:uuid:1>', warc_offset: 0, warc_length: 1, fetch_time: null,
  http_status: 200, charset: 'utf-8', title: '', text: '', lang: 'en', lang_score: 1, math_score: 0,
}

describe('dsmath CLI errors', () => {
  it('rejects an unknown flag with one line and exit 2', async () => {
    const r = await runCli(['corpus', 'run', '--inptu', 'x', '--out', 'y'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--inptu/)
  })

  it('names a missing input file', async () => {
    const r = await runCli(['corpus', 'run', '--input', '/no/such/file.warc.gz', '--out', '/tmp/x'])
    expect(r.code).not.toBe(0)
    expect(r.stderr.trim()).toBe('dsmath corpus run: --input /no/such/file.warc.gz: no such file or directory')
  })

  it('rejects --languages that are not lid.176 codes instead of dropping every page', async () => {
    const r = await runCli(['corpus', 'run', '--input', `${FIXTURES}/warc/cc.warc.gz`, '--out', '/tmp/x', '--languages', 'en,english'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("dsmath corpus run: --languages: 'english' is not a lid.176 code (codes such as en, zh, de, fr; or 'all')")
    expect((await runCli(['corpus', 'run', '--input', `${FIXTURES}/warc/cc.warc.gz`, '--out', '/tmp/x', '--languages', ''])).code).toBe(2)
  })

  it('names an unreachable Temporal server', async () => {
    const r = await runCli(['corpus', 'submit', '--input', `${FIXTURES}/warc/cc.warc.gz`, '--out', '/tmp/x', '--model', 'none.bin'], { DSMATH_TEMPORAL_ADDRESS: '127.0.0.1:1' })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/Temporal at 127\.0\.0\.1:1 is unreachable/)
  })

  it('extract --jsonl keeps ids and math', async () => {
    const r = await runCli(['extract', '--jsonl'], {}, '{"id":"a","html":"<p>x is <script type=\\"math/tex\\">x^2</script></p>"}\nnot json\n')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim())).toEqual({ id: 'a', text: 'x is $x^2$' })
    expect(r.stderr).toMatch(/line 2 is not JSON/)
  })

  it('extract decodes a page by its <meta charset>', async () => {
    const gbk = Buffer.concat([Buffer.from('<html><head><meta charset="gbk"></head><body><p>'), Buffer.from([0xca, 0xfd, 0xd1, 0xa7]), Buffer.from(' math</p></body></html>')])
    const r = await runCli(['extract'], {}, gbk.toString('latin1'), 'latin1')
    expect(r.stdout.trim()).toBe('数学 math')
  })

  it('extract --jsonl skips, and names, lines that are not objects with an html string', async () => {
    const r = await runCli(['extract', '--jsonl'], {}, 'null\n{"id":"n","html":5}\n[1]\n{"id":"ok","html":"<p>kept</p>"}\n')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ id: 'ok', text: 'kept' }])
    for (const n of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`line ${n} is not an object with an "html" string`))
    expect(r.stderr).toMatch(/3 of 4 lines skipped/)
  })

  it('shards stats leaves out, names and counts a shard it cannot read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-stats-'))
    await writeFile(join(dir, 'good.parquet'), encodeParquet([{ ...ROW, url: 'https://a.org/x', domain: 'a.org', text: 'one two', math_score: 0.9 }]))
    await writeFile(join(dir, 'bad.parquet'), 'not parquet')
    const r = await runCli(['shards', 'stats', dir, '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ shards: 1, rows: 1 })
    expect(r.stderr).toMatch(new RegExp(`${join(dir, 'bad.parquet')}: not a readable Parquet shard`))
    expect(r.stderr).toMatch(/1 of 2 shards could not be read/)
  })

  it('warc ls prints one JSON line per record with offsets', async () => {
    const r = await runCli(['warc', 'ls', `${FIXTURES}/warc/example.warc.gz`])
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.type)).toEqual(['warcinfo', 'warcinfo', 'response', 'request', 'revisit', 'request'])
    expect(lines[2].offset).toBeGreaterThan(0)
  })
})
