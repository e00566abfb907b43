// SFT examples: the prompt is masked out of the loss, the response (and EOS) counted; packing keeps whole
// examples within the context length; and the worker counts exactly the masked-in tokens.
import { describe, expect, it } from 'vitest'
import { arithmeticProblem } from '../../src/train/arithmetic.ts'
import {
  COT_INSTRUCTION, cotPrompt, encodeExample, EVAL_SEED, evalProblem, maskedTrainStep, SFT_SEED, sftProblem, SftPacker,
  type EncodedExample,
} from '../../src/train/sft.ts'
import { spawnWorker, WorkerConn } from '../../src/train/worker.ts'
import type { LogProbsResponse } from '../../src/gen/dsmath/v1/worker.ts'

const charTok = { encode: (t: string): number[] => Array.from(t, (c) => c.charCodeAt(0) % 250) }
const EOS = 255
const decode = (ids: number[]): string => String.fromCharCode(...ids)

describe('SFT examples', () => {
  it('the prompt is the question plus the paper instruction', () => {
    expect(COT_INSTRUCTION).toBe('Please reason step by step, and put your final answer within \\boxed{}.')
    expect(cotPrompt('What is 2 + 3?')).toBe('Question: What is 2 + 3?\nPlease reason step by step, and put your final answer within \\boxed{}.\nSolution:\n')
  })

  it('masks prompt tokens out and counts response tokens and EOS', () => {
    const ex = encodeExample(charTok, EOS, 'PROMPT:', 'answer 5')
    expect(ex.tokens.length).toBe(7 + 8 + 1)
    expect(ex.mask).toEqual([...Array(7).fill(false), ...Array(9).fill(true)])
    expect(decode(ex.tokens.filter((_, i) => ex.mask[i]).slice(0, -1))).toBe('answer 5')
    expect(ex.tokens.at(-1)).toBe(EOS)
  })

  it('packs whole examples up to seqLen + 1 tokens, masks aligned with tokens', () => {
    const example = (i: number): EncodedExample => encodeExample(charTok, EOS, `Q${i}?`, `A${i}.`.repeat(1 + (i % 5)))
    const packer = new SftPacker(example, 40, 7, 1000)
    const seen: string[] = []
    for (let s = 0; s < 50; s++) {
      const seq = packer.nextSequence()
      expect(seq.tokens.length).toBeLessThanOrEqual(41)
      expect(seq.loss_mask.length).toBe(seq.tokens.length)
      expect(seq.examples).toBeGreaterThanOrEqual(1)
      // Split back into examples at EOS: each is "Q<i>?" (unmasked) then its response (masked in) and EOS.
      let start = 0
      for (let j = 0; j < seq.tokens.length; j++) {
        if (seq.tokens[j] !== EOS) continue
        const toks = seq.tokens.slice(start, j + 1), mask = seq.loss_mask.slice(start, j + 1)
        const prompt = decode(toks.filter((_, x) => !mask[x]))
        const i = Number(/^Q(\d+)\?$/.exec(prompt)![1])
        expect(toks).toEqual(example(i).tokens)
        expect(mask).toEqual(example(i).mask)
        seen.push(prompt)
        start = j + 1
      }
      expect(start).toBe(seq.tokens.length)
    }
    expect(new Set(seen).size).toBeGreaterThan(50) // drawn at random from the pool
    // The same seed gives the same sequences.
    const a = new SftPacker(example, 40, 7, 1000), b = new SftPacker(example, 40, 7, 1000)
    expect(a.nextBatch(4)).toEqual(b.nextBatch(4))
  })

  it('skips an example longer than the context on its own', () => {
    const example = (i: number): EncodedExample => encodeExample(charTok, EOS, 'Q', i % 2 ? 'x'.repeat(100) : 'ok')
    const packer = new SftPacker(example, 20, 3, 10)
    for (let s = 0; s < 10; s++) expect(packer.nextSequence().tokens.length).toBeLessThanOrEqual(21)
    expect(packer.skipped).toBeGreaterThan(0)
  })

  it('SFT and evaluation problems come from their own seeds, apart from pretraining (seed 1)', () => {
    expect(SFT_SEED).not.toBe(EVAL_SEED)
    expect(sftProblem(0)).toEqual(arithmeticProblem(SFT_SEED, 0))
    expect([evalProblem(0).steps, evalProblem(1).steps, evalProblem(2).steps]).toEqual([2, 3, 2])
    const pre = new Set(Array.from({ length: 2000 }, (_, i) => arithmeticProblem(1, i).question))
    const sft = new Set(Array.from({ length: 2000 }, (_, i) => sftProblem(i).question))
    const evals = Array.from({ length: 200 }, (_, i) => evalProblem(i).question)
    // Chance collisions of short expression problems are possible but rare.
    expect(evals.filter((q) => pre.has(q) || sft.has(q)).length).toBeLessThan(5)
  })
})

describe('masked train step on the worker', () => {
  it('counts only masked-in tokens, and the loss is their mean negative log-likelihood', async () => {
    const w = await spawnWorker({ threads: 1 })
    const conn = new WorkerConn(w.address)
    try {
      await conn.initModel({ model: { vocab_size: 300, d_model: 32, n_layers: 1, n_heads: 2, ffn_hidden: 0, max_seq_len: 64, rope_theta: 0, dtype: 0, seed: 3, tie_embeddings: false, norm_eps: 0 }, optimizer: { lr: 1e-3 } })
      const a = encodeExample(charTok, EOS, 'Question: 2+3?', '5')
      const b = encodeExample(charTok, EOS, 'Q: 7*2?', 'It is 14')
      const seqs = [{ tokens: [...a.tokens, ...b.tokens], loss_mask: [...a.mask, ...b.mask], examples: 2 }, { tokens: b.tokens, loss_mask: b.mask, examples: 1 }]
      const counted = seqs.reduce((n, s) => n + s.loss_mask.slice(1).filter(Boolean).length, 0)
      expect(counted).toBe(2 + 9 + 9)
      const lp = await new Promise<LogProbsResponse>((resolve, reject) => conn.client.logProbs(
        { sequences: seqs.map((s) => ({ tokens: s.tokens, loss_mask: s.loss_mask })), reference: false },
        (e, r) => (e ? reject(e) : resolve(r)),
      ))
      const nll = -lp.sequences.reduce((x, s) => x + s.sum, 0) / counted
      const r = await maskedTrainStep(conn, seqs, 1e-3)
      expect(Number(r.tokens)).toBe(counted)
      expect(Number(r.input_tokens)).toBe(seqs.reduce((n, s) => n + s.tokens.length - 1, 0))
      expect(r.loss).toBeCloseTo(nll, 4)
    } finally {
      conn.close()
      await w.stop()
    }
  }, 60_000)
})
