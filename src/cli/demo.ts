import { fileURLToPath } from 'node:url'
import { rm } from 'node:fs/promises'
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
  return corpusRun(['--input', `${REPO}sample/warc`, '--out', out, '--run-id', 'demo'])
}
