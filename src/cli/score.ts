import { FastTextModel } from '../fasttext/model.ts'
import { classifierText } from '../fasttext/tokenize.ts'
import { MATH_LABEL } from '../pipeline/document.ts'
import { writeDocs } from '../pipeline/docio.ts'
import { readInputDocs } from './read-docs.ts'
import { log, parse, required } from './args.ts'

const USAGE = `
dsmath score --model M --input F --out F [--label L]
Sets math_score = P(label) (default __label__math) on every document, with the tokenisation of
src/fasttext/tokenize.ts. JSON lines ({"id","text",...}) or Parquet in and out.
`

export async function scoreCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' }, label: { type: 'string' } }, USAGE)
  const model = await FastTextModel.load(required(values, 'model'))
  const docs = await readInputDocs(required(values, 'input'))
  const label = (values.label as string | undefined) ?? MATH_LABEL
  for (const d of docs) d.math_score = model.probability(classifierText(d.text), label)
  await writeDocs(required(values, 'out'), docs)
  log(`scored ${docs.length} documents -> ${values.out}`)
  return 0
}
