// How fast GRPO fits a fixed pool of questions, with the SFT checkpoint's AdamW moments kept or fresh: the
// same POOL questions every step (32 questions x 8 samples), the share of correct samples printed per step.
// With EVAL_N > 0 it also evaluates EVAL_N held-out problems (greedy, maj@8/pass@8) before and after: whether what
// GRPO fits on the pool carries over to questions it has not seen.
//   npx tsx bench/rl/fixed-pool.ts CHECKPOINT [fresh|kept]   (env POOL=32 LR=3e-4 WARMUP=5 STEPS=40 MAX_VALUE=30 EVAL_N=0)
import { newlineTest, RlWorker } from '../../src/rl/rollout.ts'
import { rlQuestion, runRl } from '../../src/rl/trainer.ts'
import { checkpointTokenizerPath, loadTokenizer } from '../../src/train/sft.ts'
import { spawnWorker, WorkerConn } from '../../src/train/worker.ts'

const checkpoint = process.argv[2]
if (!checkpoint) throw new Error('usage: npx tsx bench/rl/fixed-pool.ts CHECKPOINT [fresh|kept]')
const fresh = (process.argv[3] ?? 'fresh') === 'fresh'
const env = (k: string, d: number): number => Number(process.env[k] ?? d)
const pool = env('POOL', 32), limits = { maxValue: env('MAX_VALUE', 30) }
const spawned = await spawnWorker({ threads: 1 })
const w = new RlWorker(new WorkerConn(spawned.address))
try {
  const { tokenizer, eosId } = await loadTokenizer(checkpointTokenizerPath(checkpoint))
  const loaded = await w.loadCheckpoint(checkpoint, fresh)
  await w.resetReference()
  const ctx = { codec: tokenizer, eosId, maxSeqLen: loaded.model?.max_seq_len ?? 0, isNewline: newlineTest(tokenizer) }
  console.log(`step share_correct kl (optimizer ${fresh ? 'fresh' : 'kept from the checkpoint'})`)
  await runRl(w, ctx, {
    method: 'grpo', reward: 'rule', steps: env('STEPS', 40), questionsPerStep: pool, groupSize: 8, mu: 1, clipEps: 0.2, klBeta: 0.04,
    aggregation: 'sequence-mean', lr: env('LR', 3e-4), lrSchedule: 'constant', warmup: fresh ? env('WARMUP', 5) : 0, temperature: 0.7, topP: 1,
    maxNewTokens: 120, dynamicSampling: false, seed: 1, evalEvery: 0, evalN: env('EVAL_N', 0), evalK: 8, limits, question: (j) => rlQuestion(j % pool, limits),
  }, {
    onStep: (m) => console.log(m.step, m.accuracy.toFixed(3), m.kl.toExponential(2)),
    onEval: (e) => console.log(`held-out at step ${e.step}: greedy ${e.correct}/${e.n}, maj@8 ${e.maj_at_k}, pass@8 ${e.pass_at_k}`),
  })
} finally {
  await spawned.stop()
}
