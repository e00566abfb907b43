// bench/grader: dsmath's rule grader against Python math-verify on the same answer pairs in the same run:
// agreement rate (goal >= 98%), each side's agreement with the pair's construction label, each side's throughput,
// and every disagreement with the line that reproduces it.
//   npx tsx bench/grader.ts [--problems N] [--seed S]     (make bench-grader; defaults 500 problems, seed 8)
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { gradeResponse } from '../src/grade/grade.ts'
import { buildPairs, type Pair } from './grader/pairs.ts'

const { values } = parseArgs({ options: { problems: { type: 'string', default: '500' }, seed: { type: 'string', default: '8' } } })
const problems = Number(values.problems), seed = Number(values.seed)
const OUT = 'out/bench-grader'

const solutions = gunzipSync(readFileSync(new URL('../sample/benchmarks/math/test.jsonl.gz', import.meta.url))).toString('utf8')
  .split('\n').filter(Boolean).map((line) => JSON.parse(line).solution as string)
const pairs = buildPairs(solutions, problems, seed)
mkdirSync(OUT, { recursive: true })
const pairsPath = `${OUT}/pairs.jsonl`
writeFileSync(pairsPath, pairs.map((p) => JSON.stringify({ id: p.id, response: p.response, reference: p.reference }) + '\n').join(''))

const ours = timed(() => new Map(pairs.map((p) => [p.id, gradeResponse(p.response, p.reference).correct])))
const cli = timed(() => execFileSync(process.execPath, ['bin/dsmath.js', 'grade', '--jsonl'], { input: readFileSync(pairsPath), maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'ignore'] }).toString())
const cliGrades = new Map(cli.result.split('\n').filter(Boolean).map((l) => { const o = JSON.parse(l); return [o.id as string, o.correct as boolean] }))
const anchorOut = execFileSync('.venv-bench/bin/python', ['bench/grader/anchor.py', pairsPath], { encoding: 'utf8', maxBuffer: 1 << 28 })
const anchorLines = anchorOut.split('\n').filter(Boolean).map((l) => JSON.parse(l))
const anchor = anchorLines.at(-1).summary as { pairs: number; seconds: number; version: string }
const theirs = new Map<string, boolean>(anchorLines.slice(0, -1).map((o) => [o.id, o.correct]))

report(pairs)

function pct(x: number): string { return `${(100 * x).toFixed(2)}%` }
function rate(n: number, seconds: number): string { return `${Math.round(n / seconds)} pairs/s` }

function timed<T>(run: () => T): { result: T; seconds: number } {
  const start = performance.now()
  const result = run()
  return { result, seconds: (performance.now() - start) / 1e3 }
}

function report(all: Pair[]): void {
  const disagreements = all.filter((p) => ours.result.get(p.id) !== theirs.get(p.id))
  const cliMismatch = all.filter((p) => cliGrades.get(p.id) !== ours.result.get(p.id)).length
  const agreement = 1 - disagreements.length / all.length
  const labelled = (grades: Map<string, boolean | undefined>): string => pct(all.filter((p) => grades.get(p.id) === p.expected).length / all.length)
  console.log(`${all.length} answer pairs from ${problems} MATH test problems (seed ${seed}): ` +
    `${all.filter((p) => p.expected).length} rewritten to stay equal, ${all.filter((p) => !p.expected).length} changed to differ -> ${pairsPath}`)
  console.log(`agreement dsmath vs math-verify ${anchor.version}: ${pct(agreement)} (${disagreements.length} disagreements; goal >= 98%)`)
  console.log(`agreement with the construction label: dsmath ${labelled(ours.result)}, math-verify ${labelled(theirs)}`)
  console.log(`throughput: dsmath ${rate(all.length, ours.seconds)} in process, ${rate(all.length, cli.seconds)} through \`dsmath grade --jsonl\` ` +
    `(startup included; ${cliMismatch} grades differ from in-process); math-verify ${rate(anchor.pairs, anchor.seconds)} (parse + verify)`)
  console.log(byKind(all))
  for (const p of disagreements) {
    console.log(`  ${p.id}: reference ${JSON.stringify(p.answer)} vs ${JSON.stringify(p.candidate)} -> dsmath ${ours.result.get(p.id)}, math-verify ${theirs.get(p.id)} (label ${p.expected})`)
    console.log(`    reproduce: echo '${JSON.stringify({ id: p.id, response: p.response, reference: p.reference }).replace(/'/g, "'\\''")}' | npx dsmath grade --jsonl`)
  }
  console.log(`whole bench: npx tsx bench/grader.ts --problems ${problems} --seed ${seed}`)
}

function byKind(all: Pair[]): string {
  const kinds = [...new Set(all.map((p) => p.kind))]
  return 'per kind (pairs, dsmath = math-verify): ' + kinds.map((k) => {
    const of = all.filter((p) => p.kind === k)
    return `${k} ${of.length}/${of.filter((p) => ours.result.get(p.id) === theirs.get(p.id)).length}`
  }).join(', ')
}
