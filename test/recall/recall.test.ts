import { createHash } from 'node:crypto'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeSampleCrawl } from '../../src/recall/sample-crawl.ts'
import { readWarc } from '../../src/warc/reader.ts'
import { isBad, recordType } from '../../src/warc/record.ts'
import { readStream } from '../../src/storage/store.ts'
import { runCli } from '../helpers.ts'

let crawl: string
beforeAll(async () => {
  crawl = await mkdtemp(join(tmpdir(), 'dsmath-crawl-'))
  await writeSampleCrawl(crawl, 1)
})

describe('dsmath sample-crawl', () => {
  it('writes WARCs with request, response and metadata records, labels and review rules, the same for a seed', async () => {
    const again = await mkdtemp(join(tmpdir(), 'dsmath-crawl-again-'))
    const r = await runCli(['sample-crawl', '--out', again, '--seed', '1'])
    expect(r.code).toBe(0)
    const warc = 'warc/sample-crawl-00000.warc.gz'
    const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')
    expect(await sha(join(again, warc))).toBe(await sha(join(crawl, warc)))
    const types = new Map<string, number>()
    for await (const rec of readWarc(readStream(join(crawl, warc)))) {
      const type = isBad(rec) ? `bad:${rec.bad}` : recordType(rec)
      types.set(type, (types.get(type) ?? 0) + 1)
    }
    expect(Object.fromEntries(types)).toEqual({ request: 100, response: 100, metadata: 100 })

    const labels = (await readFile(join(crawl, 'labels.tsv'), 'utf8')).trim().split('\n').map((l) => l.split('\t'))
    const hosts = new Set(labels.map(([u]) => new URL(u).hostname))
    expect(hosts.size).toBeGreaterThanOrEqual(8)
    const university = labels.filter(([u]) => u.includes('state-university.edu'))
    expect(new Set(university.map(([, l]) => l))).toEqual(new Set(['math', 'other'])) // a domain with both
    expect(await readFile(join(crawl, 'review-rules.yaml'), 'utf8')).toMatch(/^math:\n(  - \S+\/\S*\n)+$/m)

    const other = await mkdtemp(join(tmpdir(), 'dsmath-crawl-seed2-'))
    await runCli(['sample-crawl', '--out', other, '--seed', '2', '--pages', '50'])
    expect((await readFile(join(other, 'labels.tsv'), 'utf8')).trim().split('\n')).toHaveLength(50)
  })
})

describe('dsmath recall run on the sample crawl, rules standing in for the reviewer', () => {
  it('converges in >= 2 iterations with recall rising to >= 0.95 at precision >= 0.9', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsmath-recall-'))
    const r = await runCli(['recall', 'run', '--input', join(crawl, 'warc'), '--out', out, '--labels', join(crawl, 'labels.tsv'),
      '--review-rules', join(crawl, 'review-rules.yaml'), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout)
    const its = summary.iterations as { recall: number; precision: number; overlap_with_previous: number | null; domains_to_review: string[] }[]
    expect(its.length).toBeGreaterThanOrEqual(2)
    expect(summary.converged).toBe(true)
    expect(its.at(-1)!.overlap_with_previous).toBeGreaterThanOrEqual(0.98)
    expect(its.flatMap((it) => it.domains_to_review)).toContain('forum.homework-help.com')
    expect(its.at(-1)!.recall).toBeGreaterThan(its[0].recall)
    expect(its.at(-1)!.recall).toBeGreaterThanOrEqual(0.95)
    expect(its.at(-1)!.precision).toBeGreaterThanOrEqual(0.9)
    const html = await readFile(join(out, 'report.html'), 'utf8')
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(8)
    expect(html).toContain('top domains by pages collected')
  }, 120_000)

  it('names a missing rules file', async () => {
    const r = await runCli(['recall', 'run', '--input', join(crawl, 'warc'), '--out', crawl, '--review-rules', join(crawl, 'nope.yaml')])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/nope\.yaml/)
  })
})
