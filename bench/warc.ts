// bench/warc: records/s of dsmath's WARC reader against Python fastwarc and warcio on the same gzip WARC,
// one core each, same run. The WARC (>= 200 MB uncompressed) is built from the real pages in DATA_DIR.
//   make bench-warc        (or: npx tsx bench/warc.ts [DATA_DIR] [MB])
import { execFileSync } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync, statSync, existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { readStream } from '../src/storage/store.ts'
import { readWarc } from '../src/warc/reader.ts'
import { gzipRecord, httpResponseBlock } from '../src/warc/writer.ts'

const data = process.argv[2] ?? '../shared/data'
const targetMb = Number(process.argv[3] ?? 200)

function realPages(): string[] {
  const pages: string[] = []
  for (const dir of ['html/trafilatura/cache', 'html/trafilatura/eval']) {
    for (const f of readdirSync(join(data, dir))) pages.push(gunzipSync(readFileSync(join(data, dir, f))).toString('utf8'))
  }
  for (const d of readdirSync(join(data, 'html/readability'))) {
    const p = join(data, 'html/readability', d, 'source.html.gz')
    if (existsSync(p)) pages.push(gunzipSync(readFileSync(p)).toString('utf8'))
  }
  return pages
}

async function buildWarc(path: string): Promise<void> {
  if (existsSync(path)) return
  const pages = realPages()
  const out = createWriteStream(path)
  let raw = 0, i = 0
  while (raw < targetMb * 1e6) {
    const html = pages[i % pages.length]
    const url = `https://example-${i % 997}.org/page/${i}`
    const member = gzipRecord({ type: 'response', targetUri: url, date: '2024-05-01T00:00:00Z', contentType: 'application/http; msgtype=response', block: httpResponseBlock(html) })
    raw += html.length + 300
    if (!out.write(member)) await new Promise<void>((r) => out.once('drain', () => r()))
    i++
  }
  await new Promise<void>((r) => out.end(() => r()))
}

const dir = join(tmpdir(), 'dsmath-bench')
mkdirSync(dir, { recursive: true })
const warc = join(dir, `real-pages-${targetMb}mb.warc.gz`)
await buildWarc(warc)
const size = statSync(warc).size

let records = 0, bytes = 0, rss = 0
const t0 = performance.now()
for await (const r of readWarc(readStream(warc))) {
  if ('block' in r) bytes += r.block.length
  records++
  if ((records & 1023) === 0) rss = Math.max(rss, process.memoryUsage().rss)
}
const seconds = (performance.now() - t0) / 1000
const py = JSON.parse(execFileSync('taskset', ['-c', '1', '.venv-bench/bin/python', 'bench/warc_anchor.py', warc], { encoding: 'utf8' }))

const rate = records / seconds
console.log(`bench/warc: ${warc} (${(size / 1e6).toFixed(0)} MB gzip, ${records} records)`)
console.log(`  dsmath    ${rate.toFixed(0).padStart(7)} records/s  ${(bytes / 1e6 / seconds).toFixed(0)} MB/s of blocks  peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB`)
for (const k of ['fastwarc', 'warcio'] as const) {
  const r = py[k].records / py[k].seconds
  console.log(`  ${k.padEnd(8)} ${r.toFixed(0).padStart(7)} records/s  dsmath/${k} = ${(rate / r).toFixed(2)}x`)
}
