// A realistic labelled crawl from real pages (sample/crawl/pages.jsonl.gz): many domains with real-looking
// URL paths, math grouped under paths of mixed domains, written as gzip WARCs with request, response and
// metadata records, plus labels.tsv (url TAB math|other) and review-rules.yaml (the true math paths).
// Deterministic for a seed.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { shuffle } from '../fasttext/seed.ts'
import { gzipRecord, httpResponseBlock } from '../warc/writer.ts'

const PAGES = fileURLToPath(new URL('../../sample/crawl/pages.jsonl.gz', import.meta.url))

interface SourcePage { group: string; label: 'math' | 'other'; title: string; html: string }
export interface CrawlPage { url: string; label: 'math' | 'other'; html: string }

const slug = (s: string, i: number): string =>
  (s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 50) || 'page') + (i >= 0 ? `-${i}` : '')

/** Where each group of pages lives: host and path, some domains mixing math and other sections. */
function placeFor(group: string, title: string, i: number, pick: () => number): string {
  switch (group) {
    case 'planetmath-nt': return `https://planetmath.org/${slug(title, -1)}`
    case 'planetmath-edu': return `https://www.state-university.edu/math/courses/${slug(title, i)}`
    case 'mo-physics': return `https://mathoverflow.net/questions/${30000 + i * 37}/${slug(title, -1)}`
    case 'gsm8k-forum': return `https://forum.homework-help.com/boards/math/thread-${5000 + i}`
    case 'news': {
      const sites = ['https://www.state-university.edu/news/2024', 'https://dailyherald-news.com/world', 'https://www.citytimes.org/politics', 'https://forum.homework-help.com/boards/cars']
      return `${sites[Math.floor(pick() * sites.length)]}/${slug(title, i)}`
    }
    default: {
      const blogs = ['https://travel-notes.blogspot.com/2023/05', 'https://gardening-weekly.net/posts', 'https://forum.homework-help.com/boards/travel', 'https://shop-review.com/blog']
      return `${blogs[Math.floor(pick() * blogs.length)]}/${slug(title, i)}`
    }
  }
}

export const SAMPLE_REVIEW_RULES = [
  'planetmath.org/',
  'mathoverflow.net/questions/',
  'www.state-university.edu/math/',
  'forum.homework-help.com/boards/math/',
]

export function samplePages(seed: number, limit?: number): CrawlPage[] {
  const source: SourcePage[] = gunzipSync(readFileSync(PAGES)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  let s = seed >>> 0 || 1
  const pick = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 }
  const counters = new Map<string, number>()
  const pages = source.map((p) => {
    const i = counters.get(p.group) ?? 0
    counters.set(p.group, i + 1)
    return { url: placeFor(p.group, p.title, i, pick), label: p.label, html: p.html }
  })
  const chosen = shuffle(pages, seed)
  return limit ? chosen.slice(0, limit) : chosen
}

/** A UUID-shaped name derived from `key`, so the same seed writes the same bytes. */
function uuidFrom(key: string): string {
  const h = createHash('sha1').update(key).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export async function writeSampleCrawl(outDir: string, seed = 1, limit?: number, perWarc = 100): Promise<{ pages: number; warcs: string[] }> {
  const pages = samplePages(seed, limit)
  await mkdir(join(outDir, 'warc'), { recursive: true })
  const warcs: string[] = []
  for (let w = 0; w * perWarc < pages.length; w++) {
    const members: Buffer[] = []
    pages.slice(w * perWarc, (w + 1) * perWarc).forEach((p, k) => {
      const date = new Date(Date.UTC(2024, 4, 1 + w, 0, 0, k)).toISOString().replace(/\.\d+Z$/, 'Z')
      const u = new URL(p.url)
      const recordId = (type: string): string => `<urn:uuid:${uuidFrom(`${seed}/${type}/${p.url}`)}>`
      members.push(gzipRecord({ type: 'request', recordId: recordId('request'), targetUri: p.url, date, contentType: 'application/http; msgtype=request', block: `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: dsmath-sample-crawl\r\n\r\n` }))
      members.push(gzipRecord({ type: 'response', recordId: recordId('response'), targetUri: p.url, date, contentType: 'application/http; msgtype=response', block: httpResponseBlock(p.html) }))
      members.push(gzipRecord({ type: 'metadata', recordId: recordId('metadata'), targetUri: p.url, date, contentType: 'application/warc-fields', block: `fetchTimeMs: ${50 + (k % 400)}\r\n` }))
    })
    const path = join(outDir, 'warc', `sample-crawl-${String(w).padStart(5, '0')}.warc.gz`)
    await writeFile(path, Buffer.concat(members))
    warcs.push(path)
  }
  await writeFile(join(outDir, 'labels.tsv'), pages.map((p) => `${p.url}\t${p.label}`).join('\n') + '\n')
  await writeFile(join(outDir, 'review-rules.yaml'), `# The crawl's true math URL paths (host plus path prefix), standing in for a reviewer.\nmath:\n${SAMPLE_REVIEW_RULES.map((r) => `  - ${r}`).join('\n')}\n`)
  return { pages: pages.length, warcs }
}
