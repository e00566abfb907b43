// bench/tokenizer: dsmath's byte-level BPE (TypeScript) against Python `tokenizers` (Rust) on the same text and
// vocabulary size, in one run: training time, encode MB/s, and whether both learn the same merges and give the
// same ids. @huggingface/tokenizers (pure JS) encodes too, for reference.
//   make bench-tokenizer      (or: npx tsx bench/tokenizer.ts [--vocab-size N] [FILE...])
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { readTrainingTexts } from '../src/tokenizer/corpus.ts'
import { SPECIAL_TOKENS, Tokenizer, toTokenizerJson } from '../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../src/tokenizer/train.ts'

// The repo's corpus sample plus, where the machine has it, the full PlanetMath LaTeX dump (4.8 MB).
const PLANETMATH = '../shared/data/math-text/planetmath'
const DEFAULT_INPUTS = [
  'sample/seed/positives.jsonl.gz', 'sample/seed/negatives.jsonl.gz',
  ...(existsSync(PLANETMATH) ? readdirSync(PLANETMATH).filter((f) => f.endsWith('.jsonl')).map((f) => join(PLANETMATH, f)) : []),
]
const { values, positionals } = parseArgs({ options: { 'vocab-size': { type: 'string', default: '8000' } }, allowPositionals: true })
const vocabSize = Number(values['vocab-size'])
const inputs = positionals.length ? positionals : DEFAULT_INPUTS

const texts = (await Promise.all(inputs.map(readTrainingTexts))).flat()
const lines = texts.flatMap((t) => t.split('\n')).filter((l) => l.trim())
const mb = (xs: string[]): number => xs.reduce((s, x) => s + Buffer.byteLength(x), 0) / 1e6
const dir = mkdtempSync(join(tmpdir(), 'bench-tok-'))
writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts))
writeFileSync(join(dir, 'lines.json'), JSON.stringify(lines))

let t0 = performance.now()
const counter = new PieceCounter()
for (const t of texts) counter.add(t)
const json = toTokenizerJson(trainBpe(counter.counts, { vocabSize, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS)
const trainS = (performance.now() - t0) / 1000
writeFileSync(join(dir, 'ours.json'), JSON.stringify(json))

const tok = new Tokenizer(json)
t0 = performance.now()
const ourIds = lines.map((l) => tok.encode(l))
const encodeS = (performance.now() - t0) / 1000

const hf = new HfTokenizer(json as unknown as object, {})
t0 = performance.now()
const hfIds = lines.map((l) => hf.encode(l, { add_special_tokens: false }).ids)
const hfEncodeS = (performance.now() - t0) / 1000

const PYTHON = `
import json, sys, time
from tokenizers import Tokenizer, Regex, models, trainers, pre_tokenizers as P
d, vocab, specials = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
texts, lines = json.load(open(d + '/texts.json')), json.load(open(d + '/lines.json'))
t = Tokenizer(models.BPE())
t.pre_tokenizer = P.Sequence([P.Split(Regex(r'\\p{N}'), 'isolated'), P.ByteLevel(add_prefix_space=False, use_regex=True)])
trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, initial_alphabet=P.ByteLevel.alphabet(), show_progress=False)
t0 = time.perf_counter(); t.train_from_iterator(texts, trainer); train_s = time.perf_counter() - t0
theirs = json.loads(t.to_str())
ours = Tokenizer.from_file(d + '/ours.json')
t0 = time.perf_counter(); ids = [ours.encode(l, add_special_tokens=False).ids for l in lines]; encode_s = time.perf_counter() - t0
t0 = time.perf_counter(); ours.encode_batch(lines, add_special_tokens=False); batch_s = time.perf_counter() - t0
print(json.dumps({'train_s': train_s, 'encode_s': encode_s, 'batch_s': batch_s, 'ids': ids,
                  'vocab': theirs['model']['vocab'], 'merges': theirs['model']['merges']}))
`
const py = JSON.parse(execFileSync('.venv-bench/bin/python', ['-c', PYTHON, dir, String(vocabSize), JSON.stringify(SPECIAL_TOKENS)], { encoding: 'utf8', maxBuffer: 1 << 30 }))

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
const idsSame = (xs: number[][]): number => xs.filter((ids, i) => same(ids, ourIds[i])).length
const lineMb = mb(lines)
const rows = [
  ['text', `${texts.length} documents, ${mb(texts).toFixed(2)} MB (${inputs.join(' ')})`, ''],
  ['vocab size', `${Object.keys(json.model.vocab).length} (asked ${vocabSize}), ${json.model.merges.length} merges`, ''],
  ['train seconds (dsmath, python)', `${trainS.toFixed(2)}, ${py.train_s.toFixed(2)}`, `ratio ${(trainS / py.train_s).toFixed(2)}x`],
  ['same vocab and merges as python', same(py.vocab, json.model.vocab) && same(py.merges, json.model.merges) ? 'yes' : 'NO', ''],
  ['encode MB/s, one line at a time (dsmath, python)', `${(lineMb / encodeS).toFixed(2)}, ${(lineMb / py.encode_s).toFixed(2)}`, `ratio ${(py.encode_s / encodeS).toFixed(2)}x`],
  ['encode MB/s, python encode_batch (all cores)', (lineMb / py.batch_s).toFixed(2), `dsmath one core: ${(py.batch_s / encodeS).toFixed(2)}x`],
  ['encode MB/s, @huggingface/tokenizers (JS)', (lineMb / hfEncodeS).toFixed(2), `dsmath ${(hfEncodeS / encodeS).toFixed(2)}x faster`],
  [`ids equal on ${lines.length} lines (python, @huggingface/tokenizers)`, `${idsSame(py.ids)}, ${idsSame(hfIds)}`, ''],
]
const w = Math.max(...rows.map((r) => r[0].length))
for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v}${note ? `  (${note})` : ''}`)
