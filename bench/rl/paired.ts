// Paired comparison of greedy results on the same held-out problems (`dsmath train eval --generated N --out
// FILE.jsonl` of each checkpoint). Two runs evaluated on one problem set differ only where one is right and the
// other wrong, so the test of "A beats B" is on those discordant problems (an exact two-sided sign test, as
// McNemar's), which is far tighter than comparing two accuracies with independent standard errors.
//   npx tsx bench/rl/paired.ts NAME=EVAL.jsonl NAME=EVAL.jsonl [...]
import { readFileSync } from 'node:fs'
import { parseEvalResults } from '../../src/train/eval.ts'

export interface PairedResult { a: string; b: string; n: number; onlyA: number; onlyB: number; difference: number; pValue: number }

/** Two-sided exact sign test: P(a result at least as uneven as k of n discordant pairs | p = 1/2). */
export function signTestPValue(k: number, n: number): number {
  if (n === 0) return 1
  const tail = Math.min(k, n - k)
  let logC = 0, p = 0
  for (let i = 0; i <= tail; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i)
    p += Math.exp(logC - n * Math.LN2)
  }
  return Math.min(1, 2 * p)
}

export function pairedCompare(a: string, correctA: Map<string, boolean>, b: string, correctB: Map<string, boolean>): PairedResult {
  const ids = [...correctA.keys()]
  const missing = ids.find((id) => !correctB.has(id)) ?? [...correctB.keys()].find((id) => !correctA.has(id))
  if (missing !== undefined) throw new Error(`${a} and ${b} were not evaluated on the same problems (problem ${missing} is in only one)`)
  let onlyA = 0, onlyB = 0
  for (const id of ids) {
    if (correctA.get(id) && !correctB.get(id)) onlyA++
    if (!correctA.get(id) && correctB.get(id)) onlyB++
  }
  return { a, b, n: ids.length, onlyA, onlyB, difference: onlyA - onlyB, pValue: signTestPValue(onlyA, onlyA + onlyB) }
}

export function readGreedy(file: string): Map<string, boolean> {
  return new Map(parseEvalResults(readFileSync(file, 'utf8'), { source: file }).map((r) => [r.id, r.greedy_correct]))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = process.argv.slice(2).map((arg) => {
    const at = arg.indexOf('=')
    if (at <= 0) { console.error('usage: npx tsx bench/rl/paired.ts NAME=EVAL.jsonl NAME=EVAL.jsonl [...]'); process.exit(2) }
    const correct = readGreedy(arg.slice(at + 1))
    return { name: arg.slice(0, at), correct, solved: [...correct.values()].filter(Boolean).length }
  })
  if (runs.length < 2) { console.error('usage: npx tsx bench/rl/paired.ts NAME=EVAL.jsonl NAME=EVAL.jsonl [...]'); process.exit(2) }
  console.log('| A | B | A correct | B correct | only A right | only B right | A - B | sign test p |\n|---|---|---|---|---|---|---|---|')
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const r = pairedCompare(runs[i].name, runs[i].correct, runs[j].name, runs[j].correct)
      console.log(`| ${r.a} | ${r.b} | ${runs[i].solved}/${r.n} | ${runs[j].solved}/${r.n} | ${r.onlyA} | ${r.onlyB} | ${r.difference > 0 ? '+' : ''}${r.difference} | ${r.pValue < 0.001 ? '< 0.001' : r.pValue.toFixed(3)} |`)
    }
  }
}
