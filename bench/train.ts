// bench/train: the same model trained on the same batches by a plain PyTorch loop (bench/train_plain.py: the
// model file and the worker's loss, clipping and AdamW, nothing else) and through dsmath's services (a
// PyTorch worker process driven over gRPC by TypeScript, as the pretrain and SFT services drive it: each
// step's batch serialised, sent, validated, trained, answered). Reports per-step wall time of both (median
// over the steps after warmup, rounds interleaved to share the machine's load fairly), the overhead as % of
// the plain step, and the largest loss difference between the two runs (same seed: expected 0). Because two
// runs on a loaded machine differ by more than the overhead, it also reports the overhead measured within
// the same steps: the client's round trip minus the compute the worker timed itself (serialisation, gRPC,
// validation and building the batch tensors), as % of the round trip.
//   make bench-train     (or: npx tsx bench/train.ts [--rounds R] [--threads T])
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { arithmeticDocument } from '../src/train/arithmetic.ts'
import { GENERATED_ARITHMETIC } from '../src/train/data.ts'
import { runTokenizer } from '../src/train/tokenizer.ts'
import { REPO_ROOT, spawnWorker, WorkerConn } from '../src/train/worker.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, threads: { type: 'string', default: '1' }, sizes: { type: 'string', default: 'tiny,small' } } })
const rounds = Number(values.rounds), threads = Number(values.threads)
const SIZES = {
  tiny: { d_model: 64, n_layers: 2, n_heads: 4, batch: 4, seq: 64, steps: 60 },
  small: { d_model: 256, n_layers: 4, n_heads: 8, batch: 8, seq: 256, steps: 12 },
} as const
const WARMUP = 3
const dir = mkdtempSync(join(tmpdir(), 'bench-train-'))
const tok = await runTokenizer(undefined, join(dir, 'tokenizer.json'), [{ name: 'math_corpus', weight: 1, uris: [GENERATED_ARITHMETIC] }], 512, 1)

/** Packed sequences of seq + 1 tokens from the arithmetic generator, EOS between documents. */
function batches(seq: number, batch: number, steps: number): number[][][] {
  const out: number[][][] = []
  let buf: number[] = [], doc = 0
  for (let s = 0; s < steps; s++) {
    const b: number[][] = []
    for (let r = 0; r < batch; r++) {
      while (buf.length < seq + 1) buf.push(...tok.tokenizer.encode(arithmeticDocument(1, doc++)), tok.eosId)
      b.push(buf.slice(0, seq + 1))
      buf = buf.slice(seq + 1)
    }
    out.push(b)
  }
  return out
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
const python = process.env.DSMATH_PYTHON || `${REPO_ROOT}.venv/bin/python`
const lr = 1e-3

const results: Record<string, unknown>[] = []
for (const name of String(values.sizes).split(',') as (keyof typeof SIZES)[]) {
  const z = SIZES[name]
  const model = { vocab_size: tok.tokenizer.vocabSize, d_model: z.d_model, n_layers: z.n_layers, n_heads: z.n_heads, max_seq_len: z.seq, seed: 7 }
  const bs = batches(z.seq, z.batch, z.steps)
  const spec = join(dir, `${name}.json`)
  writeFileSync(spec, JSON.stringify({ model, lr, batches: bs }))
  const plainMs: number[] = [], svcMs: number[] = [], workerMs: number[] = [], transportMs: number[] = []
  let plainLosses: number[] = [], svcLosses: number[] = [], params = 0
  for (let r = 0; r < rounds; r++) {
    // plain PyTorch
    const out = JSON.parse(execFileSync(python, [join(REPO_ROOT, 'bench', 'train_plain.py'), spec, String(threads)], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 })) as { step_ms: number[]; losses: number[] }
    plainMs.push(...out.step_ms.slice(WARMUP))
    plainLosses = out.losses
    // through the worker over gRPC
    const w = await spawnWorker({ threads })
    const conn = new WorkerConn(w.address)
    try {
      const init = await conn.initModel({ model: { ...model, ffn_hidden: 0, rope_theta: 0, dtype: 0, tie_embeddings: false, norm_eps: 0 }, optimizer: { lr } })
      params = Number(init.num_params)
      svcLosses = []
      for (const [i, b] of bs.entries()) {
        const t0 = performance.now()
        const res = await conn.trainStep(b, lr)
        const ms = performance.now() - t0
        svcLosses.push(res.loss)
        if (i >= WARMUP) { svcMs.push(ms); workerMs.push(res.step_time_ms); transportMs.push(ms - res.step_time_ms) }
      }
    } finally {
      conn.close()
      await w.stop()
    }
  }
  const plain = median(plainMs), svc = median(svcMs), inWorker = median(workerMs)
  const maxDiff = Math.max(...plainLosses.map((l, i) => Math.abs(l - svcLosses[i]!)))
  const row = {
    size: name, params, batch: `${z.batch} x ${z.seq}`, steps: z.steps, rounds, threads,
    plain_step_ms: +plain.toFixed(2), service_step_ms: +svc.toFixed(2), worker_compute_ms: +inWorker.toFixed(2),
    overhead_ms: +(svc - plain).toFixed(2), overhead_pct: +((100 * (svc - plain)) / plain).toFixed(1),
    transport_ms: +median(transportMs).toFixed(2), transport_pct: +((100 * median(transportMs)) / svc).toFixed(2),
    max_loss_diff: maxDiff, first_loss: +plainLosses[0]!.toFixed(4), last_loss: +plainLosses.at(-1)!.toFixed(4),
  }
  results.push(row)
  console.error(`${name}: plain ${row.plain_step_ms} ms/step, through the worker over gRPC ${row.service_step_ms} ms/step (compute inside the worker ${row.worker_compute_ms} ms): overhead ${row.overhead_ms} ms = ${row.overhead_pct}%; within the same steps, round trip - worker compute = ${row.transport_ms} ms = ${row.transport_pct}% of the step; max |loss difference| ${maxDiff}`)
}
console.log('| model | batch | plain PyTorch step | through the worker (gRPC) | difference | round trip - worker compute | max loss diff |')
console.log('|---|---|---|---|---|---|---|')
for (const r of results) console.log(`| ${r.size}: ${r.params} params | ${r.batch} | ${r.plain_step_ms} ms | ${r.service_step_ms} ms | ${r.overhead_ms} ms (${r.overhead_pct}%) | ${r.transport_ms} ms (${r.transport_pct}%) | ${r.max_loss_diff} |`)
console.log(JSON.stringify({ command: `npx tsx bench/train.ts --rounds ${rounds} --threads ${threads}`, load_average: (await import('node:os')).loadavg(), results }))
