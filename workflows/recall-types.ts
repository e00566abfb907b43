// Plain data passed between the recall workflow, its activities, the CLI and the review page.
import type { CollectResult, DomainStat, RecallParams } from '../src/recall/steps.ts'
import type { IterationReport } from '../src/recall/loop.ts'

export type ReviewTimeoutPolicy = 'skip' | 'fail'

export interface RecallRunInput {
  runId: string
  /** WARC locations, resolved by the client. */
  warcs: string[]
  out: string
  params: RecallParams
  /** Review rules standing in for a reviewer (unattended runs); without them the run waits for a review. */
  reviewRules?: string[]
  /** How long a review may take before the policy applies (default 24 h). */
  reviewTimeoutSeconds?: number
  /** skip: go on with no path marked; fail: fail the run. */
  onReviewTimeout?: ReviewTimeoutPolicy
  /** url TAB math|other, for recall and precision in the reports. */
  labelsPath?: string
  /** WARCs scored at once. */
  concurrency?: number
}

/** What a run carries over continue-as-new. */
export interface RecallCarry {
  iterations: IterationReport[]
  marked: string[]
  reviewed: string[]
  seedSize: number
}

export type RecallPhase = 'training' | 'scoring' | 'collecting' | 'awaiting_review' | 'extending_seed' | 'done'

export interface PendingReview {
  iteration: number
  domains: DomainStat[]
  deadline: string
}

export interface RecallStatus {
  runId: string
  iteration: number
  maxIterations: number
  phase: RecallPhase
  scored: number
  warcs: number
  pendingReview: PendingReview | null
  iterations: IterationReport[]
  converged: boolean
}

/** A reviewer's answer for one iteration: the math URL prefixes (host + path) of the domains under review. */
export interface ReviewSubmission {
  runId: string
  iteration: number
  /** Every domain under review must appear, with [] when none of its paths is math. */
  domains: { domain: string; mathPaths: string[] }[]
}

export interface RecallRunResult {
  runId: string
  converged: boolean
  iterations: IterationReport[]
  collectionPath: string
  reportPath: string
}

export type { CollectResult }
