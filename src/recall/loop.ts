// DeepSeekMath's domain-level recall loop (paper, section 2.1), local executor:
//   train the classifier on the seed -> score the pool -> collect the top pages -> domains where more than
//   10% of pages were collected go to review -> uncollected pages under the reviewed math paths join the
//   seed -> retrain, until an iteration's collection overlaps the previous one by >= 98%.
// The steps are those of the Temporal workflow (steps.ts); this runs them in order in one process.
import { readSeed } from '../fasttext/default-model.ts'
import {
  collectStep, DEFAULT_RECALL_PARAMS, extendSeedStep, loadPool, scoreStep, trainStep,
  type CollectResult, type DomainStat, type RecallParams,
} from './steps.ts'

export interface IterationReport extends Omit<CollectResult, 'domains_to_review'> {
  iteration: number
  seed_positives: number
  seed_added: number
  domains_to_review: string[]
  math_paths_marked: string[]
}

export interface RecallResult { iterations: IterationReport[]; converged: boolean; pool: number; finalIteration: number }

export interface LocalRecallOptions {
  warcs: string[]
  out: string
  params?: Partial<RecallParams>
  /** Marks math paths for the domains sent to review (review rules standing in for a reviewer). */
  review: (domains: DomainStat[]) => Promise<string[]>
  labels?: Map<string, string>
  log?: (msg: string) => void
}

/** Seed documents before any review: the bundled seed's positives. */
export const INITIAL_SEED_SIZE = (): number => readSeed('positives.jsonl.gz').length

export async function runRecallLocal(opts: LocalRecallOptions): Promise<RecallResult> {
  const params = { ...DEFAULT_RECALL_PARAMS, ...opts.params }
  const pool = await loadPool(opts.warcs)
  opts.log?.(`pool: ${pool.length} HTML pages from ${opts.warcs.length} WARCs`)
  const marked: string[] = []
  const reviewed: string[] = []
  const iterations: IterationReport[] = []
  let seedSize = INITIAL_SEED_SIZE()
  let converged = false
  for (let k = 1; k <= params.maxIterations; k++) {
    await trainStep(opts.out, k, pool, marked, params)
    for (const warc of opts.warcs) await scoreStep(opts.out, k, warc)
    const got = await collectStep(opts.out, k, opts.warcs, params, reviewed, opts.labels)
    const domains = got.domains_to_review
    reviewed.push(...domains.map((d) => d.domain))
    const newPaths = domains.length > 0 ? (await opts.review(domains)).filter((p) => !marked.includes(p)) : []
    marked.push(...newPaths)
    const added = await extendSeedStep(opts.out, k, pool, marked)
    const report: IterationReport = { ...got, iteration: k, seed_positives: seedSize, seed_added: added, domains_to_review: domains.map((d) => d.domain), math_paths_marked: newPaths }
    iterations.push(report)
    seedSize += added
    opts.log?.(describeIteration(report))
    if (isConverged(report, params)) { converged = true; break }
  }
  return { iterations, converged, pool: pool.length, finalIteration: iterations.length }
}

/** The stop rule: the collection barely changed and review added nothing new to learn from. */
export function isConverged(report: { overlap_with_previous: number | null; seed_added: number }, params: RecallParams): boolean {
  return report.overlap_with_previous !== null && report.overlap_with_previous >= params.stopOverlap && report.seed_added === 0
}

export function describeIteration(r: IterationReport): string {
  const quality = r.recall !== undefined ? `, recall ${r.recall.toFixed(3)} precision ${r.precision!.toFixed(3)}` : ''
  return `iteration ${r.iteration}: seed ${r.seed_positives}, collected ${r.pages_collected} pages / ${r.tokens_collected} tokens, ` +
    `overlap ${r.overlap_with_previous === null ? '-' : r.overlap_with_previous.toFixed(3)}, review ${r.domains_to_review.length} domains, ` +
    `+${r.seed_added} seed pages${quality}`
}
