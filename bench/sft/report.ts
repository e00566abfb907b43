// Report of bench/sft/run.sh: held-out greedy accuracy before and after SFT, with the runs' losses and times.
// usage: npx tsx bench/sft/report.ts OUT_DIR   (prints the table and writes OUT_DIR/report.md)
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2] ?? 'out/bench-sft'
const read = (f: string): Record<string, any> => JSON.parse(readFileSync(join(dir, f), 'utf8'))
const run = read('run.json'), pre = read('pretrain.json'), sft = read('sft.json'), base = read('eval-base.json'), own = read('eval-base-own.json'), tuned = read('eval-sft.json')
const pct = (x: number): string => (100 * x).toFixed(1)
const gain = 100 * (tuned.accuracy - base.accuracy), gainOwn = 100 * (tuned.accuracy - own.accuracy)
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`
const rows = [
  ['pretrain', `${pre.steps} steps, ${pre.num_params} params, loss ${pre.first_loss.toFixed(2)} -> ${pre.last_loss.toFixed(2)}, ${pre.tokens_per_sec} tokens/s`, `${pre.wall_sec} s`],
  ['base (pretrained), SFT prompt', `greedy ${base.correct}/${base.n} = ${pct(base.accuracy)}%, no answer ${base.no_answer}`, `${base.wall_sec} s`],
  ['base, its pretraining format (no instruction line)', `greedy ${own.correct}/${own.n} = ${pct(own.accuracy)}%, no answer ${own.no_answer}`, `${own.wall_sec} s`],
  ['SFT (chain-of-thought)', `${sft.steps} steps, loss ${sft.first_loss.toFixed(2)} -> ${sft.last_loss.toFixed(2)}`, `${sft.wall_sec} s`],
  ['SFT model', `greedy ${tuned.correct}/${tuned.n} = ${pct(tuned.accuracy)}%, no answer ${tuned.no_answer}`, `${tuned.wall_sec} s`],
]
const md = [
  `Held-out: ${base.n} generated 2-3 step problems, every number in [0, ${run.max_value}], greedy decoding.`,
  '',
  '| stage | result | wall |',
  '|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  `SFT gain over the base with the same prompt: **${signed(gain)} points**; over the base in its own format: **${signed(gainOwn)} points** (goal: >= 30). Whole run: ${run.wall_sec} s wall (goal: < 1200 s), ${run.threads} worker thread(s).`,
  '',
  `Command: \`bench/sft/run.sh ${dir} ${run.max_value} ${run.pretrain_steps} ${run.sft_steps ?? 500}\``,
  '',
].join('\n')
writeFileSync(join(dir, 'report.md'), md)
process.stdout.write(md)
