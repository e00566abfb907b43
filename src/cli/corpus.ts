import { loadModel } from '../fasttext/default-model.ts'
import { badTotal } from '../pipeline/counters.ts'
import { unknownLanguages } from '../extract/langid.ts'
import { DEFAULT_LANGUAGES, type StageOptions } from '../pipeline/document.ts'
import type { FilterOptions } from '../pipeline/filter-shard.ts'
import { resolveInputs } from '../pipeline/inputs.ts'
import { runLocal } from '../pipeline/run-local.ts'
import type { Manifest } from '../shard/manifest.ts'
import { intFlag, log, parse, required, UsageError } from './args.ts'

const RUN_USAGE = `
dsmath corpus run --input <file|dir|glob|s3://bucket/prefix|warc.paths.gz> --out <dir|s3://bucket/prefix> [options]

Runs the corpus job in this process (no servers): every WARC response with an HTML payload is extracted,
scored by the fastText math classifier (scored/<shard>.parquet, one per WARC); then, shard by shard in WARC
order, documents with benchmark n-grams are dropped (decontamination) and URL, exact and near-duplicates are
dropped against the run's persistent index (<out>/_dedup); the result is written to zstd Parquet shards
(shards/<shard>.parquet), with every drop in reports/<shard>.{decontam,dedup}.jsonl, plus manifest.json.
Bad records are skipped, counted and quarantined; a WARC that cannot be read at all is listed in the
manifest's failed_inputs, the others run on, and the exit status is 1.

  --input SRC         WARC file, directory, glob, s3:// prefix, or a Common Crawl warc.paths.gz listing
  --base URL          where listing entries are resolved (default s3://commoncrawl/)
  --out DST           output directory or s3:// prefix
  --model M           fastText .bin model (default: models/math-classifier.bin, trained from sample/seed if absent)
  --languages L,...   languages to keep, lid.176 codes (default en,zh; 'all' keeps every language)
  --prefilter         skip pages without math markup, LaTeX or math vocabulary before extraction
  --no-dedup          skip URL, exact and near-duplicate removal
  --no-decontam       skip benchmark decontamination
  --benchmarks DIR    benchmark sets for decontamination (default: sample/benchmarks)
  --concurrency N     WARC files in flight (default 2)
  --run-id ID         run id recorded in the manifest (default local-<time>)
  --json              print the manifest as JSON on stdout instead of a summary
`

export const CORPUS_FLAGS = {
  input: { type: 'string' }, base: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' },
  concurrency: { type: 'string' }, 'run-id': { type: 'string' }, json: { type: 'boolean' },
  languages: { type: 'string' }, prefilter: { type: 'boolean' },
  'no-dedup': { type: 'boolean' }, 'no-decontam': { type: 'boolean' }, benchmarks: { type: 'string' },
} as const

export function filterOptions(values: Record<string, unknown>): FilterOptions {
  return {
    dedup: !values['no-dedup'], decontam: !values['no-decontam'],
    ...(typeof values.benchmarks === 'string' ? { benchmarksDir: values.benchmarks } : {}),
  }
}

/** The stage options of the flags; --languages must name lid.176 codes ('all' keeps every language). */
export async function stageOptions(values: Record<string, unknown>): Promise<StageOptions> {
  const langs = values.languages as string | undefined
  const languages = langs === undefined ? DEFAULT_LANGUAGES : langs === 'all' ? [] : langs.split(',').map((s) => s.trim()).filter(Boolean)
  if (langs !== undefined && langs !== 'all') {
    if (languages.length === 0) throw new UsageError(`--languages '${langs}': give lid.176 codes such as en,zh, or 'all'`)
    const unknown = await unknownLanguages(languages)
    if (unknown.length) throw new UsageError(`--languages: ${unknown.map((c) => `'${c}'`).join(', ')} ${unknown.length === 1 ? 'is not a lid.176 code' : 'are not lid.176 codes'} (codes such as en, zh, de, fr; or 'all')`)
  }
  return { languages, prefilter: Boolean(values.prefilter) }
}

export async function corpusRun(argv: string[]): Promise<number> {
  const { values } = parse(argv, CORPUS_FLAGS, RUN_USAGE)
  const input = required(values, 'input')
  const out = required(values, 'out')
  const concurrency = intFlag(values, 'concurrency', 2, 1)
  const warcs = await resolveInputs(input, values.base as string | undefined)
  const { model, path: modelPath } = await loadModel(values.model as string | undefined, log)
  const t0 = Date.now()
  const runId = (values['run-id'] as string | undefined) ?? `local-${new Date().toISOString().replace(/[:.]/g, '-')}`
  const { manifest, manifestPath } = await runLocal({ runId, input, warcs, out, model, modelPath, concurrency, stages: await stageOptions(values), filters: filterOptions(values), log })
  if (values.json) process.stdout.write(JSON.stringify(manifest, null, 2) + '\n')
  else printSummary(manifest, manifestPath, (Date.now() - t0) / 1000)
  if (manifest.failed_inputs.length === 0) return 0
  log(`${manifest.failed_inputs.length} of ${warcs.length} WARC files could not be read (failed_inputs in ${manifestPath}):`)
  for (const f of manifest.failed_inputs) log(`  ${f.error}`)
  return 1
}

export function printSummary(m: Manifest, manifestPath: string, seconds: number): void {
  const c = m.counters
  const bad = Object.entries(c.bad_records).map(([k, v]) => `${k}=${v}`).join(', ') || 'none'
  const lines = [
    `run ${m.run_id} (${m.executor}) finished in ${seconds.toFixed(1)} s`,
    `  WARC files     ${m.files.length}${m.failed_inputs.length ? ` (+ ${m.failed_inputs.length} unreadable, skipped)` : ''}`,
    `  records read   ${c.records_read}`,
    `  responses      ${c.responses}`,
    `  HTML pages     ${c.html_pages}`,
    `  dropped        ${Object.entries(c.dropped).map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}`,
    `  docs written   ${c.docs_written}`,
    `  bad records    ${badTotal(c)} (${bad})`,
    `  model          ${m.model}`,
    `wrote:`,
    ...m.shards.map((s) => `  ${s.path}  (${s.rows} rows, ${s.bytes} bytes)`),
    `  ${manifestPath}`,
  ]
  process.stdout.write(lines.join('\n') + '\n')
}
