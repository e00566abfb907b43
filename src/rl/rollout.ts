// The rollout path of RL: typed calls to the PyTorch worker (generation, log-probs, policy and reward-model
// steps), G samples per question, grading with the rule grader, and splitting a response into reasoning steps.
import type {
  GenerateRequest, GenerateResponse, InitRewardModelRequest, InitRewardModelResponse, LogProbsResponse, PolicyStepRequest,
  PolicyStepResponse, ResetReferenceResponse, RewardScoreResponse, RewardTrainStepResponse, SaveCheckpointResponse, ScoredSequence,
} from '../gen/dsmath/v1/worker.ts'
import { gradeResponse } from '../grade/grade.ts'
import { cotPrompt } from '../train/sft.ts'
import type { WorkerConn } from '../train/worker.ts'

/** The worker RPCs RL uses. */
export class RlWorker {
  /** Calls go through `conn` (its bearer token and job id). */
  constructor(readonly conn: WorkerConn) {}
  private call<Req, Res>(method: string, req: Req): Promise<Res> { return this.conn.invoke(method, req, 1_800_000) }
  generate(req: GenerateRequest): Promise<GenerateResponse> { return this.call('generate', req) }
  logProbs(sequences: number[][], reference = false): Promise<LogProbsResponse> {
    return this.call('logProbs', { sequences: sequences.map((tokens) => ({ tokens, loss_mask: [] })), reference })
  }
  policyStep(req: PolicyStepRequest): Promise<PolicyStepResponse> { return this.call('policyStep', req) }
  resetReference(): Promise<ResetReferenceResponse> { return this.call('resetReference', {}) }
  /** freshOptimizer: the weights only, the optimizer's moments start at zero. */
  loadCheckpoint(path: string, freshOptimizer = false): Promise<{ step: number; model?: { max_seq_len: number } }> {
    return this.call('loadCheckpoint', { path, fresh_optimizer: freshOptimizer })
  }
  saveCheckpoint(path: string, state: unknown): Promise<SaveCheckpointResponse> {
    return this.call('saveCheckpoint', { path, client_state_json: JSON.stringify(state) })
  }
  initRewardModel(req: InitRewardModelRequest): Promise<InitRewardModelResponse> { return this.call('initRewardModel', req) }
  rewardTrainStep(sequences: ScoredSequence[], learningRate?: number): Promise<RewardTrainStepResponse> {
    return this.call('rewardTrainStep', { sequences, ...(learningRate === undefined ? {} : { learning_rate: learningRate }) })
  }
  rewardScore(sequences: { tokens: number[]; positions: number[] }[]): Promise<RewardScoreResponse> {
    return this.call('rewardScore', { sequences: sequences.map((s) => ({ ...s, labels: [] })) })
  }
  saveRewardModel(path: string, state: unknown): Promise<SaveCheckpointResponse> {
    return this.call('saveRewardModel', { path, client_state_json: JSON.stringify(state) })
  }
}

export interface TextCodec {
  encode(text: string): number[]
  decode(ids: readonly number[], opts?: { skipSpecial?: boolean }): string
}

export interface Question { id: string; question: string; answer: string }

/** One sampled output: its tokens (EOS included when it stopped), their log-probs under the sampling policy. */
export interface Rollout {
  question: Question
  prompt: number[]
  tokens: number[]
  logprobs: number[]
  text: string
  answer: string | null
  correct: boolean
}

export interface SamplingOptions {
  codec: TextCodec
  eosId: number
  maxNewTokens: number
  temperature: number
  topP: number
  seed: number
  /** The model's max_seq_len: generation is capped so that prompt + completion fit it (reward models read
   * at most max_seq_len tokens). */
  maxSeqLen?: number
}

/** max_new_tokens for a Generate call over these prompts. */
export function newTokenBudget(o: Pick<SamplingOptions, 'maxNewTokens' | 'maxSeqLen'>, prompts: readonly number[][]): number {
  if (!o.maxSeqLen) return o.maxNewTokens
  const room = o.maxSeqLen - Math.max(...prompts.map((p) => p.length))
  if (room < 1) throw new Error(`a prompt of ${o.maxSeqLen - room} tokens leaves no room within max_seq_len ${o.maxSeqLen}`)
  return Math.min(o.maxNewTokens, room)
}

/** Decodes a completion without its EOS. */
export function completionText(codec: TextCodec, eosId: number, tokens: readonly number[]): string {
  return codec.decode(tokens.filter((t) => t !== eosId), { skipSpecial: true })
}

/** G samples per question from the worker's policy (one Generate call), each graded by the rule grader. */
export async function sampleGroups(w: RlWorker, questions: readonly Question[], G: number, o: SamplingOptions, promptSuffix: (q: Question) => number[] = () => []): Promise<Rollout[][]> {
  const prompts = questions.map((q) => [...o.codec.encode(cotPrompt(q.question)), ...promptSuffix(q)])
  const res = await w.generate({
    prompts: prompts.flatMap((p) => Array.from({ length: G }, () => ({ tokens: p, loss_mask: [] }))),
    max_new_tokens: newTokenBudget(o, prompts), temperature: o.temperature, top_p: o.topP, seed: o.seed, stop_tokens: [o.eosId],
  })
  return questions.map((q, i) => res.completions.slice(i * G, (i + 1) * G).map((c) => {
    const text = completionText(o.codec, o.eosId, c.tokens)
    const g = gradeResponse(text, q.answer)
    return { question: q, prompt: prompts[i], tokens: c.tokens, logprobs: c.logprobs, text, answer: g.answer, correct: g.correct }
  }))
}

/**
 * Reasoning steps of a completion: a step ends at a token whose text contains a newline, and the last step at
 * the last token. Returns the index (in the completion) of the last token of each step, increasing.
 */
export function stepEnds(tokens: readonly number[], isNewline: (id: number) => boolean): number[] {
  const ends: number[] = []
  tokens.forEach((t, i) => { if (isNewline(t) && i < tokens.length - 1) ends.push(i) })
  if (tokens.length) ends.push(tokens.length - 1)
  // a newline right before EOS (or a run of newlines) would make an empty step: keep the last of a run only
  return ends.filter((e, j) => j === ends.length - 1 || ends[j + 1] !== e + 1 || !isNewline(tokens[e + 1]))
}

/** A cached "does this token's text hold a newline" for a codec. */
export function newlineTest(codec: TextCodec): (id: number) => boolean {
  const cache = new Map<number, boolean>()
  return (id) => {
    let v = cache.get(id)
    if (v === undefined) { v = codec.decode([id]).includes('\n'); cache.set(id, v) }
    return v
  }
}
