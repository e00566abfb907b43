import { fileURLToPath } from 'node:url'
import { readFile, rm } from 'node:fs/promises'
import type { Manifest } from '../shard/manifest.ts'
import { decodeParquet } from '../shard/parquet.ts'
import { scoreReport } from '../shard/stats.ts'
import { corpusRun } from './corpus.ts'
import { recallRun, sampleCrawl } from './recall.ts'
import { parse } from './args.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const USAGE = `
dsmath demo [--out DIR]
With the local executor (no servers): runs the corpus job on the sample WARCs in sample/warc, then writes the
sample crawl (sample-crawl) and runs the domain-level recall loop on it, review rules standing in for the
reviewer; prints summaries and the paths it wrote. Default output: out/demo.
`

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' } }, USAGE)
  const out = (values.out as string | undefined) ?? `${REPO}out/demo`
  await rm(out, { recursive: true, force: true })
  const code = await corpusRun(['--input', `${REPO}sample/warc`, '--out', out, '--run-id', 'demo'])
  if (code !== 0) return code
  const manifest = JSON.parse(await readFile(`${out}/manifest.json`, 'utf8')) as Manifest
  const rows = (await Promise.all(manifest.shards.map(async (s) => decodeParquet(await readFile(s.path))))).flat()
  process.stdout.write(scoreReport(rows))
  return recallDemo(`${out}/recall`)
}

async function recallDemo(out: string): Promise<number> {
  const crawl = `${out}/crawl`
  process.stdout.write(`\nrecall loop on the sample crawl (${crawl}):\n`)
  const code = await sampleCrawl(['--out', crawl, '--seed', '1'])
  if (code !== 0) return code
  return recallRun(['--input', `${crawl}/warc`, '--out', `${out}/run`, '--labels', `${crawl}/labels.tsv`,
    '--review-rules', `${crawl}/review-rules.yaml`, '--run-id', 'demo-recall'])
}
