// Builds the sample data kept in the repo (sample/) from ../shared/data. Run once by a developer:
//   npx tsx scripts/build-sample-data.ts ../shared/data
// Outputs: sample/seed/{positives,negatives}.jsonl.gz (classifier seed) and sample/warc/math-pages.warc.gz.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import { join, basename } from 'node:path'
import { extractText } from '../src/extract/html.ts'
import { gzipRecord, httpResponseBlock } from '../src/warc/writer.ts'

const data = process.argv[2] ?? '../shared/data'
const jsonl = (p: string): Record<string, unknown>[] =>
  (p.endsWith('.gz') ? gunzipSync(readFileSync(p)).toString() : readFileSync(p, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))

// Positives: PlanetMath combinatorics (LaTeX source) and Stack Exchange threads (text with $TeX$).
const positives: { id: string; source: string; text: string }[] = []
for (const r of jsonl(join(data, 'math-text/planetmath/05_Combinatorics.tex.jsonl'))) {
  const body = String(r.text).replace(/^[\s\S]*?\\begin\{document\}/, '').replace(/\\end\{document\}[\s\S]*$/, '')
  positives.push({ id: String(r.id), source: 'planetmath/05_Combinatorics', text: `${r.title}\n${body.trim()}` })
}
for (const f of ['math.stackexchange.com__category-theory.jsonl', 'mathoverflow.net__category-theory.jsonl']) {
  for (const r of jsonl(join(data, 'math-text/stackexchange', f))) {
    const q = r.question as { title: string; body_html: string; url: string }
    const answers = ((r.answers ?? []) as { body_html: string }[]).map((a) => extractText(a.body_html).text)
    positives.push({ id: q.url, source: `stackexchange/${f}`, text: [q.title, extractText(q.body_html).text, ...answers].join('\n\n') })
  }
}

// Negatives: Common Crawl derived text (CCNet, C4) and the Readability test articles (news, blogs).
const negatives: { id: string; source: string; text: string }[] = []
for (const f of readdirSync(join(data, 'web-text/common-crawl'))) {
  for (const r of jsonl(join(data, 'web-text/common-crawl', f))) {
    negatives.push({ id: String(r.id ?? r.url), source: `web-text/${f}`, text: String(r.text) })
  }
}
const readability = join(data, 'html/readability')
for (const d of readdirSync(readability).sort()) {
  const p = join(readability, d, 'expected.html')
  if (!existsSync(p) || ['mathjax', 'quanta-1', 'wikipedia-3'].includes(d)) continue // these carry math
  const text = extractText(readFileSync(p, 'utf8')).text
  if (text.length > 200) negatives.push({ id: d, source: 'html/readability', text })
}

mkdirSync('sample/seed', { recursive: true })
const dump = (rows: object[]): Buffer => gzipSync(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', { level: 9 })
writeFileSync('sample/seed/positives.jsonl.gz', dump(positives))
writeFileSync('sample/seed/negatives.jsonl.gz', dump(negatives))

// A WARC of real math pages (PlanetMath entries rendered by LaTeXML, MathML with TeX alttext), with the
// URLs PlanetMath serves them under; number theory and education, not the combinatorics seed above.
mkdirSync('sample/warc', { recursive: true })
const members: Buffer[] = [gzipRecord({ type: 'warcinfo', date: '2026-11-28T00:00:00Z', contentType: 'application/warc-fields', block: 'software: dsmath scripts/build-sample-data.ts\r\nformat: WARC File Format 1.1\r\n' })]
let n = 0
for (const sub of ['97_Mathematics_education', '11_Number_theory']) {
  const dir = join(data, 'math-text/planetmath/html', sub)
  for (const f of readdirSync(dir).sort().slice(0, 20)) {
    const html = readFileSync(join(dir, f), 'utf8')
    const url = `https://planetmath.org/${basename(f, '.html').replace(/^[0-9A-Z]+-/, '').toLowerCase()}`
    const date = new Date(Date.UTC(2026, 10, 1, 0, n++)).toISOString().replace(/\.\d+Z$/, 'Z')
    members.push(gzipRecord({ type: 'request', targetUri: url, date, contentType: 'application/http; msgtype=request', block: `GET /${basename(url)} HTTP/1.1\r\nHost: planetmath.org\r\n\r\n` }))
    members.push(gzipRecord({ type: 'response', targetUri: url, date, contentType: 'application/http; msgtype=response', block: httpResponseBlock(html) }))
  }
}
writeFileSync('sample/warc/math-pages.warc.gz', Buffer.concat(members))
console.log(`positives ${positives.length}, negatives ${negatives.length}, math pages ${n}`)
