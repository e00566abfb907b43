// Builds sample/crawl/pages.jsonl.gz: the real pages `dsmath sample-crawl` lays out as a crawl.
// Run once by a developer: npx tsx scripts/build-crawl-pages.ts ../shared/data
// Each line: {group, label: math|other, title, html}. Groups and sources are listed in sample/SOURCES.md.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'

const data = process.argv[2] ?? '../shared/data'
type Page = { group: string; label: 'math' | 'other'; title: string; html: string }
const pages: Page[] = []
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const titleOf = (html: string): string => (/<title[^>]*>([^<]*)/i.exec(html)?.[1] ?? '').trim()

// PlanetMath number theory (LaTeXML HTML with MathML): like the seed's PlanetMath combinatorics.
const nt = join(data, 'math-text/planetmath/html/11_Number_theory')
for (const f of readdirSync(nt).sort().slice(0, 80)) {
  const html = readFileSync(join(nt, f), 'utf8')
  pages.push({ group: 'planetmath-nt', label: 'math', title: titleOf(html) || f, html })
}
// PlanetMath mathematics education: a university's math course pages.
const edu = join(data, 'math-text/planetmath/html/97_Mathematics_education')
for (const f of readdirSync(edu).sort()) {
  const html = readFileSync(join(edu, f), 'utf8')
  pages.push({ group: 'planetmath-edu', label: 'math', title: titleOf(html) || f, html })
}
// MathOverflow mathematical-physics threads (not in the seed), rendered like the site: TeX in $...$.
for (const line of readFileSync(join(data, 'math-text/stackexchange/mathoverflow.net__mathematical-physics.jsonl'), 'utf8').split('\n').filter(Boolean)) {
  const t = JSON.parse(line)
  const q = t.question
  const answers = (t.answers ?? []).map((a: { body_html: string }) => `<div class="answer"><div class="s-prose">${a.body_html}</div></div>`).join('\n')
  const html = `<!DOCTYPE html><html><head><title>${esc(q.title)} - MathOverflow</title></head><body><header><nav><a href="/questions">Questions</a> <a href="/tags">Tags</a></nav></header><h1>${esc(q.title)}</h1><div class="question"><div class="s-prose">${q.body_html}</div></div><h2>Answers</h2>${answers}<footer>site design / logo © Stack Exchange Inc; user contributions licensed under CC BY-SA</footer></body></html>`
  pages.push({ group: 'mo-physics', label: 'math', title: q.title, html })
}
// GSM8K training problems with their worked solutions, as homework-forum threads: plain-English
// arithmetic that the LaTeX-heavy seed does not resemble.
const gsm = readFileSync(join(data, 'benchmarks/gsm8k/train.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 80)
gsm.forEach((line, i) => {
  const { question, answer } = JSON.parse(line)
  const steps = String(answer).replace(/<<[^>]*>>/g, '').split('\n').map((s: string) => `<p>${esc(s.replace(/^#### /, 'Answer: '))}</p>`).join('')
  const title = `Word problem help #${1000 + i}`
  const html = `<!DOCTYPE html><html><head><title>${title} - Homework Help Forum</title></head><body><nav class="menu"><a href="/">Forum</a> &gt; <a href="/boards/math/">Math help</a></nav><h1>${title}</h1><div class="post"><p>${esc(question)}</p><p>Can someone help me with this one?</p></div><div class="post reply"><p>Here is how to do it:</p>${steps}</div><div class="cookie-banner">We use cookies.</div></body></html>`
  pages.push({ group: 'gsm8k-forum', label: 'math', title, html })
})
// Not math: the Mozilla Readability test pages (news, blogs, company pages), and Common Crawl text.
const rd = join(data, 'html/readability')
for (const d of readdirSync(rd).sort()) {
  const p = join(rd, d, 'source.html.gz')
  if (!existsSync(p) || ['mathjax', 'quanta-1', 'wikipedia-3'].includes(d)) continue
  const html = gunzipSync(readFileSync(p)).toString('utf8')
  if (html.length > 120_000) continue
  pages.push({ group: 'news', label: 'other', title: titleOf(html) || d, html })
}
for (const f of readdirSync(join(data, 'web-text/common-crawl'))) {
  const raw = readFileSync(join(data, 'web-text/common-crawl', f))
  const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')
  for (const line of text.split('\n').filter(Boolean)) {
    const doc = JSON.parse(line)
    const body = String(doc.text).split('\n').map((p: string) => `<p>${esc(p)}</p>`).join('')
    const title = String(doc.text).split('\n')[0].slice(0, 80)
    pages.push({ group: 'web', label: 'other', title, html: `<!DOCTYPE html><html><head><title>${esc(title)}</title></head><body><article>${body}</article></body></html>` })
  }
}
mkdirSync('sample/crawl', { recursive: true })
writeFileSync('sample/crawl/pages.jsonl.gz', gzipSync(pages.map((p) => JSON.stringify(p)).join('\n') + '\n', { level: 9 }))
const count = (g: string): number => pages.filter((p) => p.group === g).length
console.log(['planetmath-nt', 'planetmath-edu', 'mo-physics', 'gsm8k-forum', 'news', 'web'].map((g) => `${g} ${count(g)}`).join(', '))
