// Builds test/fixtures/decontam/clean-web.jsonl.gz: real texts that hold no benchmark item, beyond those already
// in sample/ (the seed, the sample crawl, the sample WARCs), so that the decontamination test measures false drops
// on enough documents. Run once by a developer: npx tsx scripts/build-decontam-clean.ts ../shared/data
// Each line: {source, id, text}. Sources and licences: test/fixtures/decontam/SOURCES.md.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { extractText } from '../src/extract/html.ts'
import { readStream } from '../src/storage/store.ts'
import { decodeText, detectCharset, isHtml, parseHttpResponse } from '../src/warc/http.ts'
import { readWarc } from '../src/warc/reader.ts'
import { isBad, recordType, targetUri } from '../src/warc/record.ts'

const data = process.argv[2] ?? '../shared/data'
type CleanDoc = { source: string; id: string; text: string }
const docs: CleanDoc[] = []

// PlanetMath number theory entries as LaTeX source (like the seed's PlanetMath combinatorics), less the 80 that
// sample/crawl already holds as rendered HTML (the first 80 files of the html/ subset, see build-crawl-pages.ts).
const inCrawl = new Set(readdirSync(join(data, 'math-text/planetmath/html/11_Number_theory')).sort().slice(0, 80).map((f) => f.replace(/\.html$/, '')))
for (const line of readFileSync(join(data, 'math-text/planetmath/11_Number_theory.tex.jsonl'), 'utf8').split('\n').filter(Boolean)) {
  const e = JSON.parse(line) as { id: string; text: string }
  if (!inCrawl.has(e.id)) docs.push({ source: 'planetmath/11_Number_theory', id: e.id, text: e.text })
}

// The trafilatura evaluation pages (news, blogs, government and company pages; German, English, French, Chinese
// and more), reduced to their main text by dsmath's own extractor, as the pipeline sees them.
const tf = join(data, 'html/trafilatura')
for (const dir of ['cache', 'eval']) {
  for (const f of readdirSync(join(tf, dir)).sort()) {
    if (!f.endsWith('.html.gz')) continue
    const html = gunzipSync(readFileSync(join(tf, dir, f))).toString('utf8')
    const { text } = extractText(html)
    if (text.trim()) docs.push({ source: `trafilatura/${dir}`, id: f.replace(/\.gz$/, ''), text })
  }
}

// ClueWeb09 Japanese pages (a real 2008-09 crawl) from the resiliparse test WARC, not among sample/warc: Kanji
// text, which the Han-character tokens of the Chinese benchmarks could match. ClueWeb stored the bodies decoded
// under their original `Content-Encoding: gzip` header, so the body is read as stored.
for await (const r of readWarc(readStream(join(data, 'warc/resiliparse/clueweb-quirk.warc.gz')), 0, {})) {
  if (isBad(r) || recordType(r) !== 'response') continue
  const res = parseHttpResponse(r.block)
  if (!res || res.status !== 200) continue
  const ct = res.headers.get('content-type')
  if (!isHtml(ct, res.body)) continue
  const { text } = extractText(decodeText(res.body, detectCharset(res.body, ct)))
  if (text.trim()) docs.push({ source: 'resiliparse/clueweb-quirk.warc.gz', id: targetUri(r) ?? '', text })
}

const seen = new Set<string>()
const unique = docs.filter((d) => !seen.has(d.text) && seen.add(d.text))
mkdirSync('test/fixtures/decontam', { recursive: true })
writeFileSync('test/fixtures/decontam/clean-web.jsonl.gz', gzipSync(unique.map((d) => JSON.stringify(d)).join('\n') + '\n', { level: 9 }))
const by = new Map<string, number>()
for (const d of unique) by.set(d.source, (by.get(d.source) ?? 0) + 1)
console.log(`${unique.length} docs:`, Object.fromEntries(by))
