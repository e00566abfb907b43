// Where greedy solutions on the held-out problems first go wrong, for one or more `dsmath train eval --generated N
// --out FILE.jsonl` outputs of the same problems (say before and after RL). Each wrong solution is compared line by
// line with the generator's worked solution; its first differing line is classed by its equation "a op b = c":
// first operand, operator or second operand differs from the reference (a misread), or all three agree and c is
// wrong (an arithmetic fact), or the words differ.
//   npx tsx bench/rl/errors.ts MAX_VALUE EVAL.jsonl [EVAL2.jsonl ...]
import { readFileSync } from 'node:fs'
import { parseEvalResults } from '../../src/train/eval.ts'
import { evalProblem } from '../../src/train/sft.ts'

const EQUATION = /(\d+) ([-+*/]) (\d+) = (\d+)/

type Kind = 'word problem' | 'expression'
export type ErrorClass = 'arithmetic fact' | 'operator misread' | 'operand misread' | 'words or format'

export function classify(reference: string, response: string): ErrorClass {
  const want = reference.split('\n'), got = response.split('\n')
  let j = 0
  while (j < want.length && want[j] === got[j]) j++
  const m = EQUATION.exec(got[j] ?? ''), r = EQUATION.exec(want[j] ?? '')
  if (!m || !r) return 'words or format'
  if (m[2] !== r[2]) return 'operator misread'
  if (m[1] !== r[1] || m[3] !== r[3]) return 'operand misread'
  return m[4] !== r[4] ? 'arithmetic fact' : 'words or format'
}

function tally(file: string, maxValue: number): Map<string, number> {
  const counts = new Map<string, number>()
  const bump = (k: string): void => { counts.set(k, (counts.get(k) ?? 0) + 1) }
  parseEvalResults(readFileSync(file, 'utf8'), { source: file }).forEach((row) => {
    const p = evalProblem(Number(row.id.replace(/^gen-/, '')), { maxValue })
    const kind: Kind = p.question.startsWith('Compute') ? 'expression' : 'word problem'
    bump(`${kind}: problems`)
    bump(row.greedy_correct ? `${kind}: correct` : `${kind}: ${classify(p.solution, row.greedy)}`)
  })
  return counts
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [maxValue, ...files] = process.argv.slice(2)
  if (!files.length || !Number(maxValue)) {
    console.error('usage: npx tsx bench/rl/errors.ts MAX_VALUE EVAL.jsonl [EVAL2.jsonl ...]')
    process.exit(2)
  }
  const tables = files.map((f) => tally(f, Number(maxValue)))
  const keys = [...new Set(tables.flatMap((t) => [...t.keys()]))].sort()
  console.log(`| greedy outcome | ${files.join(' | ')} |\n|---|${files.map(() => '---|').join('')}`)
  for (const k of keys) console.log(`| ${k} | ${tables.map((t) => t.get(k) ?? 0).join(' | ')} |`)
}
