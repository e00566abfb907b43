// The RL trainer through a real PyTorch worker (spawned by the test, tiny random model): GRPO with the rule
// grader and dynamic sampling, RFT's offline samples, and two iterations of iterative RL with an outcome reward
// model retrained on 10% replay, the reference reset to the policy at the start of each iteration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newlineTest, RlWorker } from '../../src/rl/rollout.ts'
import { runIterative, runRl, type RlConfig, type RlContext } from '../../src/rl/trainer.ts'
import { arithmeticDocument } from '../../src/train/arithmetic.ts'
import { EOS, SPECIAL_TOKENS, Tokenizer, toTokenizerJson } from '../../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../../src/tokenizer/train.ts'
import { spawnWorker, WorkerConn, type SpawnedWorker } from '../../src/train/worker.ts'
import { cotPrompt } from '../../src/train/sft.ts'
import { rlQuestion } from '../../src/rl/trainer.ts'

let spawned: SpawnedWorker
let conn: WorkerConn
let w: RlWorker
let ctx: RlContext
const MAX_SEQ = 320

beforeAll(async () => {
  const counter = new PieceCounter()
  for (let i = 0; i < 200; i++) counter.add(arithmeticDocument(3, i))
  const tok = new Tokenizer(toTokenizerJson(trainBpe(counter.counts, { vocabSize: 400, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS))
  ctx = { codec: tok, eosId: tok.tokenId(EOS)!, maxSeqLen: MAX_SEQ, isNewline: newlineTest(tok) }
  spawned = await spawnWorker({ threads: 1, device: 'cpu' })
  conn = new WorkerConn(spawned.address)
  w = new RlWorker(conn)
}, 120_000)
afterAll(async () => {
  conn?.close()
  await spawned?.stop()
})

async function freshPolicy(seed: number): Promise<void> {
  const vocab = (ctx.codec as Tokenizer).vocabSize
  await new Promise<void>((resolve, reject) => conn.client.initModel({
    model: { vocab_size: vocab, d_model: 32, n_layers: 1, n_heads: 2, ffn_hidden: 0, max_seq_len: MAX_SEQ, rope_theta: 0, dtype: 0, seed, tie_embeddings: false, norm_eps: 0 },
    optimizer: { lr: 1e-3, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: 1, eps: undefined },
  }, (e) => (e ? reject(e) : resolve())))
}

const base: RlConfig = {
  method: 'grpo', reward: 'rule', steps: 2, questionsPerStep: 2, groupSize: 3, mu: 1, clipEps: 0.2, klBeta: 0.04, aggregation: 'sequence-mean',
  lr: 1e-3, temperature: 1, topP: 1, maxNewTokens: 8, dynamicSampling: false, seed: 1, evalEvery: 0, evalN: 0,
}

const probe = (): number[] => [...ctx.codec.encode(cotPrompt(rlQuestion(0).question)), 5, 6, 7]

describe('RL trainer on the worker', () => {
  it('GRPO with the rule grader: a random model earns 0 everywhere, so dynamic sampling drops every group and the policy does not move', { timeout: 120_000 }, async () => {
    await freshPolicy(2)
    await w.resetReference()
    const before = (await w.logProbs([probe()])).sequences[0].logprobs
    const s = await runRl(w, ctx, { ...base, dynamicSampling: true })
    expect(s.steps).toBe(2)
    expect(s.samples).toBe(2 * 2 * 3)
    expect(s.history.map((m) => [m.groups, m.groups_kept, m.sequences, m.accuracy])).toEqual([[2, 0, 0, 0], [2, 0, 0, 0]])
    expect((await w.logProbs([probe()])).sequences[0].logprobs).toEqual(before)
    // without dynamic sampling the groups are kept, but every advantage is 0: no update either (AdamW would
    // otherwise turn float noise into a full-size step)
    const s2 = await runRl(w, ctx, { ...base, steps: 1 })
    expect(s2.history[0]).toMatchObject({ groups_kept: 2, sequences: 6, skipped: true })
    expect((await w.logProbs([probe()])).sequences[0].logprobs).toEqual(before)
  })

  it('iterative RL: two iterations, the reference reset to the policy each time, the ORM retrained with 10% replay', { timeout: 300_000 }, async () => {
    await freshPolicy(3)
    const atReset: { policy: number[]; reference: number[] }[] = []
    const reports = await runIterative(w, ctx, {
      iterations: 2, grpo: { ...base, steps: 2 }, kind: 'orm', rmQuestions: 3, rmSamples: 3, rmEpochs: 1, rmBatch: 4, rmLr: 1e-3,
      replayShare: 0.1, prmN: 2, prmLabel: 'hard',
    }, {
      afterReset: async () => {
        const p = probe()
        atReset.push({ policy: (await w.logProbs([p])).sequences[0].logprobs, reference: (await w.logProbs([p], true)).sequences[0].logprobs })
      },
    })
    expect(reports).toHaveLength(2)
    // at each reset the reference is the policy, token for token
    for (const r of atReset) expect(r.reference).toEqual(r.policy)
    // ORM rewards vary within a group, so iteration 1's GRPO steps moved the policy: iteration 2's reference is a new one
    expect(reports[0].grpo.history.some((m) => m.sequences > 0 && m.loss !== 0)).toBe(true)
    expect(atReset[1].reference).not.toEqual(atReset[0].reference)
    // 9 new examples per iteration; iteration 1 has no history, iteration 2 replays round(9 · 0.1 / 0.9) = 1: 1/10
    expect(reports.map((r) => [r.new_examples, r.replayed, r.replay_share])).toEqual([[9, 0, 0], [9, 1, 0.1]])
    expect(reports[1].reward_model.examples).toBe(10)
    expect(reports[0].reference_step).toBe(0)
    expect(reports[1].reference_step).toBe(2) // two policy steps in iteration 1
    expect(reports[1].grpo.reward).toBe('orm')
  })

  it('process supervision: a PRM trained on Math-Shepherd labels gives step rewards, and GRPO runs on them', { timeout: 240_000 }, async () => {
    await freshPolicy(5)
    const reports = await runIterative(w, ctx, {
      iterations: 1, grpo: { ...base, steps: 1 }, kind: 'prm', rmQuestions: 2, rmSamples: 2, rmEpochs: 1, rmBatch: 4, rmLr: 1e-3,
      replayShare: 0.1, prmN: 2, prmLabel: 'soft',
    })
    expect(reports[0].new_examples).toBe(4)
    // one label per step: at least one step per solution
    expect(reports[0].reward_model.labels).toBeGreaterThanOrEqual(4)
    expect(reports[0].grpo).toMatchObject({ reward: 'prm', supervision: 'process', steps: 1 })
    // PRM scores differ between steps and samples: the group is informative and the policy is updated
    expect(reports[0].grpo.history[0]).toMatchObject({ sequences: 6 })
    expect(reports[0].grpo.history[0].skipped).toBe(false)
  })

  it('RFT draws its samples from the starting model before training; online RFT from the policy at each step', { timeout: 120_000 }, async () => {
    await freshPolicy(4)
    const s = await runRl(w, ctx, { ...base, method: 'rft', klBeta: 0 })
    expect(s.samples).toBe(12)
    // nothing is correct for a random model: RFT's coefficient is 0 everywhere, no sequence is sent
    expect(s.history.every((m) => m.sequences === 0 && m.groups_kept === 2)).toBe(true)
    await expect(runRl(w, ctx, { ...base, method: 'online-rft', reward: 'orm' })).rejects.toThrow(/rule grader/)
  })
})
