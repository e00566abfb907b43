// A person reviews in the browser: headless Chromium (Debian's, driven by Playwright) opens the review page,
// ticks the math paths and submits; the workflow validates the Update and goes on. Bad reviews are rejected
// with the reason.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeSampleCrawl } from '../../src/recall/sample-crawl.ts'
import { connectClient } from '../../workflows/client.ts'
import { recallResult, recallStatus, submitReview } from '../../workflows/recall-client.ts'
import { runCli, startCli } from '../helpers.ts'

const taskQueue = `it-review-${Date.now()}`
const children: Awaited<ReturnType<typeof startCli>>[] = []
let browser: Browser
let crawl: string

beforeAll(async () => {
  crawl = await mkdtemp(join(tmpdir(), 'dsmath-it-review-'))
  await writeSampleCrawl(crawl, 1)
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})
afterAll(async () => {
  await browser?.close()
  for (const c of children) c.kill('SIGKILL')
})

describe('review of a recall run', () => {
  it('rejects bad reviews with the reason, and takes a real review made on the page in Chromium', { timeout: 240_000 }, async () => {
    children.push(await startCli(['worker', '--task-queue', taskQueue], /worker ready/))
    const server = await startCli(['review', 'serve', '--port', '0'], /review page at/)
    children.push(server)
    const pageUrl = /review page at (\S+)/.exec(server.output())![1]
    const runId = `it-review-${Date.now()}`
    const submitted = await runCli(['recall', 'submit', '--input', join(crawl, 'warc'), '--out', join(crawl, 'out'), '--labels', join(crawl, 'labels.tsv'),
      '--run-id', runId, '--max-iterations', '2'], { DSMATH_TASK_QUEUE: taskQueue })
    expect(submitted.code, submitted.stderr).toBe(0)

    const client = await connectClient()
    let pending = null
    for (let i = 0; i < 600 && !pending; i++) {
      pending = (await recallStatus(client, runId)).pendingReview
      if (!pending) await new Promise((r) => setTimeout(r, 200))
    }
    expect(pending?.iteration).toBe(1)
    const domains = pending!.domains.map((d) => ({ domain: d.domain, mathPaths: [] as string[] }))
    await expect(submitReview(client, { runId: 'no-such-run', iteration: 1, domains })).rejects.toThrow(/unknown run 'no-such-run'/)
    await expect(submitReview(client, { runId, iteration: 2, domains })).rejects.toThrow(/awaits the review of iteration 1, not 2/)
    await expect(submitReview(client, { runId, iteration: 1, domains: [...domains, { domain: 'example.com', mathPaths: [] }] }))
      .rejects.toThrow(/domain 'example.com' is not under review/)
    await expect(submitReview(client, { runId, iteration: 1, domains: domains.map((d) => ({ ...d, mathPaths: d.domain === 'planetmath.org' ? ['evil.org/math/'] : [] })) }))
      .rejects.toThrow(/path 'evil.org\/math\/' is not a host\/path prefix under domain 'planetmath.org'/)
    const viaApi = await fetch(`${pageUrl}api/reviews/${runId}`, { method: 'POST', body: JSON.stringify({ iteration: 1, paths: ['elsewhere.net/x/'] }) })
    expect(viaApi.status).toBe(400)
    expect((await viaApi.json()).error).toMatch(/domain 'elsewhere.net' is not under review/)
    expect((await recallStatus(client, runId)).pendingReview?.iteration).toBe(1) // still waiting

    const page = await browser.newPage()
    await page.goto(pageUrl)
    const form = page.locator(`form.review[data-run="${runId}"]`)
    await form.waitFor()
    expect(await form.locator('.domain h3').allTextContents()).toEqual(pending!.domains.map((d) => d.domain))
    // The reviewer ticks the crawl's true math paths (its review-rules.yaml) of the domains awaiting review.
    const truePaths = ['planetmath.org/', 'mathoverflow.net/questions/', 'www.state-university.edu/math/', 'forum.homework-help.com/boards/math/']
    const toTick = truePaths.filter((path) => pending!.domains.some((d) => path.startsWith(`${d.domain}/`))).sort()
    expect(toTick.length).toBeGreaterThanOrEqual(2)
    for (const path of toTick) await form.locator(`input[value="${path}"]`).check()
    await form.locator('button[type=submit]').click()
    await page.locator('#result.ok').waitFor()
    expect(await page.locator('#result').textContent()).toMatch(new RegExp(`${toTick.length} math path\\(s\\) accepted`))

    // Iteration 2 may send a domain found only then (the forum's math board) to review: reviewed in the terminal's way.
    for (let i = 0; i < 900; i++) {
      const status = await recallStatus(client, runId)
      if (status.pendingReview?.iteration === 2) {
        await submitReview(client, { runId, iteration: 2, domains: status.pendingReview.domains.map((d) => ({
          domain: d.domain, mathPaths: truePaths.filter((path) => path.startsWith(`${d.domain}/`)) })) })
        break
      }
      if (status.phase === 'done' || status.iteration > 2) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const result = await recallResult(client, runId)
    await client.connection.close()
    expect(result.iterations[0].math_paths_marked.sort()).toEqual(toTick)
    expect(result.iterations[0].seed_added).toBeGreaterThan(50)
    expect(result.iterations[1].recall).toBeGreaterThan(result.iterations[0].recall!)
  })
})
