// `dsmath review list|mark|submit|serve`: a person reviews the domains a recall run sent to review.
import { readFile, writeFile, rm } from 'node:fs/promises'
import type { Client } from '@temporalio/client'
import { connectClient } from '../../workflows/client.ts'
import { recallStatus, runningRecalls, submitReview } from '../../workflows/recall-client.ts'
import type { PendingReview, ReviewSubmission } from '../../workflows/recall-types.ts'
import { pathTree, renderTree } from '../recall/path-tree.ts'
import { startReviewServer } from '../recall/review-server.ts'
import { intFlag, log, parse, UsageError } from './args.ts'

const USAGE = `
dsmath review list [--run RUN] [--json]            domains awaiting review: pages, share collected, path tree
dsmath review mark --run RUN --path HOST/PATH ...   note math paths (kept in .dsmath-review-RUN.json)
dsmath review submit --run RUN [--path HOST/PATH ...]   send the noted (and given) paths; every other domain
                                                    under review is sent with no math path
dsmath review serve [--port P]                      the review page at http://127.0.0.1:P (default 8234)
Paths are host plus path prefix, as in review rules: www.example.edu/math/ ; '*' may stand for one host label.
`

const draftFile = (runId: string): string => `.dsmath-review-${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`

async function readDraft(runId: string): Promise<string[]> {
  try {
    return JSON.parse(await readFile(draftFile(runId), 'utf8')) as string[]
  } catch {
    return []
  }
}

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connectClient()
  try {
    return await fn(client)
  } finally {
    await client.connection.close()
  }
}

async function pendingOf(client: Client, runId: string): Promise<PendingReview> {
  const status = await recallStatus(client, runId)
  if (!status.pendingReview) throw new UsageError(`run ${runId} is not waiting for a review (phase: ${status.phase})`)
  return status.pendingReview
}

/** Groups paths under the domains of a pending review; every domain appears. */
export function buildSubmission(runId: string, pending: PendingReview, paths: string[]): ReviewSubmission {
  const domainOfPath = (p: string): string => {
    if (!p.includes('/')) throw new UsageError(`path '${p}' must be HOST/PATH, such as ${p}/ (the whole site) or ${p}/math/`)
    const host = p.slice(0, p.indexOf('/')).toLowerCase().replace(/^\*\./, '')
    const d = pending.domains.find((x) => host === x.domain || host.endsWith(`.${x.domain}`))
    if (!d) throw new UsageError(`path '${p}' is under none of the domains awaiting review (${pending.domains.map((x) => x.domain).join(', ')})`)
    return d.domain
  }
  const byDomain = new Map(pending.domains.map((d) => [d.domain, [] as string[]]))
  for (const p of paths) byDomain.get(domainOfPath(p))!.push(p)
  return { runId, iteration: pending.iteration, domains: [...byDomain].map(([domain, mathPaths]) => ({ domain, mathPaths })) }
}

export async function reviewCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE.trim() + '\n')
    return sub === undefined ? 2 : 0
  }
  const { values } = parse(rest, { run: { type: 'string' }, path: { type: 'string', multiple: true }, json: { type: 'boolean' }, port: { type: 'string' } }, USAGE)
  const runId = values.run as string | undefined
  const paths = (values.path as unknown as string[] | undefined) ?? []
  const needRun = (): string => { if (!runId) throw new UsageError('missing required flag --run'); return runId }
  switch (sub) {
    case 'list': return withClient(async (client) => {
      const runs = runId ? [runId] : await runningRecalls(client)
      const listing = []
      for (const r of runs) {
        const status = await recallStatus(client, r)
        if (status.pendingReview) listing.push({ run: r, ...status.pendingReview })
      }
      if (values.json) process.stdout.write(JSON.stringify(listing, null, 2) + '\n')
      else process.stdout.write(listing.length === 0 ? 'no run is waiting for a review\n' : listing.map(renderPending).join('\n') + '\n')
      return 0
    })
    case 'mark': {
      const r = needRun()
      if (paths.length === 0) throw new UsageError('missing --path HOST/PATH')
      const draft = [...new Set([...(await readDraft(r)), ...paths])]
      await writeFile(draftFile(r), JSON.stringify(draft) + '\n')
      log(`marked ${draft.length} path(s) for run ${r}: ${draft.join(', ')} (send with: dsmath review submit --run ${r})`)
      return 0
    }
    case 'submit': return withClient(async (client) => {
      const r = needRun()
      const submission = buildSubmission(r, await pendingOf(client, r), [...new Set([...(await readDraft(r)), ...paths])])
      const { accepted } = await submitReview(client, submission)
      await rm(draftFile(r), { force: true })
      log(`review of run ${r}, iteration ${submission.iteration}: ${accepted} math path(s) accepted; the run goes on`)
      return 0
    })
    case 'serve': {
      const server = await startReviewServer(intFlag(values, 'port', 8234, 0))
      log(`review page at ${server.url}`)
      await new Promise(() => {}) // until killed
      return 0
    }
    default:
      throw new UsageError(`unknown review command '${sub ?? ''}': list, mark, submit or serve (see --help)`)
  }
}

function renderPending(p: PendingReview & { run: string }): string {
  return [`run ${p.run}, iteration ${p.iteration} (review by ${p.deadline}):`,
    ...p.domains.map((d) => [`  ${d.domain}: ${d.pages} pages, ${d.collected} collected (${(d.share * 100).toFixed(0)}%)`, ...renderTree(pathTree(d.sample_urls), 1, 5)].join('\n'))].join('\n')
}
