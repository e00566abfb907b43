// bench/warc: records/s of dsmath's WARC reader (with each inflate engine: the libdeflate addon when
// built by `make native`, and node:zlib) against Python fastwarc and warcio on the same gzip WARC, one
// core each, same run, best of 3. The WARC (>= 200 MB uncompressed) is built from the real pages in DATA_DIR.
//   make bench-warc        (or: npx tsx bench/warc.ts [DATA_DIR] [MB])
import { execFileSync } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync, statSync, existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { readStream } from '../src/storage/store.ts'
import { type InflateEngine, nativeInflate } from '../src/warc/inflate.ts'
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

// Each dsmath reader: an inflate engine, and whether blocks are views of one reused buffer (reuseBlocks,
// valid until the next record, as FastWARC's are) or the caller's own.
interface Reader { name: string; inflate: InflateEngine; reuseBlocks: boolean }
const engines: Reader[] = [
  ...(nativeInflate().available ? [{ name: 'libdeflate', inflate: 'libdeflate' as const, reuseBlocks: false }, { name: 'libdeflate+reuse', inflate: 'libdeflate' as const, reuseBlocks: true }] : []),
  { name: 'zlib', inflate: 'zlib', reuseBlocks: false },
]
if (!nativeInflate().available) console.log(`bench/warc: libdeflate addon not built (${nativeInflate().why}); node:zlib only`)

// seconds: wall clock; cpu: CPU seconds of the whole process (all its threads, on the one core they share),
// which other jobs on the machine disturb much less than the wall clock.
interface Run { records: number; seconds: number; cpu: number; bytes: number; rss: number }
/** The bench WARC `times` times over, as one stream (a gzip WARC concatenated with itself is a valid WARC). */
async function* repeated(times: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < times; i++) yield* readStream(warc)
}

async function dsmath({ inflate, reuseBlocks }: Reader, times = 1): Promise<Run> {
  let records = 0, bytes = 0, rss = 0
  const t0 = performance.now(), c0 = process.cpuUsage()
  for await (const r of readWarc(times === 1 ? readStream(warc) : repeated(times), 0, { inflate, reuseBlocks })) {
    if ('block' in r) bytes += r.block.length
    records++
    if ((records & 63) === 0) rss = Math.max(rss, process.memoryUsage().rss)
  }
  const c = process.cpuUsage(c0)
  return { records, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, bytes, rss }
}

// Best of 3 (BENCH_ROUNDS) for every reader, the runs interleaved so that load from other processes spreads
// over all; BENCH_VERBOSE=1 prints every run.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const best = new Map<string, Run>()
const bestCpu = new Map<string, number>()
const keep = (k: string, r: Run) => {
  const b = best.get(k); if (!b || r.seconds < b.seconds) best.set(k, r)
  if (!(r.cpu >= bestCpu.get(k)!)) bestCpu.set(k, r.cpu)
}
for (let round = 0; round < ROUNDS; round++) {
  for (const e of engines) { const r = await dsmath(e); if (process.env.BENCH_VERBOSE) console.log(`  round ${round} ${e.name} ${(r.records / r.seconds).toFixed(0)} records/s`); keep(e.name, r) }
  // Python inherits this process's CPU affinity (make bench-warc pins both to core 0): same core, same load.
  const py = JSON.parse(execFileSync('.venv-bench/bin/python', ['bench/warc_anchor.py', warc], { encoding: 'utf8' }))
  for (const k of ['fastwarc', 'warcio']) { if (process.env.BENCH_VERBOSE) console.log(`  round ${round} ${k} ${(py[k].records / py[k].seconds).toFixed(0)} records/s`); keep(k, { ...py[k], rss: py.max_rss_mb * 2 ** 20 }) }
}

const cpus = (readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(\S+)/) ?? [])[1] ?? '?'
const rate = (k: string) => best.get(k)!.records / best.get(k)!.seconds
const cpuRate = (k: string) => best.get(k)!.records / bestCpu.get(k)!
const n = best.get(engines[0].name)!.records
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
console.log(`bench/warc: ${warc} (${(size / 1e6).toFixed(0)} MB gzip, ${n} records), best of ${ROUNDS}, CPUs ${cpus}, load average ${load}` +
  (nativeInflate().available ? `, libdeflate ${nativeInflate().version}` : ''))
for (const { name: e } of engines) {
  const r = best.get(e)!
  if (r.records !== n || r.bytes !== best.get(engines[0].name)!.bytes) throw new Error(`${e} read ${r.records} records (${r.bytes} bytes), ${engines[0].name} ${n}`)
  console.log(`  dsmath ${e.padEnd(16)} ${rate(e).toFixed(0).padStart(6)} records/s  ${(r.bytes / 1e6 / r.seconds).toFixed(0).padStart(4)} MB/s of blocks  ` +
    `peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB  dsmath/fastwarc = ${(rate(e) / rate('fastwarc')).toFixed(2)}x (per CPU-s ${(cpuRate(e) / cpuRate('fastwarc')).toFixed(2)}x)  ` +
    `dsmath/warcio = ${(rate(e) / rate('warcio')).toFixed(2)}x`)
}
for (const k of ['fastwarc', 'warcio']) {
  const r = best.get(k)!
  if (r.records !== n) console.log(`  note: ${k} counted ${r.records} records`)
  console.log(`  ${k.padEnd(23)} ${rate(k).toFixed(0).padStart(6)} records/s  ${(r.bytes / 1e6 / r.seconds).toFixed(0).padStart(4)} MB/s of blocks  ${cpuRate(k).toFixed(0)} records/CPU-s`)
}

// Constant memory: the first reader again over the WARC twice over (twice the records and bytes): peak RSS
// should not grow with the input.
const doubled = await dsmath(engines[0], 2)
const single = best.get(engines[0].name)!
if (doubled.records !== 2 * single.records) throw new Error(`doubled WARC: ${doubled.records} records, expected ${2 * single.records}`)
console.log(`  RSS when the WARC doubles (${engines[0].name}): ${(single.rss / 2 ** 20).toFixed(0)} MiB for ${single.records} records -> ` +
  `${(doubled.rss / 2 ** 20).toFixed(0)} MiB for ${doubled.records} (x${(doubled.rss / single.rss).toFixed(2)})`)
