// bench/minhash: MinHash throughput (signatures, then signatures + LSH insert/query) and whole-dedupDocs
// throughput on the real texts of sample/seed, in MB of UTF-8 text per second on one core.
//   npx tsx bench/minhash.ts [PASSES]   (default 5; each pass is the whole sample, ~2 MB)
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { dedupDocs } from '../src/dedup/dedup.ts'
import { DEFAULT_PARAMS, LshIndex, signature, words, type MinHashParams } from '../src/dedup/minhash.ts'

const passes = Number(process.argv[2] ?? 5)
const texts = ['positives', 'negatives'].flatMap((name) =>
  gunzipSync(readFileSync(new URL(`../sample/seed/${name}.jsonl.gz`, import.meta.url))).toString('utf8')
    .split('\n').filter(Boolean).map((line) => JSON.parse(line).text as string))
const megabytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0) / 1e6

function rate(label: string, run: () => void): void {
  run() // warm-up
  const start = performance.now()
  for (let i = 0; i < passes; i++) run()
  const seconds = (performance.now() - start) / 1e3
  console.log(`${label.padEnd(44)} ${((megabytes * passes) / seconds).toFixed(1).padStart(6)} MB/s`)
}

function signaturesAndLsh(params: MinHashParams): void {
  const lsh = new LshIndex(params.bands, params.rows)
  texts.forEach((text, i) => {
    const sig = signature(text, params)
    if (sig && !lsh.bestMatch(sig, 0.55)) lsh.add(i, sig)
  })
}

console.log(`${texts.length} texts, ${megabytes.toFixed(2)} MB, ${passes} passes, node ${process.version}`)
rate('tokenise', () => texts.forEach((t) => words(t)))
for (const params of [DEFAULT_PARAMS, { ...DEFAULT_PARAMS, bands: 14, rows: 8 }]) {
  const name = `${params.bands}x${params.rows}`
  rate(`signatures ${name}`, () => texts.forEach((t) => signature(t, params)))
  rate(`signatures + LSH ${name}`, () => signaturesAndLsh(params))
}
const docs = texts.map((text, i) => ({ id: i, text }))
rate('dedupDocs (sha1, signatures, LSH) 64x4', () => dedupDocs(docs))
