// GRPO through the PyTorch worker: its PolicyStep loss equals the TypeScript reference (src/rl/grpo.ts) on the
// same inputs, a reward is learned from group-relative advantages, and ResetReference makes the reference the
// current policy.
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  LossAggregation, type GenerateResponse, type LogProbsResponse, type PolicySequence, type PolicyStepResponse,
} from '../../src/gen/dsmath/v1/worker.ts'
import { grpoLoss, outcomeAdvantages } from '../../src/rl/grpo.ts'
import { spawnWorker, WorkerConn, type SpawnedWorker } from '../../src/train/worker.ts'

const V = 16, PROMPT = [1, 2, 3], G = 8, LEN = 6, TARGET = 5
let spawned: SpawnedWorker
let w: WorkerConn

function call<Req, Res>(client: WorkerConn['client'], method: 'initModel' | 'generate' | 'logProbs' | 'policyStep' | 'resetReference' | 'initRewardModel', req: Req): Promise<Res> {
  const fn = (client[method] as unknown as (r: Req, m: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client)
  return new Promise((resolve, reject) => fn(req, new grpc.Metadata(), { deadline: Date.now() + 60_000 }, (e, r) => (e ? reject(e) : resolve(r))))
}

beforeAll(async () => {
  spawned = await spawnWorker({ threads: 1, device: 'cpu' })
  w = new WorkerConn(spawned.address)
  await call(w.client, 'initModel', {
    model: { vocab_size: V, d_model: 32, n_layers: 2, n_heads: 4, ffn_hidden: 0, max_seq_len: 32, rope_theta: 0, dtype: 0, seed: 3, tie_embeddings: false, norm_eps: 0 },
    optimizer: { lr: 3e-3, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: 1, eps: undefined },
  })
  await call(w.client, 'resetReference', {})
}, 90_000)
afterAll(async () => {
  w?.close()
  await spawned?.stop()
})

/** Reward: the share of completion tokens equal to TARGET. */
const reward = (tokens: number[]): number => tokens.filter((t) => t === TARGET).length / tokens.length

async function sampleGroup(seed: number): Promise<{ completions: GenerateResponse['completions']; ref: number[][] }> {
  const { completions } = await call<object, GenerateResponse>(w.client, 'generate', {
    prompts: Array.from({ length: G }, () => ({ tokens: PROMPT, loss_mask: [] })), max_new_tokens: LEN, temperature: 1, top_p: 1, seed, stop_tokens: [],
  })
  const ref = await call<object, LogProbsResponse>(w.client, 'logProbs', { sequences: completions.map((c) => ({ tokens: [...PROMPT, ...c.tokens], loss_mask: [] })), reference: true })
  return { completions, ref: ref.sequences.map((s) => s.logprobs.slice(PROMPT.length - 1)) }
}

const policySequences = (completions: GenerateResponse['completions'], advantages: number[][], ref: number[][]): PolicySequence[] =>
  completions.map((c, i) => ({ tokens: [...PROMPT, ...c.tokens], prompt_length: PROMPT.length, advantages: advantages[i], old_logprobs: c.logprobs, ref_logprobs: ref[i] }))

describe('GRPO on the worker', () => {
  it('computes the same loss as the TypeScript reference, for each aggregation', { timeout: 60_000 }, async () => {
    const { completions, ref } = await sampleGroup(1)
    const rewards = completions.map((c) => reward(c.tokens))
    const advantages = outcomeAdvantages(rewards.map((r, i) => r + i * 1e-3), completions.map((c) => c.tokens.length))
    const logp = (await call<object, LogProbsResponse>(w.client, 'logProbs', { sequences: completions.map((c) => ({ tokens: [...PROMPT, ...c.tokens], loss_mask: [] })) }))
      .sequences.map((s) => s.logprobs.slice(PROMPT.length - 1))
    for (const [aggregation, name] of [[LossAggregation.LOSS_AGGREGATION_SEQUENCE_MEAN, 'sequence-mean'], [LossAggregation.LOSS_AGGREGATION_TOKEN_MEAN, 'token-mean'], [LossAggregation.LOSS_AGGREGATION_DR_GRPO, 'dr-grpo']] as const) {
      // lr 0: the step changes nothing, so every aggregation sees the same policy
      const res = await call<object, PolicyStepResponse>(w.client, 'policyStep', {
        sequences: policySequences(completions, advantages, ref), clip_eps: 0.2, kl_beta: 0.04, aggregation, max_length: 0, learning_rate: 0,
      })
      const expected = grpoLoss({ logp, logpOld: completions.map((c) => c.logprobs), logpRef: ref, advantages, eps: 0.2, beta: 0.04, aggregation: name })
      expect(res.loss).toBeCloseTo(expected, 5)
      expect(res.tokens).toBe(G * LEN)
    }
  })

  it('learns the rewarded behaviour from group-relative advantages, and the reference resets to the policy', { timeout: 120_000 }, async () => {
    const meanReward = async (seed: number): Promise<number> => {
      const { completions } = await sampleGroup(seed)
      return completions.reduce((a, c) => a + reward(c.tokens), 0) / G
    }
    const before = (await Promise.all([101, 102, 103].map(meanReward))).reduce((a, b) => a + b) / 3
    let kl = 0
    for (let it = 0; it < 25; it++) {
      const { completions, ref } = await sampleGroup(1000 + it)
      const advantages = outcomeAdvantages(completions.map((c) => reward(c.tokens)), completions.map((c) => c.tokens.length))
      const res = await call<object, PolicyStepResponse>(w.client, 'policyStep', {
        sequences: policySequences(completions, advantages, ref), clip_eps: 0.2, kl_beta: 0.04, aggregation: LossAggregation.LOSS_AGGREGATION_SEQUENCE_MEAN, max_length: 0,
      })
      kl = res.kl
    }
    const after = (await Promise.all([101, 102, 103].map(meanReward))).reduce((a, b) => a + b) / 3
    expect(after).toBeGreaterThan(before + 0.2)
    expect(kl).toBeGreaterThan(0) // the policy moved away from the reference

    const probe = { sequences: [{ tokens: [...PROMPT, TARGET, TARGET, 7], loss_mask: [] }] }
    const policy = await call<object, LogProbsResponse>(w.client, 'logProbs', probe)
    const stale = await call<object, LogProbsResponse>(w.client, 'logProbs', { ...probe, reference: true })
    expect(Math.abs(policy.sequences[0].sum - stale.sequences[0].sum)).toBeGreaterThan(1e-3)
    await call(w.client, 'resetReference', {})
    const reset = await call<object, LogProbsResponse>(w.client, 'logProbs', { ...probe, reference: true })
    expect(reset.sequences[0].sum).toBeCloseTo(policy.sequences[0].sum, 9)
  })

  it('refuses a bad policy step, naming the field', async () => {
    const err = await call(w.client, 'policyStep', {
      sequences: [{ tokens: [1, 2, 3], prompt_length: 1, advantages: [1], old_logprobs: [0, 0], ref_logprobs: [] }], clip_eps: 0.2, kl_beta: 0, aggregation: 0, max_length: 0,
    }).then(() => null, (e: grpc.ServiceError) => e)
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT)
    expect(err?.details).toMatch(/^sequences\[0\]\.advantages: needs one value per completion token \(2\)/)
  })

  it('keeps the status of a reward-model refusal over the wire', async () => {
    const err = await call(w.client, 'initRewardModel', { checkpoint: '/nonexistent', optimizer: { lr: 0 }, seed: 0 }).then(() => null, (e: grpc.ServiceError) => e)
    expect(err?.code).toBe(grpc.status.NOT_FOUND)
    expect(err?.details).toBe('checkpoint: no checkpoint at /nonexistent (state.json missing)')
  })
})
