// `dsmath recall submit` and `dsmath recall status`: the recall loop as a Temporal workflow.
import { connectClient } from '../../workflows/client.ts'
import { recallResult, recallStatus, recallWorkflowId, startRecall } from '../../workflows/recall-client.ts'
import type { RecallStatus, ReviewTimeoutPolicy } from '../../workflows/recall-types.ts'
import { describeIteration } from '../recall/loop.ts'
import { loadReviewRules } from '../recall/rules.ts'
import { resolveInputs } from '../pipeline/inputs.ts'
import { intFlag, log, parse, required, UsageError } from './args.ts'
import { RECALL_FLAGS, recallParams } from './recall.ts'

const SUBMIT_USAGE = `
dsmath recall submit --input CRAWL --out DIR [--review-rules R.yaml] [--wait] [options]
Starts the domain-level recall loop as a Temporal workflow (workflow id recall-<run id>; Temporal at
$DSMATH_TEMPORAL_ADDRESS, workers: dsmath worker). Flags as for 'recall run', plus:
  --review-rules R       unattended: the rules stand in for the reviewer. Without them each iteration with
                         domains to review waits for a person: dsmath review serve, or review list|mark|submit
  --review-timeout S     how long a review may take (default 86400)
  --on-review-timeout P  skip (go on with no math path marked; default) or fail (fail the run)
  --concurrency N        WARCs scored at once (default 4)
  --wait                 wait for the run to end and print its summary
Workers must read --input and --labels and write --out (use s3:// for many machines).
`

export async function recallSubmit(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...RECALL_FLAGS, wait: { type: 'boolean' }, 'review-timeout': { type: 'string' }, 'on-review-timeout': { type: 'string' }, concurrency: { type: 'string' },
  }, SUBMIT_USAGE)
  const out = required(values, 'out')
  const policy = (values['on-review-timeout'] ?? 'skip') as ReviewTimeoutPolicy
  if (policy !== 'skip' && policy !== 'fail') throw new UsageError(`--on-review-timeout must be skip or fail, got '${String(policy)}'`)
  const rules = values['review-rules'] ? (await loadReviewRules(String(values['review-rules']))).math : undefined
  const warcs = await resolveInputs(required(values, 'input'))
  const runId = (values['run-id'] as string | undefined) ?? `recall-${new Date().toISOString().replace(/[:.]/g, '-')}`
  const client = await connectClient()
  try {
    const workflowId = await startRecall(client, {
      runId, warcs, out, params: recallParams(values), reviewRules: rules,
      reviewTimeoutSeconds: intFlag(values, 'review-timeout', 86400, 1), onReviewTimeout: policy,
      labelsPath: values.labels as string | undefined, concurrency: intFlag(values, 'concurrency', 4, 1),
    })
    if (!values.wait) {
      process.stdout.write(values.json ? JSON.stringify({ workflowId, runId }) + '\n' : `submitted ${workflowId} (run ${runId}); follow it with: dsmath recall status ${runId}\n`)
      return 0
    }
    const result = await recallResult(client, runId)
    if (values.json) process.stdout.write(JSON.stringify({ workflowId, ...result }, null, 2) + '\n')
    else process.stdout.write([...result.iterations.map(describeIteration), `${result.converged ? 'converged' : 'stopped at the maximum'}`, `  ${result.collectionPath}`, `  ${result.reportPath}`].join('\n') + '\n')
    return 0
  } finally {
    await client.connection.close()
  }
}

const STATUS_USAGE = `
dsmath recall status RUN [--json] [--follow]
Live progress of a recall run (a Temporal query): iteration, phase, WARCs scored, a review awaited.
  --follow   redraw every 2 s until the run is done
`

export async function recallStatusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, follow: { type: 'boolean' } }, STATUS_USAGE)
  const runId = positionals[0]
  if (!runId) throw new UsageError('missing RUN (the run id given to or printed by recall submit)')
  const client = await connectClient()
  try {
    for (;;) {
      const status = await recallStatus(client, runId)
      if (values.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n')
      else process.stdout.write(renderStatus(status) + '\n')
      if (status.phase === 'done') return 0
      // A failed, cancelled or terminated run still answers queries with its last phase: say how it ended.
      const run = await client.workflow.getHandle(recallWorkflowId(runId)).describe()
      if (run.status.name !== 'RUNNING') {
        log(`run ${runId} ended ${run.status.name}${run.status.name === 'COMPLETED' ? '' : ' (see temporal workflow show -w ' + recallWorkflowId(runId) + ')'}`)
        return run.status.name === 'COMPLETED' ? 0 : 1
      }
      if (!values.follow) return 0
      await new Promise((r) => setTimeout(r, 2000))
    }
  } finally {
    await client.connection.close()
  }
}

export function progressBar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
}

export function renderStatus(s: RecallStatus): string {
  const lines = [
    `run ${s.runId}: iteration ${s.iteration}/${s.maxIterations}, ${s.phase}${s.converged ? ' (converged)' : ''}`,
    `  WARCs scored ${progressBar(s.phase === 'scoring' ? s.scored : s.phase === 'training' ? 0 : s.warcs, s.warcs)}`,
    ...(s.pendingReview ? [`  awaiting review of iteration ${s.pendingReview.iteration} until ${s.pendingReview.deadline}: ${s.pendingReview.domains.map((d) => d.domain).join(', ')}`] : []),
    ...s.iterations.map((i) => `  ${describeIteration(i)}`),
  ]
  return lines.join('\n')
}
