import { writeFile } from 'node:fs/promises'
import { readSeed } from '../fasttext/default-model.ts'
import { buildSeedLines } from '../fasttext/seed.ts'
import { crawlPages } from '../pipeline/crawl-text.ts'
import { readDocs } from '../pipeline/docio.ts'
import { resolveInputs } from '../pipeline/inputs.ts'
import { intFlag, log, parse, required } from './args.ts'

const USAGE = `
dsmath seed build --crawl SRC --out FILE [--positives F,...] [--seed S] [--no-balance]

Builds the classifier's initial training set by the paper's recipe: positives from a math seed corpus,
negatives sampled from the crawl itself; cut into ${'128'}-token passages with the shared math tokenisation,
balanced (the larger class sampled down), shuffled, one fastText line each (__label__math / __label__other).
  --crawl SRC       WARCs to sample negatives from (file, directory, glob, s3:// prefix, warc.paths.gz)
  --positives F,..  JSON lines files with a "text" field (default: sample/seed/positives.jsonl.gz —
                    PlanetMath and Stack Exchange math threads; in real use, OpenWebMath)
  --out FILE        fastText training file
`

export async function seedBuild(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    crawl: { type: 'string' }, out: { type: 'string' }, positives: { type: 'string' }, seed: { type: 'string' }, 'no-balance': { type: 'boolean' },
  }, USAGE)
  const out = required(values, 'out')
  const warcs = await resolveInputs(required(values, 'crawl'))
  const positives = values.positives
    ? (await Promise.all(String(values.positives).split(',').map((f) => readDocs(f)))).flat().map((d) => d.text)
    : readSeed('positives.jsonl.gz')
  const negatives: string[] = []
  for await (const page of crawlPages(warcs)) negatives.push(page.text)
  if (negatives.length === 0) throw new Error(`--crawl ${values.crawl}: no HTML pages to sample negatives from`)
  const set = buildSeedLines(positives, negatives, intFlag(values, 'seed', 1), !values['no-balance'])
  await writeFile(out, set.lines.join('\n') + '\n')
  log(`${set.positives} math + ${set.negatives} other passages (from ${positives.length} seed documents and ${negatives.length} crawl pages) -> ${out}`)
  return 0
}
