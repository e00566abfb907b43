// bench/prefilter: false-negative rate of the math prefilter on labelled math pages (PlanetMath HTML, Stack
// Exchange threads) and its pass rate on general web pages (Trafilatura evaluation set).
//   npx tsx bench/prefilter.ts [DATA_DIR]   (default ../shared/data)
import { mathPrefilter } from '../src/extract/prefilter.ts'
import { readdirSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
const D = process.argv[2] ?? '../shared/data'
let n = 0, miss = 0
for (const sub of readdirSync(`${D}/math-text/planetmath/html`)) for (const f of readdirSync(`${D}/math-text/planetmath/html/${sub}`)) { n++; if (!mathPrefilter(readFileSync(`${D}/math-text/planetmath/html/${sub}/${f}`, 'utf8'))) miss++ }
for (const f of readdirSync(`${D}/math-text/stackexchange`).filter(f => f.endsWith('.jsonl'))) for (const l of readFileSync(`${D}/math-text/stackexchange/${f}`, 'utf8').split('\n').filter(Boolean)) { const t = JSON.parse(l); n++; const h = [t.question.body_html, ...t.answers.map((a: any) => a.body_html)].join('\n'); if (!mathPrefilter(h)) { miss++; } }
let nn = 0, pass = 0
for (const dir of ['html/trafilatura/cache', 'html/trafilatura/eval']) { try { for (const f of readdirSync(`${D}/${dir}`)) { nn++; if (mathPrefilter(gunzipSync(readFileSync(`${D}/${dir}/${f}`)).toString())) pass++ } } catch {} }
console.log({ mathPages: n, missed: miss, fnRate: miss / n, otherPages: nn, passed: pass, passRate: pass / nn })
