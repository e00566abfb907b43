// The domain-level recall loop as a Temporal workflow, one per run: each iteration trains the classifier,
// scores every WARC (fan-out; activities heartbeat), collects the top pages, sends the domains where math
// concentrates to review (rules, or a person through an Update), extends the seed and goes on, until the
// collection stops changing. Each iteration's collection is announced on Kafka once, with its iteration number,
// and the final one again as 'corpus.ready'. The steps are src/recall/steps.ts, as in the local executor; the state here is
// small (reports, marked paths), the pages live under --out. Deterministic: no I/O here.
import {
  ApplicationFailure, condition, continueAsNew, defineQuery, defineUpdate, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow'
import { ruleInDomain } from '../src/recall/rule-domain.ts'
import type * as activities from './recall-activities.ts'
import type {
  PendingReview, RecallCarry, RecallPhase, RecallRunInput, RecallRunResult, RecallStatus, ReviewSubmission,
} from './recall-types.ts'

export const recallStatusQuery = defineQuery<RecallStatus>('recallStatus')
export const submitReviewUpdate = defineUpdate<{ accepted: number }, [ReviewSubmission]>('submitReview')

// Every activity heartbeats, so a killed worker's work is retried elsewhere after the heartbeat timeout.
const { recallCollect, recallExtendSeed, recallReport, recallApplyRules, recallInitialSeedSize, recallAnnounce } = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
})
// Training blocks its worker's event loop (and so its heartbeats) while fastText runs.
const { recallTrain } = proxyActivities<typeof activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
})
const { recallScoreWarc } = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 20 },
})

const DAY = 24 * 3600

export async function recallWorkflow(input: RecallRunInput, carry?: RecallCarry): Promise<RecallRunResult> {
  const iterations = carry?.iterations ?? []
  const marked = carry?.marked ?? []
  const reviewed = carry?.reviewed ?? []
  let seedSize = carry?.seedSize ?? 0
  let phase: RecallPhase = 'training'
  let scored = 0
  let pending: PendingReview | null = null
  let answer: ReviewSubmission | null = null
  let converged = false

  setHandler(recallStatusQuery, () => ({
    runId: input.runId, iteration: iterations.length + (phase === 'done' ? 0 : 1), maxIterations: input.params.maxIterations,
    phase, scored, warcs: input.warcs.length, pendingReview: pending, iterations, converged,
  }))
  setHandler(submitReviewUpdate, (submission) => {
    answer = submission
    return { accepted: submission.domains.reduce((n, d) => n + d.mathPaths.length, 0) }
  }, {
    validator: (submission) => {
      // Two reviews of one iteration can both arrive before the workflow takes the first: the second is refused.
      if (answer !== null) throw new Error(`run ${input.runId}: the review of iteration ${pending?.iteration ?? '?'} was already submitted`)
      validateReview(input.runId, pending, submission)
    },
  })
  // Handlers first: a query that arrives with the first workflow task must find them.
  if (!carry) seedSize = await recallInitialSeedSize()

  for (let k = iterations.length + 1; k <= input.params.maxIterations; k++) {
    phase = 'training'
    await recallTrain({ out: input.out, k, warcs: input.warcs, marked, params: input.params })
    phase = 'scoring'
    scored = 0
    await scoreAll(input, k, () => { scored++ })
    phase = 'collecting'
    const got = await recallCollect({ out: input.out, k, warcs: input.warcs, params: input.params, reviewed, labelsPath: input.labelsPath })
    reviewed.push(...got.domains_to_review.map((d) => d.domain))

    let newPaths: string[] = []
    if (got.domains_to_review.length > 0) {
      if (input.reviewRules) {
        newPaths = await recallApplyRules(input.reviewRules, got.domains_to_review)
      } else {
        phase = 'awaiting_review'
        const timeout = input.reviewTimeoutSeconds ?? DAY
        pending = { iteration: k, domains: got.domains_to_review, deadline: new Date(Date.now() + timeout * 1000).toISOString() }
        answer = null
        const answered = await condition(() => answer !== null, timeout * 1000)
        pending = null
        if (!answered && input.onReviewTimeout === 'fail') {
          throw ApplicationFailure.nonRetryable(`run ${input.runId}: no review of iteration ${k} within ${timeout} s`, 'ReviewTimeout')
        }
        newPaths = answered ? answer!.domains.flatMap((d) => d.mathPaths) : []
      }
    }
    newPaths = newPaths.filter((p, i) => !marked.includes(p) && newPaths.indexOf(p) === i)
    marked.push(...newPaths)
    phase = 'extending_seed'
    const added = await recallExtendSeed({ out: input.out, k, warcs: input.warcs, marked })
    const { domains_to_review, ...rest } = got
    iterations.push({ ...rest, iteration: k, seed_positives: seedSize, seed_added: added, domains_to_review: domains_to_review.map((d) => d.domain), math_paths_marked: newPaths })
    seedSize += added
    await recallAnnounce({ out: input.out, runId: input.runId, k, kind: 'shard' })
    await recallReport({ out: input.out, runId: input.runId, iterations, converged: false })
    const last = iterations[iterations.length - 1]
    if (last.overlap_with_previous !== null && last.overlap_with_previous >= input.params.stopOverlap && last.seed_added === 0) {
      converged = true
      break
    }
    if (k < input.params.maxIterations && workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof recallWorkflow>(input, { iterations, marked, reviewed, seedSize })
    }
  }
  await recallAnnounce({ out: input.out, runId: input.runId, k: iterations.length, kind: 'corpus.ready' })
  phase = 'done'
  const report = await recallReport({ out: input.out, runId: input.runId, iterations, converged })
  return { runId: input.runId, converged, iterations, collectionPath: report.collection, reportPath: report.report }
}

async function scoreAll(input: RecallRunInput, k: number, onScored: () => void): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < input.warcs.length) {
      const warc = input.warcs[next++]
      await recallScoreWarc({ out: input.out, k, warc })
      onScored()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency ?? 4, input.warcs.length)) }, lane))
}

/** Rejects, with the reason, a review for another run or iteration, of a domain not under review, or of a path outside its domain. */
export function validateReview(runId: string, pending: PendingReview | null, s: ReviewSubmission): void {
  if (s.runId !== runId) throw new Error(`unknown run '${s.runId}': this is run '${runId}'`)
  if (!pending) throw new Error(`run ${runId} is not waiting for a review`)
  if (s.iteration !== pending.iteration) throw new Error(`run ${runId} awaits the review of iteration ${pending.iteration}, not ${s.iteration}`)
  const underReview = new Set(pending.domains.map((d) => d.domain))
  for (const d of s.domains) {
    if (!underReview.has(d.domain)) throw new Error(`domain '${d.domain}' is not under review in iteration ${pending.iteration} (under review: ${[...underReview].join(', ')})`)
    for (const path of d.mathPaths) {
      if (!ruleInDomain(path, d.domain)) throw new Error(`path '${path}' is not a host/path prefix under domain '${d.domain}'`)
    }
  }
  const missing = [...underReview].filter((d) => !s.domains.some((x) => x.domain === d))
  if (missing.length > 0) throw new Error(`the review leaves out ${missing.join(', ')}: give every domain under review, with no paths when none is math`)
}
