// Documents for a stand-alone stage: unreadable lines are skipped and reported on stderr (the first few one by
// one, then a count), never silently dropped and never a reason to lose the rest of the file.
import { type Doc, readDocs } from '../pipeline/docio.ts'
import { log } from './args.ts'

const SHOWN = 10

export async function readInputDocs(path: string): Promise<Doc[]> {
  let bad = 0
  const docs = await readDocs(path, {
    onBad: (message) => {
      if (++bad <= SHOWN) log(`${message}; skipped`)
    },
  })
  if (bad > 0) log(`${path}: ${bad} unreadable line${bad === 1 ? '' : 's'} skipped, ${docs.length} documents read`)
  return docs
}
