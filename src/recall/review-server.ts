// The review page (`dsmath review serve`): the recall runs waiting for a review, each domain with its page
// counts, score distribution and sampled URLs as a path tree with check boxes; submitting sends a Temporal
// Update to the run, which validates it and goes on (or answers why not).
//   GET  /                         the page
//   GET  /api/reviews              [{run, iteration, deadline, domains: [{domain, pages, collected, share, score_histogram, tree}]}]
//   POST /api/reviews/<run>        {iteration, paths: [host/path, ...]} -> {accepted} | 400 {error}
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Client } from '@temporalio/client'
import { connectClient } from '../../workflows/client.ts'
import { recallStatus, runningRecalls, submitReview } from '../../workflows/recall-client.ts'
import type { PendingReview, ReviewSubmission } from '../../workflows/recall-types.ts'
import { pathTree } from './path-tree.ts'

export interface ReviewServer { url: string; close(): Promise<void> }

export async function startReviewServer(port: number, host = '127.0.0.1'): Promise<ReviewServer> {
  const client = await connectClient()
  const server = createServer((req, res) => {
    handle(client, req, res).catch((err) => send(res, 500, { error: (err as Error).message }))
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve))
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://${host}:${bound}/`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await client.connection.close()
    },
  }
}

async function handle(client: Client, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (req.method === 'GET' && url.pathname === '/') return sendHtml(res, PAGE)
  if (req.method === 'GET' && url.pathname === '/api/reviews') return send(res, 200, await pendingReviews(client))
  const post = /^\/api\/reviews\/([^/]+)$/.exec(url.pathname)
  if (req.method === 'POST' && post) {
    const runId = decodeURIComponent(post[1])
    let body: { iteration?: unknown; paths?: unknown }
    try {
      body = JSON.parse(await readBody(req))
    } catch {
      return send(res, 400, { error: 'the body is not JSON' })
    }
    if (typeof body.iteration !== 'number' || !Array.isArray(body.paths) || !body.paths.every((p) => typeof p === 'string')) {
      return send(res, 400, { error: 'expected {"iteration": number, "paths": [string, ...]}' })
    }
    try {
      const status = await recallStatus(client, runId)
      const submission = toSubmission(runId, body.iteration, body.paths as string[], status.pendingReview)
      return send(res, 200, await submitReview(client, submission))
    } catch (err) {
      return send(res, 400, { error: (err as Error).message })
    }
  }
  send(res, 404, { error: `no ${req.method} ${url.pathname}` })
}

/** Every domain under review, with the ticked paths under it; the workflow validates the rest. */
function toSubmission(runId: string, iteration: number, paths: string[], pending: PendingReview | null): ReviewSubmission {
  const domains = (pending?.domains ?? []).map((d) => ({
    domain: d.domain,
    mathPaths: paths.filter((p) => { const host = p.slice(0, p.indexOf('/')); return host === d.domain || host.endsWith(`.${d.domain}`) }),
  }))
  const placed = new Set(domains.flatMap((d) => d.mathPaths))
  const stray = paths.filter((p) => !placed.has(p))
  if (stray.length > 0) domains.push({ domain: stray[0].slice(0, stray[0].indexOf('/')) || stray[0], mathPaths: stray })
  return { runId, iteration, domains }
}

async function pendingReviews(client: Client): Promise<object[]> {
  const out = []
  for (const run of await runningRecalls(client)) {
    const status = await recallStatus(client, run).catch(() => undefined)
    const p = status?.pendingReview
    if (!p) continue
    out.push({ run, iteration: p.iteration, deadline: p.deadline, domains: p.domains.map((d) => ({ ...d, tree: pathTree(d.sample_urls) })) })
  }
  return out
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.on('data', (c) => { body += c; if (body.length > 1e6) req.destroy(new Error('body too large')) })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function sendHtml(res: ServerResponse, html: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
}

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>dsmath review</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:60em}h2{margin-top:1.5em}.domain{border:1px solid #ccc;padding:.5em 1em;margin:1em 0}
ul{list-style:none;padding-left:1.2em}.hist{display:inline-flex;align-items:flex-end;height:30px;gap:1px;vertical-align:middle}
.hist span{width:8px;background:#4a7}.meta{color:#555}#result{margin-top:1em;font-weight:bold}.error{color:#b00}.ok{color:#070}
</style></head><body>
<h1>Domains awaiting review</h1>
<p class="meta">Tick the URL paths whose pages are math; their pages not yet collected join the seed. Unticked domains are sent as not math.</p>
<div id="reviews">loading…</div>
<div id="result"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))
function tree(nodes) {
  if (!nodes.length) return ''
  return '<ul>' + nodes.map((n) => '<li><label><input type="checkbox" name="path" value="' + esc(n.prefix) + '"> ' + esc(n.prefix) +
    ' <span class="meta">(' + n.pages + ' pages)</span></label>' + tree(n.children) + '</li>').join('') + '</ul>'
}
function hist(h) {
  if (!h) return ''
  const max = Math.max(1, ...h)
  return '<span class="hist" title="math_score 0 to 1">' + h.map((v) => '<span style="height:' + Math.round(30 * v / max) + 'px"></span>').join('') + '</span>'
}
async function load() {
  const reviews = await (await fetch('/api/reviews')).json()
  const root = document.getElementById('reviews')
  if (!reviews.length) { root.innerHTML = '<p id="none">No run is waiting for a review.</p>'; return }
  root.innerHTML = reviews.map((r) => '<form class="review" data-run="' + esc(r.run) + '" data-iteration="' + r.iteration + '"><h2>Run ' + esc(r.run) +
    ', iteration ' + r.iteration + '</h2><p class="meta">review by ' + esc(r.deadline) + '</p>' +
    r.domains.map((d) => '<div class="domain"><h3>' + esc(d.domain) + '</h3><p class="meta">' + d.pages + ' pages, ' + d.collected +
      ' collected (' + Math.round(d.share * 100) + '%) ' + hist(d.score_histogram) + '</p>' + tree(d.tree) + '</div>').join('') +
    '<button type="submit">Submit review</button></form>').join('')
  for (const form of document.querySelectorAll('form.review')) form.addEventListener('submit', submit)
}
async function submit(ev) {
  ev.preventDefault()
  const form = ev.target
  const paths = [...form.querySelectorAll('input[name=path]:checked')].map((i) => i.value)
  const res = await fetch('/api/reviews/' + encodeURIComponent(form.dataset.run), {
    method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({ iteration: Number(form.dataset.iteration), paths }),
  })
  const body = await res.json()
  const out = document.getElementById('result')
  out.className = res.ok ? 'ok' : 'error'
  out.textContent = res.ok ? 'Submitted: ' + body.accepted + ' math path(s) accepted; the run goes on.' : 'Rejected: ' + body.error
  if (res.ok) form.remove()
}
load()
</script></body></html>
`
