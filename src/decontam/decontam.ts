// Benchmark decontamination (DeepSeekMath, section 2.1): a document is dropped when it shares a 10-gram with a
// benchmark question or answer, or contains whole a benchmark text of 3-9 tokens. Tokens: see ngrams.ts. Which
// 10-grams are indexed (not formula, not stock phrasing): see benchmarks.ts.
import { docId, type Doc } from '../pipeline/docio.ts'
import { type BenchmarkIndex, itemAt, NGRAM, prefixKey, sameIds } from './benchmarks.ts'
import { tokenize } from './ngrams.ts'

export type MatchKind = 'ngram10' | 'short_exact'

export interface Match {
  match: MatchKind
  benchmark_item: string
  /** The matched tokens, space-separated. */
  ngram: string
}

export interface DecontamRecord extends Match {
  id: string
  url: string | null
}

export interface DecontamStats {
  docs: number
  dropped: number
  kept: number
  ngram10: number
  short_exact: number
  ms: number
}

export function decontaminate(docs: Doc[], index: BenchmarkIndex): { kept: Doc[]; report: DecontamRecord[]; stats: DecontamStats } {
  const started = performance.now()
  const kept: Doc[] = []
  const report: DecontamRecord[] = []
  docs.forEach((doc, i) => {
    const match = findMatch(doc.text, index)
    if (match) report.push({ id: docId(doc, i), url: typeof doc.url === 'string' ? doc.url : null, ...match })
    else kept.push(doc)
  })
  const ngram10 = report.filter((r) => r.match === 'ngram10').length
  return {
    kept, report,
    stats: {
      docs: docs.length, dropped: report.length, kept: kept.length, ngram10, short_exact: report.length - ngram10,
      ms: Math.round(performance.now() - started),
    },
  }
}

/** The first benchmark match in `text`: 10-grams first, then short texts; undefined when clean. */
export function findMatch(text: string, index: BenchmarkIndex): Match | undefined {
  const tokens = tokenize(text)
  const ids = index.vocab.lookup(tokens)
  const describe = (match: MatchKind, start: number, length: number, item: string): Match =>
    ({ match, benchmark_item: item, ngram: tokens.slice(start, start + length).join(' ') })

  let known = 0 // benchmark-vocabulary tokens in a row ending at i
  for (let i = 0; i < ids.length; i++) {
    known = ids[i] < 0 ? 0 : known + 1
    if (known < NGRAM) continue
    const start = i - NGRAM + 1
    const pos = index.grams.get(ids, start)
    if (pos >= 0 && sameIds(ids, start, index.tokens, pos, NGRAM)) return describe('ngram10', start, NGRAM, itemAt(index, pos))
  }

  for (let i = 0; i + 1 < ids.length; i++) {
    if (ids[i] < 0 || ids[i + 1] < 0) continue
    const candidates = index.shortByPrefix.get(prefixKey(ids[i], ids[i + 1]))
    for (const t of candidates ?? []) {
      const start = index.textStart[t], length = index.textStart[t + 1] - start
      if (sameIds(ids, i, index.tokens, start, length)) return describe('short_exact', i, length, index.items[index.textItem[t]])
    }
  }
  return undefined
}
