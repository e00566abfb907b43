import { fileURLToPath } from 'node:url'
import { readFile, rm } from 'node:fs/promises'
import type { Manifest } from '../shard/manifest.ts'
import { decodeParquet } from '../shard/parquet.ts'
import { scoreReport } from '../shard/stats.ts'
import { corpusRun } from './corpus.ts'
import { parse } from './args.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const USAGE = `
dsmath demo [--out DIR]
Runs the corpus job on the sample WARCs in sample/warc with the local executor (no servers),
prints a summary and the paths it wrote. Default output: out/demo.
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
  return 0
}
