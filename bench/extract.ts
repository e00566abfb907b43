// bench/extract: main-content extraction quality and speed of dsmath (extractText, the code behind
// `dsmath extract --jsonl`) side by side with Python trafilatura (extract, default settings) and resiliparse
// (extract_plain_text, main_content=True), on the same decoded pages in the same run.
//   make bench-extract     (or: npx tsx bench/extract.ts [DATA_DIR] [--repeats N] [--worst N] [--dump FILE])
// Sets:
//   readability  html/readability/<name>/source.html.gz vs expected.html: the article-extraction-benchmark
//                metric (4-token shingles of the lower-cased \w+ tokens, per-page precision and recall,
//                mean P, mean R, mean F1 over pages).
//   trafilatura  html/trafilatura/{eval,cache}/*.html.gz mapped by evaldata.json: trafilatura's own
//                evaluation (per page "with" snippets found = TP, missing = FN, "without" found = FP, not
//                found = TN; P, R, F1 and accuracy over the summed counts).
// Speed: pages/s over all pages of both sets, one page at a time, timed around the extract call only,
// best of N interleaved rounds (default 3), each tool in one process pinned to one core (`make` runs it under
// taskset); pages per CPU-second of the process (ratios use these) and pages per wall-clock second.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { gunzipSync } from 'node:zlib'
import { Parser } from 'htmlparser2'
import { extractText } from '../src/extract/html.ts'
import { decodeText, detectCharset } from '../src/warc/http.ts'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name)
  if (i < 0) return dflt
  const v = args[i + 1]
  args.splice(i, 2)
  return v
}
const repeats = Number(opt('--repeats', '3'))
const worstN = Number(opt('--worst', '10'))
const dump = opt('--dump', '')
const data = args[0] ?? '../shared/data'

interface Page { id: string; set: 'readability' | 'trafilatura'; html: string; expected?: string; with?: string[]; without?: string[] }

const decode = (buf: Buffer): string => decodeText(buf, detectCharset(buf, undefined))

// The expected article's text: every text node of expected.html, blocks separated by line breaks (a neutral
// HTML-to-text, not dsmath's extractor, so no tool is favoured by the reference).
const BLOCKS = /^(p|div|section|article|main|blockquote|pre|ul|ol|li|dl|dt|dd|table|tr|td|th|thead|tbody|tfoot|caption|h[1-6]|hr|br|figure|figcaption|address|details|summary|header|footer|center)$/
function htmlText(html: string): string {
  const out: string[] = []
  let skip = 0
  const p = new Parser({
    onopentag(name) {
      if (name === 'script' || name === 'style' || name === 'head') skip++
      if (BLOCKS.test(name)) out.push('\n')
    },
    ontext(t) { if (!skip) out.push(t) },
    onclosetag(name) {
      if (name === 'script' || name === 'style' || name === 'head') skip--
      if (BLOCKS.test(name)) out.push('\n')
    },
  }, { decodeEntities: true, lowerCaseTags: true })
  p.write(html)
  p.end()
  return out.join('')
}

function loadPages(): Page[] {
  const pages: Page[] = []
  const rdir = join(data, 'html/readability')
  for (const name of readdirSync(rdir).sort()) {
    const src = join(rdir, name, 'source.html.gz')
    const exp = join(rdir, name, 'expected.html')
    if (!existsSync(src) || !existsSync(exp)) continue
    pages.push({ id: `readability/${name}`, set: 'readability', html: decode(gunzipSync(readFileSync(src))), expected: htmlText(readFileSync(exp, 'utf8')) })
  }
  const tdir = join(data, 'html/trafilatura')
  const evald = JSON.parse(readFileSync(join(tdir, 'evaldata.json'), 'utf8')) as Record<string, { file: string; with: string[]; without: string[] }>
  for (const [url, e] of Object.entries(evald)) {
    const path = ['eval', 'cache'].map((d) => join(tdir, d, `${e.file}.gz`)).find((p) => existsSync(p))
    if (!path) throw new Error(`bench/extract: ${e.file} (${url}) not found under ${tdir}/{eval,cache}`)
    pages.push({ id: `trafilatura/${e.file}`, set: 'trafilatura', html: decode(gunzipSync(readFileSync(path))), with: e.with, without: e.without })
  }
  return pages
}

// --- article-extraction-benchmark metric ---
const tokens = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}\p{M}_]+/gu) ?? []
function shingles(toks: string[], n = 4): string[] {
  const out: string[] = []
  for (let i = 0; i < Math.max(1, toks.length - n + 1); i++) {
    const s = toks.slice(i, i + n).join(' ')
    if (s) out.push(s)
  }
  return out
}
const counts = (xs: string[]): Map<string, number> => {
  const m = new Map<string, number>()
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1)
  return m
}
interface Prf { p: number; r: number; f1: number }
function shingleScore(expected: string, got: string): Prf {
  const t = counts(shingles(tokens(expected)))
  const g = counts(shingles(tokens(got)))
  let tp = 0, fp = 0, fn = 0
  for (const k of new Set([...t.keys(), ...g.keys()])) {
    const a = t.get(k) ?? 0, b = g.get(k) ?? 0
    tp += Math.min(a, b); fp += Math.max(0, b - a); fn += Math.max(0, a - b)
  }
  if (tp + fp + fn === 0) return { p: 1, r: 1, f1: 1 }
  const p = tp + fp ? tp / (tp + fp) : 0
  const r = tp + fn ? tp / (tp + fn) : 0
  return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0 }
}
// The longest run of shingles of `a` absent from `b`, as a short quote: where the text differs most.
function longestGap(a: string, b: string): string {
  const ta = tokens(a)
  const sb = new Set(shingles(tokens(b)))
  let best = [0, 0], start = -1
  for (let i = 0; i <= ta.length - 4 + 1; i++) {
    const miss = i <= ta.length - 4 && !sb.has(ta.slice(i, i + 4).join(' '))
    if (miss && start < 0) start = i
    if (!miss && start >= 0) {
      if (i - start > best[1] - best[0]) best = [start, i]
      start = -1
    }
  }
  const n = best[1] - best[0]
  if (!n) return '-'
  const q = ta.slice(best[0], Math.min(best[1] + 3, best[0] + 12)).join(' ')
  return `${n + 3} tokens "${q}${n + 3 > 12 ? ' …' : ''}"`
}

// --- trafilatura's evaluation ---
interface Counts { tp: number; fn: number; fp: number; tn: number }
function snippetCounts(page: Page, got: string): Counts {
  const c = { tp: 0, fn: 0, fp: 0, tn: 0 }
  for (const s of page.with ?? []) if (got.includes(s)) c.tp++; else c.fn++
  for (const s of page.without ?? []) if (got.includes(s)) c.fp++; else c.tn++
  return c
}

// --- run ---
const pages = loadPages()
const dir = mkdtempSync(join(tmpdir(), 'bench-extract-'))
writeFileSync(join(dir, 'pages.jsonl'), pages.map((p) => JSON.stringify({ id: p.id, html: p.html })).join('\n') + '\n')

const outputs: Record<string, Map<string, string>> = { dsmath: new Map() }
// Every pass is timed twice: CPU time of the process (user + system, every thread) and wall clock. Passes of
// the three tools are interleaved, round after round, so load from other jobs on the machine falls on all of
// them alike; the best round of each tool counts.
function dsmathPass(first: boolean): { seconds: number; wall_seconds: number } {
  let cpu = 0, wall = 0
  for (const p of pages) {
    const c0 = process.cpuUsage(), t0 = performance.now()
    const { text } = extractText(p.html)
    wall += performance.now() - t0
    const c = process.cpuUsage(c0)
    cpu += c.user + c.system
    if (first) outputs.dsmath.set(p.id, text)
  }
  return { seconds: cpu / 1e6, wall_seconds: wall / 1000 }
}
const anchor = spawn('.venv-bench/bin/python', ['bench/extract_anchor.py', join(dir, 'pages.jsonl'), join(dir, 'out')], { stdio: ['pipe', 'pipe', 'inherit'] })
const replies = createInterface({ input: anchor.stdout! })[Symbol.asyncIterator]()
const ask = async (cmd: string): Promise<{ seconds: number; wall_seconds: number }> => {
  if (cmd) anchor.stdin!.write(cmd + '\n')
  const r = await replies.next()
  if (r.done) throw new Error('bench/extract: bench/extract_anchor.py ended early (make bench-deps?)')
  return JSON.parse(r.value)
}
await ask('') // pages loaded, libraries imported
const pyTools = ['trafilatura', 'resiliparse']
const best: Record<string, { seconds: number; wall_seconds: number }> = {}
const keepBest = (tool: string, r: { seconds: number; wall_seconds: number }): void => {
  const b = best[tool]
  best[tool] = b ? { seconds: Math.min(b.seconds, r.seconds), wall_seconds: Math.min(b.wall_seconds, r.wall_seconds) } : r
}
for (let rep = 0; rep < Math.max(1, repeats); rep++) {
  keepBest('dsmath', dsmathPass(rep === 0))
  for (const tool of pyTools) keepBest(tool, await ask(tool))
}
anchor.stdin!.end('quit\n')
const speed: Record<string, number> = {}
const wallSpeed: Record<string, number> = {}
for (const tool of ['dsmath', ...pyTools]) {
  speed[tool] = pages.length / best[tool].seconds
  wallSpeed[tool] = pages.length / best[tool].wall_seconds
}
for (const tool of pyTools) {
  outputs[tool] = new Map(readFileSync(join(dir, `out.${tool}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => {
    const r = JSON.parse(l) as { id: string; text: string }
    return [r.id, r.text] as [string, string]
  }))
}

const tools = ['dsmath', 'trafilatura', 'resiliparse']
const rd = pages.filter((p) => p.set === 'readability')
const tr = pages.filter((p) => p.set === 'trafilatura')
const perPage: Record<string, { id: string; prf?: Prf; c?: Counts }[]> = {}
const table: string[] = []
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const pct = (x: number): string => x.toFixed(3)
for (const tool of tools) {
  const o = outputs[tool]
  const rs = rd.map((p) => ({ id: p.id, prf: shingleScore(p.expected!, o.get(p.id) ?? '') }))
  const cs = tr.map((p) => ({ id: p.id, c: snippetCounts(p, o.get(p.id) ?? '') }))
  perPage[tool] = [...rs, ...cs]
  const s = cs.reduce((a, { c }) => ({ tp: a.tp + c.tp, fn: a.fn + c.fn, fp: a.fp + c.fp, tn: a.tn + c.tn }), { tp: 0, fn: 0, fp: 0, tn: 0 })
  const tp = s.tp / (s.tp + s.fp), tR = s.tp / (s.tp + s.fn), tf = (2 * s.tp) / (2 * s.tp + s.fp + s.fn), acc = (s.tp + s.tn) / (s.tp + s.tn + s.fp + s.fn)
  const ratio = tool === 'dsmath' ? '' : `  dsmath/${tool} = ${(speed.dsmath / speed[tool]).toFixed(2)}x (wall ${(wallSpeed.dsmath / wallSpeed[tool]).toFixed(2)}x)`
  table.push(`  ${tool.padEnd(12)} ${pct(mean(rs.map((x) => x.prf.p)))}  ${pct(mean(rs.map((x) => x.prf.r)))}  ${pct(mean(rs.map((x) => x.prf.f1)))}   ${pct(tp)}  ${pct(tR)}  ${pct(tf)}  ${pct(acc)}  ${speed[tool].toFixed(1).padStart(7)} ${wallSpeed[tool].toFixed(1).padStart(7)}${ratio}`)
}
console.log(`bench/extract: ${rd.length} readability pages, ${tr.length} trafilatura pages (${tr.reduce((a, p) => a + p.with!.length, 0)} with / ${tr.reduce((a, p) => a + p.without!.length, 0)} without snippets); speed best of ${repeats} interleaved rounds over all ${pages.length} pages, one core`)
console.log(`  ${''.padEnd(12)} readability (mean/page)  trafilatura (summed counts)       speed`)
console.log(`  ${'tool'.padEnd(12)} P      R      F1      P      R      F1     acc    pages/s (CPU, wall)`)
for (const row of table) console.log(row)

if (worstN > 0) {
  const byId = new Map(pages.map((p) => [p.id, p]))
  const ds = outputs.dsmath
  console.log(`\nworst ${worstN} readability pages for dsmath (F1; longest run missed from expected / extra in output):`)
  const rw = perPage.dsmath.filter((x) => x.prf).sort((a, b) => a.prf!.f1 - b.prf!.f1).slice(0, worstN)
  for (const { id, prf } of rw) {
    const p = byId.get(id)!, got = ds.get(id) ?? ''
    console.log(`  ${prf!.f1.toFixed(3)} P ${prf!.p.toFixed(2)} R ${prf!.r.toFixed(2)} ${id}  (traf F1 ${shingleScore(p.expected!, outputs.trafilatura.get(id) ?? '').f1.toFixed(2)})`)
    console.log(`      missed: ${longestGap(p.expected!, got)}`)
    console.log(`      extra:  ${longestGap(got, p.expected!)}`)
  }
  console.log(`\nworst ${worstN} trafilatura pages for dsmath (FN + FP snippets):`)
  const tw = perPage.dsmath.filter((x) => x.c).sort((a, b) => (b.c!.fn + b.c!.fp) - (a.c!.fn + a.c!.fp)).slice(0, worstN)
  for (const { id, c } of tw) {
    const p = byId.get(id)!, got = ds.get(id) ?? ''
    console.log(`  FN ${c!.fn} FP ${c!.fp} ${id}  (${got.length} chars out)`)
    for (const s of p.with!) if (!got.includes(s)) console.log(`      missing: ${JSON.stringify(s.slice(0, 90))}`)
    for (const s of p.without!) if (got.includes(s)) console.log(`      kept:    ${JSON.stringify(s.slice(0, 90))}`)
  }
}
if (dump) {
  writeFileSync(dump, JSON.stringify(pages.map((p) => ({ id: p.id, expected: p.expected, with: p.with, without: p.without, ...Object.fromEntries(tools.map((t) => [t, outputs[t].get(p.id)])) }))))
  console.log(`\nper-page outputs: ${dump}`)
}
console.log(`\ncommand: make bench-extract   (taskset -c 0 npx tsx ${['bench/extract.ts', ...process.argv.slice(2)].join(' ')})`)
