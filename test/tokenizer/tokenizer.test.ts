import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { beforeAll, describe, expect, it } from 'vitest'
import { toByteLevel } from '../../src/tokenizer/bytelevel.ts'
import { preTokenize } from '../../src/tokenizer/pretokenize.ts'
import { SPECIAL_TOKENS, Tokenizer, toTokenizerJson, type TokenizerJson } from '../../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../../src/tokenizer/train.ts'
import { EDGE_CASES, sampleLines, trainingTexts } from './texts.ts'

const VOCAB = 2000

function train(texts: readonly string[], vocabSize = VOCAB): TokenizerJson {
  const counter = new PieceCounter()
  for (const t of texts) counter.add(t)
  return toTokenizerJson(trainBpe(counter.counts, { vocabSize, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS)
}

let texts: string[]
let json: TokenizerJson
let tok: Tokenizer
beforeAll(async () => {
  texts = await trainingTexts()
  json = train(texts)
  tok = new Tokenizer(json)
})

describe('BPE training', () => {
  it('gives exactly the requested vocabulary, special tokens first', () => {
    for (const size of [300, VOCAB]) {
      const j = size === VOCAB ? json : train(texts, size)
      expect(Object.keys(j.model.vocab)).toHaveLength(size)
      expect(new Set(Object.values(j.model.vocab)).size).toBe(size)
      expect(Math.max(...Object.values(j.model.vocab))).toBe(size - 1)
    }
    expect(json.added_tokens.map((t) => [t.id, t.content])).toEqual(SPECIAL_TOKENS.map((s, i) => [i, s]))
    expect(new Tokenizer(json).vocabSize).toBe(VOCAB)
  })

  it('is deterministic and does not depend on document order', () => {
    const again = train(texts)
    expect(JSON.stringify(again)).toBe(JSON.stringify(json))
    expect(JSON.stringify(train([...texts].reverse()))).toBe(JSON.stringify(json))
  })

  it('stops early, without error, when the text has no pair left to merge', () => {
    expect(Object.keys(train(['ab ab ab'], 1000).model.vocab)).toHaveLength(SPECIAL_TOKENS.length + 256 + 2)
  })
})

describe('digits', () => {
  it('no learned token holds a number character next to anything else', () => {
    const merged = json.model.merges.map((m) => (m as string[]).join(''))
    const withDigit = merged.filter((t) => /\p{N}/u.test(tok.decode([tok.tokenId(t)!])))
    expect(withDigit).toEqual([])
  })

  it('every digit of a number is its own token', () => {
    const ids = tok.encode('In 2024, 12345 + 678 = 13023 and x_{10}=3.14159')
    const digits = ids.map((id) => tok.decode([id])).filter((t) => /\p{N}/u.test(t))
    expect(digits).toEqual([...'2024' + '12345' + '678' + '13023' + '10' + '3' + '14159'])
    // Digits the training text never had still come apart: one pre-token each, then their UTF-8 bytes.
    expect(preTokenize('x١٢٣²')).toEqual(['x', ...['١', '٢', '٣', '²'].map(toByteLevel)])
  })
})

describe('encode and decode', () => {
  it('decode(encode(x)) == x for every training text, edge case, Chinese and LaTeX line', async () => {
    const all = [...texts, ...EDGE_CASES, ...await sampleLines(300)]
    const broken = all.filter((t) => tok.decode(tok.encode(t)) !== t)
    expect(broken).toEqual([])
  })

  it('writes literal special tokens as their id, and can skip them when decoding', () => {
    const ids = tok.encode('a<|end_of_sentence|>b')
    expect(ids).toContain(1)
    expect(tok.decode(ids)).toBe('a<|end_of_sentence|>b')
    expect(tok.decode(ids, { skipSpecial: true })).toBe('ab')
    const plain = tok.encode('a<|end_of_sentence|>b', { plainText: true })
    expect(plain).not.toContain(1)
    expect(tok.decode(plain)).toBe('a<|end_of_sentence|>b')
  })

  it('pre-tokenizes as GPT-2 does around the digit split', () => {
    expect(preTokenize('x 12 y')).toEqual(['x', 'Ġ', '1', '2', 'Ġy'])
    expect(preTokenize('a\n\nb')).toEqual(['a', 'Ċ', 'Ċ', 'b'])
  })

  it('gives the same ids as @huggingface/tokenizers loading the same tokenizer.json', async () => {
    const hf = new HfTokenizer(json as unknown as object, {})
    const lines = [...await sampleLines(300), ...texts.slice(0, 50)]
    const differ = lines.filter((l) => JSON.stringify(hf.encode(l, { add_special_tokens: false }).ids) !== JSON.stringify(tok.encode(l)))
    expect(differ).toEqual([])
  })

  it('rejects a tokenizer.json with another pre-tokenizer', () => {
    expect(() => new Tokenizer({ ...json, pre_tokenizer: { type: 'ByteLevel' } })).toThrow(/unsupported pre_tokenizer/)
  })
})
