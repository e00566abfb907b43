import { readFile } from 'node:fs/promises'
import { writeSampleCrawl } from '../recall/sample-crawl.ts'
import { runRecallLocal } from '../recall/loop.ts'
import { writeRecallReport } from '../recall/report.ts'
import { loadReviewRules, rulesForDomains } from '../recall/rules.ts'
import type { DomainStat, RecallParams } from '../recall/steps.ts'
import { resolveInputs } from '../pipeline/inputs.ts'
import { intFlag, log, parse, required, UsageError } from './args.ts'

const SAMPLE_USAGE = `
dsmath sample-crawl --out DIR [--pages N] [--seed S]
Writes a realistic labelled crawl built from the real pages in sample/crawl: gzip WARCs (request, response
and metadata records) under DIR/warc, DIR/labels.tsv (url TAB math|other) and DIR/review-rules.yaml (the
crawl's true math URL paths). Deterministic for a seed.
`

export async function sampleCrawl(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' }, pages: { type: 'string' }, seed: { type: 'string' } }, SAMPLE_USAGE)
  const out = required(values, 'out')
  const pages = values.pages === undefined ? undefined : intFlag(values, 'pages', 0, 1)
  const res = await writeSampleCrawl(out, intFlag(values, 'seed', 1), pages)
  log(`${res.pages} pages in ${res.warcs.length} WARCs -> ${out} (labels.tsv, review-rules.yaml)`)
  return 0
}

const RUN_USAGE = `
dsmath recall run --input CRAWL --out DIR --review-rules RULES.yaml [--labels FILE] [--json] [options]
DeepSeekMath's domain-level recall loop, local executor. Each iteration trains the fastText classifier on the
seed (plus pages joined through review) against random crawl pages, scores every page, collects the top
ones, sends domains with more than --domain-share of their pages collected to review, adds the uncollected
pages under the reviewed math paths to the seed, and retrains, until --stop-overlap.
  --input CRAWL          WARCs (file, directory, glob, s3:// prefix, warc.paths.gz)
  --review-rules R       YAML 'math:' list of host/path prefixes, standing in for a reviewer
  --labels FILE          url TAB math|other: adds recall and precision per iteration
  --max-iterations N     (default 5)      --stop-overlap F (default 0.98)
  --domain-share F       (default 0.1)    --min-score F    (default 0.5)
  --token-budget N       keep the top pages up to N tokens (default: no limit)
  --epoch N              classifier epochs (default 5: the paper's 3 are sized for ~1M seed examples)
  --lr F                 classifier learning rate (default 0.1, the paper's)
  --json                 print the summary as JSON
  --run-id ID            run id in the report (default recall-<time>)
Writes DIR/iterations/<k>/ (model, scores, collection.parquet, pages added to the seed), DIR/report.json and
DIR/report.html (plots).
`

function floatFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} must be a number in [0, 1], got '${String(v)}'`)
  return n
}

export async function loadLabels(path: string): Promise<Map<string, string>> {
  const text = await readFile(path, 'utf8').catch(() => { throw new Error(`--labels ${path}: cannot read the file`) })
  const labels = new Map<string, string>()
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue
    const [url, label] = line.split('\t')
    if (!url || (label !== 'math' && label !== 'other')) throw new Error(`--labels ${path}: line ${i + 1} is not 'url<TAB>math|other'`)
    labels.set(url, label)
  }
  return labels
}

export const RECALL_FLAGS = {
  input: { type: 'string' }, out: { type: 'string' }, labels: { type: 'string' }, 'review-rules': { type: 'string' }, json: { type: 'boolean' },
  'max-iterations': { type: 'string' }, 'stop-overlap': { type: 'string' }, 'domain-share': { type: 'string' }, 'min-score': { type: 'string' },
  'token-budget': { type: 'string' }, seed: { type: 'string' }, epoch: { type: 'string' }, lr: { type: 'string' }, 'run-id': { type: 'string' },
} as const

export function recallParams(values: Record<string, unknown>): RecallParams {
  return {
    seed: intFlag(values, 'seed', 1),
    maxIterations: intFlag(values, 'max-iterations', 5, 1), stopOverlap: floatFlag(values, 'stop-overlap', 0.98),
    domainShare: floatFlag(values, 'domain-share', 0.1), minScore: floatFlag(values, 'min-score', 0.5),
    ...(values['token-budget'] === undefined ? {} : { tokenBudget: intFlag(values, 'token-budget', 0, 1) }),
    trainParams: {
      ...(values.epoch === undefined ? {} : { epoch: intFlag(values, 'epoch', 3, 1) }),
      ...(values.lr === undefined ? {} : { lr: Number(values.lr) }),
    },
  }
}

export async function recallRun(argv: string[]): Promise<number> {
  const { values } = parse(argv, RECALL_FLAGS, RUN_USAGE)
  const out = required(values, 'out')
  if (!values['review-rules']) throw new UsageError('missing --review-rules (a person reviews through recall submit: dsmath review serve, or review list|mark|submit)')
  const rules = await loadReviewRules(String(values['review-rules']))
  const labels = values.labels ? await loadLabels(String(values.labels)) : undefined
  const params = recallParams(values)
  const warcs = await resolveInputs(required(values, 'input'))
  const t0 = Date.now()
  const review = async (domains: DomainStat[]): Promise<string[]> => rulesForDomains(rules.math, domains)
  const result = await runRecallLocal({ warcs, out, params, review, labels, log })
  const runId = (values['run-id'] as string | undefined) ?? `recall-${new Date().toISOString().replace(/[:.]/g, '-')}`
  const summary = await writeRecallReport(out, runId, result, (Date.now() - t0) / 1000)
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
  else process.stdout.write(`${result.iterations.length} iterations, ${result.converged ? 'converged' : 'stopped at the maximum'}; ${summary.pages_collected} pages collected\n  ${summary.collection}\n  ${summary.report}\n`)
  return 0
}
