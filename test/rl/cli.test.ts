// dsmath train grpo / reward train-orm / reward score through the CLI at a tiny size (random policy, each
// command starts its own worker): the JSON summaries, the files written, and usage errors.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { SPECIAL_TOKENS, Tokenizer, toTokenizerJson } from '../../src/tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../../src/tokenizer/train.ts'
import { arithmeticDocument } from '../../src/train/arithmetic.ts'
import { spawnWorker, WorkerConn } from '../../src/train/worker.ts'
import { runCli } from '../helpers.ts'

let dir: string, ckpt: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsmath-rl-cli-'))
  const counter = new PieceCounter()
  for (let i = 0; i < 200; i++) counter.add(arithmeticDocument(5, i))
  const json = toTokenizerJson(trainBpe(counter.counts, { vocabSize: 400, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS)
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json))
  const w = await spawnWorker({ threads: 1, device: 'cpu' })
  const conn = new WorkerConn(w.address)
  await new Promise<void>((resolve, reject) => conn.client.initModel({
    model: { vocab_size: new Tokenizer(json).vocabSize, d_model: 32, n_layers: 1, n_heads: 2, ffn_hidden: 0, max_seq_len: 320, rope_theta: 0, dtype: 0, seed: 1, tie_embeddings: false, norm_eps: 0 },
    optimizer: { lr: 1e-3, beta1: undefined, beta2: undefined, weight_decay: undefined, grad_clip: 1, eps: undefined },
  }, (e) => (e ? reject(e) : resolve())))
  ckpt = join(dir, 'checkpoints', 'step-000000')
  await conn.saveCheckpoint(ckpt, {})
  conn.close()
  await w.stop()
}, 120_000)

describe('dsmath train grpo / reward (--local)', () => {
  it('train grpo --json: steps, samples, curves, evaluations at start and end, checkpoint and plot', { timeout: 180_000 }, async () => {
    const out = join(dir, 'grpo')
    const r = await runCli(['train', 'grpo', '--local', '--checkpoint', ckpt, '--steps', '2', '--questions', '1', '--group', '2', '--eval-n', '2',
      '--max-new-tokens', '4', '--threads', '1', '--out', out, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>
    expect(s).toMatchObject({ method: 'grpo', reward: 'rule', supervision: 'outcome', steps: 2, samples: 4 })
    expect(s.reward_curve).toEqual([0, 0]) // a random model answers nothing right
    expect((s.evals as { step: number; n: number }[]).map((e) => [e.step, e.n])).toEqual([[0, 2], [2, 2]])
    expect(existsSync(join(out, 'checkpoints', 'step-000002', 'model.safetensors'))).toBe(true)
    expect(await readFile(join(out, 'rl.svg'), 'utf8')).toContain('<svg')
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string })
    expect(lines.map((l) => l.kind)).toEqual(['eval', 'step', 'step', 'eval'])
  })

  it('reward train-orm writes a reward model that reward score then reads', { timeout: 180_000 }, async () => {
    const out = join(dir, 'orm')
    const r = await runCli(['reward', 'train-orm', '--local', '--checkpoint', ckpt, '--questions', '5', '--samples', '2', '--epochs', '1', '--batch', '4',
      '--max-new-tokens', '4', '--threads', '1', '--out', out, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>
    // 5 questions x 2 samples; the first question (a fifth) held out: 8 train, 2 held-out examples; 8 / 4 = 2 steps
    expect(s).toMatchObject({ kind: 'orm', solutions: 10, train_examples: 8, held_out_examples: 2, steps: 2 })
    const items = join(dir, 'items.jsonl')
    await writeFile(items, '{"id":"a","question":"Compute 2 + 3.","response":"Step 1: 2 + 3 = 5.\\nThe answer is \\\\boxed{5}."}\n')
    const sc = await runCli(['reward', 'score', '--local', '--reward-model', String(s.reward_model), '--jsonl', items, '--threads', '1'])
    expect(sc.code, sc.stderr).toBe(0)
    const row = JSON.parse(sc.stdout.trim()) as { id: string; score: number; step_scores: number[] }
    expect(row.id).toBe('a')
    expect(row.step_scores).toHaveLength(2) // two lines: two steps
    expect(row.score).toBe(row.step_scores[1])
    expect(row.score).toBeGreaterThan(0)
    expect(row.score).toBeLessThan(1)
  })

  it('usage errors name the flag', async () => {
    const r = await runCli(['train', 'grpo', '--local', '--checkpoint', ckpt, '--reward', 'orm'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--reward orm needs --reward-model/)
    const r2 = await runCli(['train', 'rft', '--local', '--checkpoint', ckpt, '--reward', 'prm'])
    expect(r2.stderr).toMatch(/--reward: rft learns from the rule grader only/)
    const r3 = await runCli(['train', 'grpo', '--local', '--checkpoint', ckpt, '--aggregation', 'max'])
    expect(r3.stderr).toMatch(/--aggregation must be/)
  })
})
