// Report of bench/rl/run.sh: a Markdown table (held-out greedy accuracy, maj@8, pass@8 before and after; samples;
// mean sample accuracy over the run) and an SVG of the per-step share of correct samples of each method.
//   npx tsx bench/rl/report.ts OUT_DIR   -> OUT_DIR/report.md, OUT_DIR/report.svg
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { lineChartsSvg } from '../../src/train/plot.ts'

interface Ev { step: number; accuracy: number; correct: number; n: number; maj_at_k?: number; pass_at_k?: number }
interface Run { method: string; reward: string; supervision: string; steps: number; samples: number; sample_accuracy_curve: number[]; kl_curve: number[]; evals: Ev[]; wall_sec: number }

const dir = process.argv[2] ?? 'out/bench-rl'
const names = ['grpo-rule', 'grpo-steps', 'online-rft', 'rft', 'grpo-long', 'grpo-orm', 'grpo-prm']
const runs: [string, Run][] = []
for (const n of names) {
  const text = await readFile(join(dir, `${n}.json`), 'utf8').catch(() => '')
  if (text.trim()) runs.push([n, JSON.parse(text.trim().split('\n').pop()!) as Run])
}
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(0)}%`)
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const rows = runs.map(([n, r]) => {
  const a = r.evals[0], b = r.evals[r.evals.length - 1]
  const updates = r.kl_curve.length
  const greedy = r.evals.map((e) => `${e.correct}`).join(' → ') + `/${b.n}`
  return `| ${n} | ${r.samples} | ${pct(mean(r.sample_accuracy_curve))} | ${greedy} | ${pct(a.maj_at_k)} → ${pct(b.maj_at_k)} | ${pct(a.pass_at_k)} → ${pct(b.pass_at_k)} | ${r.method === 'grpo' ? r.kl_curve[updates - 1]?.toExponential(1) ?? '-' : '- (β 0)'} | ${Math.round(r.wall_sec)} s |`
})
const rm: string[] = []
for (const k of ['orm', 'prm']) {
  const text = await readFile(join(dir, `${k}.json`), 'utf8').catch(() => '')
  if (!text.trim()) continue
  const o = JSON.parse(text.trim().split('\n').pop()!) as Record<string, number>
  rm.push(`| ${k} | ${o.solutions} (${o.solutions_correct} correct) | ${o.all_labels} (mean ${o.label_mean.toFixed(3)}) | ${o.first_loss.toFixed(3)} → ${o.last_loss.toFixed(3)} | ${pct(o.held_out_accuracy_before)} → ${pct(o.held_out_accuracy_after)} |`)
}
const md = [
  '| run | samples | mean share of samples correct | held-out greedy (each evaluation) | maj@8 | pass@8 | last KL | wall |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  ...(rm.length ? ['| reward model | solutions | labels | loss | held-out label accuracy |', '|---|---|---|---|---|', ...rm] : []),
].join('\n')
await writeFile(join(dir, 'report.md'), md + '\n')
const panels = runs.flatMap(([n, r]) => {
  const ys = r.sample_accuracy_curve
  const smooth = ys.map((_, i) => mean(ys.slice(Math.max(0, i - 9), i + 1)))
  return [
    { title: `${n}: share of samples correct (10-step mean)`, series: { label: n, xs: ys.map((_, i) => i + 1), ys: smooth }, yLabel: 'share correct' },
    { title: `${n}: held-out greedy accuracy`, series: { label: n, xs: r.evals.map((e) => e.step), ys: r.evals.map((e) => e.accuracy) }, yLabel: 'accuracy' },
  ]
})
await writeFile(join(dir, 'report.svg'), lineChartsSvg(`dsmath RL at equal samples: ${dir}`, panels, 'step'))
process.stdout.write(md + '\n')
