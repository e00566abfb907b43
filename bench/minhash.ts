// bench/minhash: dsmath's MinHash dedup against DataTrove's MinHash stages (bench/minhash_anchor.py:
// MinhashDedupSignature -> Buckets -> Cluster -> Filter, local executor, one worker) on the same JSONL input, in the
// same run, at DataTrove's config (5-grams, 14 buckets x 8 hashes) and at dsmath's (5-grams, 64 x 4). One core
// each (`make bench-minhash` pins both to core 0), best of ROUNDS, the runs interleaved.
//
// Input: the texts of sample/seed (positives + negatives) and, to reach MB megabytes, PlanetMath entries and web
// texts from DATA_DIR; only texts of >= 100 words, and none within word-5-gram Jaccard 0.4 of an earlier one (exact
// Jaccard), so the base holds no duplicates; then 10% of them get a copy with 5% of the words replaced
// (plantNearDuplicate, as in the acceptance test), and everything is shuffled. Speed is MB of UTF-8 text per
// second of CPU time (per core; wall seconds shown too); quality is how many planted pairs lost one member, and how many other documents were removed.
//   make bench-minhash        (or: npx tsx bench/minhash.ts [DATA_DIR] [MB] [ROUNDS])
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { readDocs, writeDocs } from '../src/pipeline/docio.ts'
import { dedupDocs } from '../src/dedup/dedup.ts'
import { DEFAULT_PARAMS, LshIndex, mulberry32, shingleSet, signature, words, type MinHashParams } from '../src/dedup/minhash.ts'
import { plantNearDuplicate } from '../test/dedup/sample.ts'

const dataDir = process.argv[2] ?? '../shared/data'
const targetMb = Number(process.argv[3] ?? 4)
const ROUNDS = Number(process.argv[4] ?? 3)

// ---- input ------------------------------------------------------------------------------------------------------
const gz = (path: string): string => { const raw = readFileSync(path); return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8') }
const jsonlTexts = (path: string): string[] => gz(path).split('\n').filter(Boolean).map((l) => JSON.parse(l).text).filter((t) => typeof t === 'string')

function candidateTexts(): string[] {
  const texts = ['positives', 'negatives'].flatMap((n) => jsonlTexts(new URL(`../sample/seed/${n}.jsonl.gz`, import.meta.url).pathname))
  const extra: string[] = []
  const web = join(dataDir, 'web-text/common-crawl')
  if (existsSync(web)) for (const f of readdirSync(web).sort()) extra.push(...jsonlTexts(join(web, f)))
  const pm = join(dataDir, 'math-text/planetmath')
  if (existsSync(pm)) {
    for (const f of readdirSync(pm).filter((f) => f.endsWith('.jsonl')).sort()) {
      // The LaTeX body only: every entry's preamble is the same and would make all entries look alike.
      extra.push(...jsonlTexts(join(pm, f)).map((t) => t.split('\\begin{document}')[1]?.split('\\end{document}')[0] ?? t))
    }
  }
  // Interleave the extra sources so that a small MB target still mixes web and math text.
  return [...texts, ...extra.filter((_, i) => i % 2 === 0), ...extra.filter((_, i) => i % 2 === 1)]
}

/** Texts of >= 100 words, none with exact word-5-gram Jaccard >= 0.4 to an earlier one, until `mb` megabytes. */
function cleanBase(all: string[], mb: number): string[] {
  const postings = new Map<string, number[]>()
  const sizes: number[] = []
  const base: string[] = []
  let bytes = 0
  for (const text of all) {
    if (bytes >= mb * 1e6) break
    if (words(text).length < 100) continue
    const shingles = shingleSet(text)
    const shared = new Map<number, number>()
    for (const s of shingles) for (const j of postings.get(s) ?? []) shared.set(j, (shared.get(j) ?? 0) + 1)
    if ([...shared].some(([j, n]) => n / (shingles.size + sizes[j] - n) >= 0.4)) continue
    const id = base.length
    for (const s of shingles) { const p = postings.get(s); if (p) p.push(id); else postings.set(s, [id]) }
    sizes.push(shingles.size)
    base.push(text)
    bytes += Buffer.byteLength(text)
  }
  return base
}

const base = cleanBase(candidateTexts(), targetMb)
const rand = mulberry32(2025)
const vocabulary = base.flatMap(words)
const uniform = (n: number): number => Math.floor(((rand() >>> 0) / 2 ** 32) * n)
interface BenchDoc { id: string; text: string }
const docs: BenchDoc[] = base.map((text, i) => ({ id: `d${i}`, text }))
const planted = new Map<string, string>() // copy id -> original id
const chosen = new Set<number>()
while (chosen.size < Math.round(base.length / 10)) chosen.add(uniform(base.length))
let jaccardSum = 0
for (const i of chosen) {
  const text = plantNearDuplicate(base[i], 0.05, vocabulary, rand)
  const a = shingleSet(base[i]), b = shingleSet(text)
  let inter = 0
  for (const s of a) if (b.has(s)) inter++
  jaccardSum += inter / (a.size + b.size - inter)
  docs.push({ id: `d${i}#near`, text })
  planted.set(`d${i}#near`, `d${i}`)
}
for (let i = docs.length - 1; i > 0; i--) { const j = uniform(i + 1); [docs[i], docs[j]] = [docs[j], docs[i]] }

const dir = mkdtempSync(join(tmpdir(), 'bench-minhash-'))
const input = join(dir, 'input.jsonl')
writeFileSync(input, docs.map((d) => JSON.stringify(d)).join('\n') + '\n')
const texts = docs.map((d) => d.text)
const megabytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0) / 1e6

// ---- runs -------------------------------------------------------------------------------------------------------
const CONFIGS: { name: string; params: MinHashParams }[] = [
  { name: '14x8', params: { ...DEFAULT_PARAMS, shingle: 5, bands: 14, rows: 8 } },
  { name: '64x4', params: { ...DEFAULT_PARAMS } },
]
const best = new Map<string, number>()
const keep = (k: string, s: number): void => { if (!(s >= (best.get(k) ?? Infinity))) best.set(k, s) }
const removedBy = new Map<string, string[]>()
/** Wall seconds; the CPU seconds of this process go to best under `key`_cpu. */
const time = async (key: string, run: () => unknown): Promise<void> => {
  const t0 = performance.now(), c0 = process.cpuUsage()
  await run()
  const c = process.cpuUsage(c0)
  keep(key, (performance.now() - t0) / 1e3)
  keep(`${key}_cpu`, (c.user + c.system) / 1e6)
}

async function dsmathEndToEnd(params: MinHashParams, out: string): Promise<string[]> {
  const read = await readDocs(input)
  const result = dedupDocs(read, { params })
  await writeDocs(out, result.kept)
  return result.dropped.map((d) => d.id)
}

for (const c of CONFIGS) await dsmathEndToEnd(c.params, join(dir, 'warm.jsonl')) // JIT warm-up, not timed
for (let round = 0; round < ROUNDS; round++) {
  await time('dsmath tokenise', () => { for (const t of texts) words(t) })
  for (const c of CONFIGS) {
    await time(`dsmath sig+lsh ${c.name}`, () => {
      const lsh = new LshIndex(c.params.bands, c.params.rows)
      texts.forEach((t, i) => { const sig = signature(t, c.params); if (sig && !lsh.bestMatch(sig, 0.55)) lsh.add(i, sig) })
    })
    await time(`dsmath sig ${c.name}`, () => { for (const t of texts) signature(t, c.params) })
    let removed: string[] = []
    await time(`dsmath total ${c.name}`, async () => { removed = await dsmathEndToEnd(c.params, join(dir, `dsmath-${c.name}.jsonl`)) })
    removedBy.set(`dsmath ${c.name}`, removed)
  }
  // Python inherits this process's CPU affinity: same core, same load.
  const arg = JSON.stringify(CONFIGS.map((c) => ({ name: c.name, n_grams: c.params.shingle, num_buckets: c.params.bands, hashes_per_bucket: c.params.rows })))
  const py = JSON.parse(execFileSync('.venv-bench/bin/python', ['bench/minhash_anchor.py', input, join(dir, 'datatrove'), arg],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }))
  for (const c of CONFIGS) {
    const r = py.configs[c.name]
    for (const [stage, s] of Object.entries(r.seconds as Record<string, number>)) keep(`datatrove ${stage.replace(/_cpu$/, '')} ${c.name}${stage.endsWith('_cpu') ? '_cpu' : ''}`, s)
    removedBy.set(`datatrove ${c.name}`, r.removed)
  }
}
rmSync(dir, { recursive: true, force: true })

// ---- report -----------------------------------------------------------------------------------------------------
function quality(removed: string[]): string {
  const gone = new Set(removed)
  let caught = 0, both = 0
  for (const [copy, original] of planted) {
    if (gone.has(copy) || gone.has(original)) caught++
    if (gone.has(copy) && gone.has(original)) both++
  }
  const other = removed.filter((id) => !planted.has(id) && ![...planted.values()].includes(id)).length + both
  return `${caught}/${planted.size} planted (${((100 * caught) / planted.size).toFixed(1)}%), ${other} other (${((100 * other) / base.length).toFixed(2)}%)`
}
/** MB per CPU-second (per core): robust to the other jobs sharing the machine, unlike wall time. */
const mbps = (k: string): number => megabytes / best.get(`${k}_cpu`)!
const cpus = (readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(\S+)/) ?? [])[1] ?? '?'
console.log(`bench/minhash: ${docs.length} docs (${base.length} distinct + ${planted.size} planted copies, 5% of words replaced, ` +
  `mean word-5-gram Jaccard to the original ${(jaccardSum / planted.size).toFixed(3)}), ${megabytes.toFixed(2)} MB; ` +
  `best of ${ROUNDS}, CPUs ${cpus}, node ${process.version}`)
const row = (cells: string[]): void => console.log('| ' + cells.join(' | ') + ' |')
for (const c of CONFIGS) {
  console.log(`\nconfig ${c.name === '14x8' ? "DataTrove's" : "dsmath's"}: 5-grams, ${c.params.bands} x ${c.params.rows}`)
  row(['stage (one core)', 'DataTrove wall s', 'DataTrove CPU s', 'DataTrove MB/s', 'dsmath wall s', 'dsmath CPU s', 'dsmath MB/s', 'dsmath / DataTrove'])
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:'])
  const secs = (k: string, digits: number): string[] => [best.get(k)!.toFixed(digits), best.get(`${k}_cpu`)!.toFixed(digits)]
  for (const stage of ['signature', 'buckets', 'cluster', 'filter']) {
    const k = `datatrove ${stage} ${c.name}`
    row([`DataTrove ${stage} stage`, ...secs(k, 2), mbps(k).toFixed(2), '', '', '', ''])
  }
  const own = (label: string, k: string): void => row([label, '', '', '', ...secs(k, 3), mbps(k).toFixed(1), ''])
  own('dsmath tokenise (lower-case, word scan)', 'dsmath tokenise')
  own('dsmath signatures + LSH query and insert', `dsmath sig+lsh ${c.name}`)
  const pair = (label: string, dt: string, ds: string): void =>
    row([label, ...secs(dt, 2), mbps(dt).toFixed(2), ...secs(ds, 3), mbps(ds).toFixed(1), `${(mbps(ds) / mbps(dt)).toFixed(0)}x (wall ${(best.get(dt)! / best.get(ds)!).toFixed(0)}x)`])
  pair('signatures in memory (tokenise, shingle, MinHash)', `datatrove signatures_in_memory ${c.name}`, `dsmath sig ${c.name}`)
  pair('whole dedup: read JSONL, dedup, write kept JSONL', `datatrove total ${c.name}`, `dsmath total ${c.name}`)
  console.log(`  removed  DataTrove: ${quality(removedBy.get(`datatrove ${c.name}`)!)}   dsmath: ${quality(removedBy.get(`dsmath ${c.name}`)!)}`)
}
const worst = Math.min(...CONFIGS.map((c) => mbps(`dsmath total ${c.name}`) / mbps(`datatrove total ${c.name}`)))
console.log(`\nwhole-dedup ratio (MB per CPU-second), worse config: ${worst.toFixed(0)}x (goal >= 20x)`)
console.log(`reproduce: make bench-minhash   (taskset -c 0 npx tsx bench/minhash.ts ${dataDir} ${targetMb} ${ROUNDS})`)
