// Python `tokenizers` (the Rust library, pinned in requirements.txt, installed into .venv by `make pydeps`) is
// the reference: it must load our tokenizer.json and give the same ids, and its own BpeTrainer must learn the
// same vocabulary and merges from the same texts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SPECIAL_TOKENS, Tokenizer, toTokenizerJson, type TokenizerJson } from '../../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../../src/tokenizer/train.ts'
import { runPython } from '../helpers.ts'
import { sampleLines, trainingTexts } from './texts.ts'

const VOCAB = 1500
let dir: string
let json: TokenizerJson
let texts: string[]
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsmath-tokenizer-py-'))
  // Repeated, so that merges over these whitespace characters are learned (where \s and White_Space differ).
  texts = [...(await trainingTexts()), ...Array.from({ length: 60 }, (_, i) => `a \ufeffb${i} ba \x85é \ufeff\ufeff x\u2028y`)]
  const counter = new PieceCounter()
  for (const t of texts) counter.add(t)
  json = toTokenizerJson(trainBpe(counter.counts, { vocabSize: VOCAB, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS)
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json))
})
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('tokenizer.json in Python tokenizers', () => {
  it('loads and encodes a few hundred lines to the same ids', async () => {
    // and whitespace where JavaScript's \s and Unicode's White_Space differ (U+FEFF, U+0085), and others
    const lines = [...(await sampleLines(400)), 'a \ufeffb', 'ba \x85é', 'x\u2028y  \u00a0z', '数\u3000学 \ufeff\ufeff1 \x85\x85']
    expect(lines.length).toBeGreaterThan(300)
    await writeFile(join(dir, 'lines.json'), JSON.stringify(lines))
    const py = await runPython(`
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1] + '/tokenizer.json')
lines = json.load(open(sys.argv[1] + '/lines.json'))
print(json.dumps([e.ids for e in tok.encode_batch(lines, add_special_tokens=False)]))
print(json.dumps([tok.decode(e.ids, skip_special_tokens=False) for e in tok.encode_batch(lines)]))
`, [dir])
    expect(py.stderr).toBe('')
    const [pyIds, pyDecoded] = py.stdout.trim().split('\n').map((l) => JSON.parse(l))
    const tok = new Tokenizer(json)
    const differ = lines.filter((l, i) => JSON.stringify(tok.encode(l)) !== JSON.stringify(pyIds[i]))
    expect(differ).toEqual([])
    expect(pyDecoded).toEqual(lines)
  })

  it("its BpeTrainer learns the same vocabulary and merges from the same texts", async () => {
    await writeFile(join(dir, 'texts.json'), JSON.stringify(texts))
    const py = await runPython(`
import json, sys
from tokenizers import Tokenizer, Regex, models, trainers, pre_tokenizers as P
t = Tokenizer(models.BPE())
t.pre_tokenizer = P.Sequence([P.Split(Regex(r'\\p{N}'), 'isolated'), P.ByteLevel(add_prefix_space=False, use_regex=True)])
trainer = trainers.BpeTrainer(vocab_size=int(sys.argv[2]), special_tokens=json.loads(sys.argv[3]),
                              initial_alphabet=P.ByteLevel.alphabet(), show_progress=False)
t.train_from_iterator(json.load(open(sys.argv[1] + '/texts.json')), trainer)
print(t.to_str())
`, [dir, String(VOCAB), JSON.stringify(SPECIAL_TOKENS)])
    expect(py.stderr).toBe('')
    const theirs = JSON.parse(py.stdout) as TokenizerJson
    expect(theirs.model.vocab).toEqual(json.model.vocab)
    expect(theirs.model.merges).toEqual(json.model.merges)
    expect(theirs.pre_tokenizer).toEqual(json.pre_tokenizer)
    expect(theirs.added_tokens).toEqual(json.added_tokens)
  })
})
