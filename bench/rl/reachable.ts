// Which held-out problems RL could sharpen: problems by greedy outcome and by how many of their k samples are
// right, from `dsmath train eval --generated N --k K --out FILE.jsonl`. A greedy-wrong problem with some right
// samples is one GRPO has something to reinforce on; one with none is out of its reach.
//   npx tsx bench/rl/reachable.ts EVAL.jsonl
import { readFileSync } from 'node:fs'
import { parseEvalResults } from '../../src/train/eval.ts'

export interface Reach { k: number; greedyWrong: number[]; greedyRight: number[] }

export function reachability(text: string, source?: string): Reach {
  const rows = parseEvalResults(text, { source, needSamples: true })
  const k = Math.max(0, ...rows.map((r) => r.samples!.length))
  const out: Reach = { k, greedyWrong: new Array<number>(k + 1).fill(0), greedyRight: new Array<number>(k + 1).fill(0) }
  for (const r of rows) (r.greedy_correct ? out.greedyRight : out.greedyWrong)[r.samples!.filter((s) => s.correct).length]++
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (!file) { console.error('usage: npx tsx bench/rl/reachable.ts EVAL.jsonl'); process.exit(2) }
  const r = reachability(readFileSync(file, 'utf8'), file)
  console.log(`| right samples of ${r.k} | ${r.greedyWrong.map((_, c) => c).join(' | ')} |\n|---|${r.greedyWrong.map(() => '---|').join('')}`)
  console.log(`| greedy wrong | ${r.greedyWrong.join(' | ')} |\n| greedy right | ${r.greedyRight.join(' | ')} |`)
}
