import { dedupDocs, DEFAULT_THRESHOLD, type DedupStats } from '../dedup/dedup.ts'
import { IndexStore } from '../dedup/index-store.ts'
import { DEFAULT_PARAMS, type MinHashParams } from '../dedup/minhash.ts'
import { writeDocs } from '../pipeline/docio.ts'
import { readInputDocs } from './read-docs.ts'
import { writeObject } from '../storage/store.ts'
import { intFlag, log, parse, required, UsageError } from './args.ts'

const USAGE = `
dsmath dedup --input F --out F [--index DIR] [--report R.jsonl] [--shingle N] [--bands B] [--rows R]
             [--threshold T] [--json]
Drops documents whose normalised URL or normalised text was seen before, then near-duplicates found by
MinHash-LSH over word shingles. Keeps, within the input, the highest math_score (then the earliest) of each
group, and always what --index already holds. JSON lines ({"id","url","text","math_score",...}) or Parquet
in and out; kept documents stay in input order.
  --index DIR     persistent index (local directory): read first, kept documents appended after --out is
                  written, so dedup spans shards and runs; its MinHash parameters are fixed at creation
  --report R      write one JSON line per dropped document: {"id","reason","duplicate_of","similarity"}
  --shingle N     words per shingle (default ${DEFAULT_PARAMS.shingle})
  --bands B       LSH bands (default ${DEFAULT_PARAMS.bands})
  --rows R        rows per band (default ${DEFAULT_PARAMS.rows}); B*R permutations
  --threshold T   estimated Jaccard at which a candidate is a near-duplicate (default ${DEFAULT_THRESHOLD})
  --json          print the statistics as JSON on stdout instead of a summary line on stderr
See docs/dedup.md for the tokenisation, the S-curve of the defaults and the keep rule.
`

const OPTIONS = {
  input: { type: 'string' }, out: { type: 'string' }, index: { type: 'string' }, report: { type: 'string' },
  shingle: { type: 'string' }, bands: { type: 'string' }, rows: { type: 'string' }, threshold: { type: 'string' },
  json: { type: 'boolean' },
} as const

export async function dedupCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, USAGE)
  const input = required(values, 'input')
  const out = required(values, 'out')
  const params = minHashFlags(values)
  const threshold = thresholdFlag(values)
  const docs = await readInputDocs(input)
  const store = typeof values.index === 'string' ? await IndexStore.open(values.index, params) : undefined
  try {
    const { kept, dropped, stats } = dedupDocs(docs, { params, threshold, store })
    await writeDocs(out, kept)
    if (typeof values.report === 'string') {
      await writeObject(values.report, dropped.map((d) => JSON.stringify(d) + '\n').join(''))
    }
    await store?.commit() // after the output exists: a crash before this leaves the index as it was
    if (values.json) process.stdout.write(JSON.stringify(stats) + '\n')
    else log(summary(stats, out))
  } finally {
    await store?.close()
  }
  return 0
}

function minHashFlags(values: Record<string, unknown>): Partial<MinHashParams> {
  const params: Partial<MinHashParams> = {}
  for (const name of ['shingle', 'bands', 'rows'] as const) {
    if (values[name] !== undefined) params[name] = intFlag(values, name, 0, 1)
  }
  return params
}

function thresholdFlag(values: Record<string, unknown>): number {
  if (values.threshold === undefined) return DEFAULT_THRESHOLD
  const t = Number(values.threshold)
  if (!(t > 0 && t <= 1)) throw new UsageError(`--threshold must be a number in (0, 1], got '${String(values.threshold)}'`)
  return t
}

function summary(s: DedupStats, out: string): string {
  const { url, exact, near } = s.dropped
  const reindexed = s.already_indexed ? `, ${s.already_indexed} already indexed` : ''
  return `dedup: ${s.docs} documents, kept ${s.kept} -> ${out}; dropped ${url} url, ${exact} exact, ${near} near${reindexed} (index: ${s.index_entries} entries)`
}
