import { type BenchmarkStats, loadIndex } from '../decontam/benchmarks.ts'
import { decontaminate, type DecontamStats } from '../decontam/decontam.ts'
import { writeDocs } from '../pipeline/docio.ts'
import { readInputDocs } from './read-docs.ts'
import { writeObject } from '../storage/store.ts'
import { log, parse, required } from './args.ts'

const USAGE = `
dsmath decontam --input F --out F --report R [--benchmarks DIR] [--keep-stock-phrases] [--json]
Drops every document that shares a 10-gram with a benchmark question or answer, or contains whole a benchmark
text of 3-9 tokens (DeepSeekMath's rule). Tokens: NFKC, lower-case, runs of letters and digits, each Chinese,
Japanese or Korean character alone; n-grams that are mostly formula (digits, single letters, LaTeX commands),
stock phrasing (10-grams each of whose 4-grams occurs in 10 or more benchmark items, unless a text has no other
10-gram) and texts under 3 tokens are not used. JSON lines ({"id","url","text",...}) or Parquet in and out, order kept.
  --report R        one JSON line per dropped document (by convention decontam-report.jsonl):
                    {"id","url","match":"ngram10"|"short_exact","benchmark_item","ngram"}
  --benchmarks DIR  read every *.jsonl / *.jsonl.gz under DIR instead of the bundled sets in
                    sample/benchmarks (GSM8K, MATH, CMATH, AGIEval Gaokao, MGSM-zh, MMLU-STEM, miniF2F,
                    OCW, SAT; see SOURCES.md there)
  --keep-stock-phrases
                    use stock-phrasing 10-grams too, as the paper's rule does
  --json            print the statistics as JSON on stdout instead of a summary line on stderr
`

const OPTIONS = {
  input: { type: 'string' }, out: { type: 'string' }, report: { type: 'string' }, benchmarks: { type: 'string' },
  'keep-stock-phrases': { type: 'boolean' }, json: { type: 'boolean' },
} as const

export async function decontamCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, USAGE)
  const input = required(values, 'input')
  const out = required(values, 'out')
  const reportPath = required(values, 'report')
  const index = await loadIndex(typeof values.benchmarks === 'string' ? values.benchmarks : undefined,
    { stockPhrases: !values['keep-stock-phrases'] })
  const docs = await readInputDocs(input)
  const { kept, report, stats } = decontaminate(docs, index)
  await writeDocs(out, kept)
  await writeObject(reportPath, report.map((r) => JSON.stringify(r) + '\n').join(''))
  if (values.json) process.stdout.write(JSON.stringify({ ...stats, benchmarks: index.stats }) + '\n')
  else log(summary(stats, index.stats, out))
  return 0
}

function summary(s: DecontamStats, b: BenchmarkStats, out: string): string {
  return `decontam: ${s.docs} documents, dropped ${s.dropped} (${s.ngram10} ngram10, ${s.short_exact} short_exact), ` +
    `kept ${s.kept} -> ${out} (benchmarks: ${b.items} items, ${b.ngrams} 10-grams (${b.stock_distinct} stock left out), ${b.short_texts} short texts, ` +
    `indexed in ${b.build_ms} ms)`
}
