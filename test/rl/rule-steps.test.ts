// GRPO with --reward rule-steps through the trainer, on a small fake worker (fixed completions): each output's
// steps are checked, and the advantages sent to PolicyStep are the process advantages of those step rewards.
import { describe, expect, it } from 'vitest'
import { processAdvantages } from '../../src/rl/grpo.ts'
import { newlineTest, type RlWorker } from '../../src/rl/rollout.ts'
import { rlLearningRate, rlQuestion, runRl, type RlConfig, type RlContext } from '../../src/rl/trainer.ts'
import { arithmeticDocument } from '../../src/train/arithmetic.ts'
import { EOS, SPECIAL_TOKENS, Tokenizer, toTokenizerJson } from '../../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../../src/tokenizer/train.ts'

describe('GRPO with rule-checked step rewards', () => {
  it.each([
    // suffix credit (the paper's): a step is good while every equation so far holds
    { credit: 'suffix' as const, rewards: [[1, 0, 0], [1, 1, 0], [1, 1]] },
    // step credit: each step judged on its own equations, and credited alone
    { credit: 'step' as const, rewards: [[1, 0, 1], [1, 1, 0], [1, 1]] },
  ])('sends the process advantages of each output\'s checked steps ($credit credit)', async ({ credit, rewards }) => {
    const counter = new PieceCounter()
    for (let i = 0; i < 200; i++) counter.add(arithmeticDocument(3, i))
    const tok = new Tokenizer(toTokenizerJson(trainBpe(counter.counts, { vocabSize: 400, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS))
    const eos = tok.tokenId(EOS)!
    const ctx: RlContext = { codec: tok, eosId: eos, maxSeqLen: 512, isNewline: newlineTest(tok) }
    const q = rlQuestion(0, { maxValue: 30 })
    const texts = [
      `Step 1: 3 + 4 = 7.\nStep 2: 7 - 1 = 5.\nThe answer is \\boxed{${q.answer}}.`, // wrong step 2, right answer: [1, 0, 0]
      'Step 1: 3 + 4 = 7.\nStep 2: 7 - 1 = 6.\nThe answer is \\boxed{6000}.', // right steps, wrong answer: [1, 1, 0]
      `Step 1: 3 + 4 = 7.\nThe answer is \\boxed{${q.answer}}.`, // [1, 1]
    ]
    const sent: number[][] = []
    const fake = {
      generate: async () => ({ completions: texts.map((t) => { const tokens = [...tok.encode(t), eos]; return { tokens, logprobs: tokens.map(() => -1), finish_reason: 1 } }) }),
      policyStep: async (req: { sequences: { advantages: number[] }[] }) => { sent.push(...req.sequences.map((s) => s.advantages)); return { loss: 0, kl: 0, clip_fraction: 0 } },
      logProbs: async () => { throw new Error('not used with beta 0') },
    } as unknown as RlWorker
    const cfg: RlConfig = {
      method: 'grpo', reward: 'rule-steps', steps: 1, questionsPerStep: 1, groupSize: 3, mu: 1, clipEps: 0.2, klBeta: 0, aggregation: 'sequence-mean',
      lr: 1e-4, temperature: 1, topP: 1, maxNewTokens: 64, dynamicSampling: false, seed: 1, evalEvery: 0, evalN: 0, limits: { maxValue: 30 },
      question: () => q, processCredit: credit,
    }
    const s = await runRl(fake, ctx, cfg)
    expect(s.supervision).toBe('process')
    expect(s.history[0].accuracy).toBeCloseTo(2 / 3)
    const lengths = texts.map((t) => tok.encode(t).length + 1)
    const ends = texts.map((t) => {
      const ids = [...tok.encode(t), eos]
      const e: number[] = []
      ids.forEach((id, i) => { if (i < ids.length - 1 && tok.decode([id]).includes('\n')) e.push(i) })
      return [...e, ids.length - 1]
    })
    const expected = processAdvantages(rewards.map((r, i) => ({ rewards: r, ends: ends[i] })), lengths, { credit })
    expect(sent).toHaveLength(3)
    sent.forEach((a, i) => a.forEach((v, t) => expect(v).toBeCloseTo(expected[i][t], 9)))
  })
})

describe('RL learning-rate schedule', () => {
  it('constant by default; cosine from lr at the first step to lr/10 at the last', () => {
    expect(rlLearningRate({ lr: 2e-4 }, 57, 100)).toBe(2e-4)
    const cos = { lr: 2e-4, lrSchedule: 'cosine' as const }
    expect(rlLearningRate(cos, 0, 101)).toBeCloseTo(2e-4, 12)
    expect(rlLearningRate(cos, 50, 101)).toBeCloseTo(1.1e-4, 12)
    expect(rlLearningRate(cos, 100, 101)).toBeCloseTo(2e-5, 12)
  })
  it('warms up linearly over the first steps, then runs the schedule over the rest', () => {
    const w = { lr: 4e-4, lrSchedule: 'cosine' as const, warmup: 4 }
    for (const [s, lr] of [1e-4, 2e-4, 3e-4, 4e-4].entries()) expect(rlLearningRate(w, s, 105)).toBeCloseTo(lr, 12)
    expect(rlLearningRate(w, 4, 105)).toBeCloseTo(4e-4, 12)
    expect(rlLearningRate(w, 54, 105)).toBeCloseTo(2.2e-4, 12)
    expect(rlLearningRate(w, 104, 105)).toBeCloseTo(4e-5, 12)
    expect(rlLearningRate({ lr: 4e-4, warmup: 2 }, 0, 10)).toBe(2e-4)
    expect(rlLearningRate({ lr: 4e-4, warmup: 2 }, 7, 10)).toBe(4e-4)
  })
})
