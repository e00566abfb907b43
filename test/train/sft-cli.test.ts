// pretrain -> sft -> eval end to end through the CLI at a tiny size: the SFT loss falls and counts only
// response tokens; eval reports accuracy with its counts, and maj@k / pass@k with --k.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers.ts'

describe('dsmath train sft / eval --local', () => {
  it('pretrain -> sft -> eval: JSON summaries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-sft-cli-'))
    const t0 = performance.now()
    const pre = await runCli(['train', 'pretrain', '--local', '--steps', '10', '--seq-len', '256', '--batch', '2', '--d-model', '64', '--layers', '1', '--heads', '2', '--json', '--out', join(dir, 'pre'), '--threads', '2'])
    expect(pre.code, pre.stderr).toBe(0)
    const p = JSON.parse(pre.stdout)

    const sft = await runCli(['train', 'sft', '--local', '--checkpoint', p.checkpoint, '--steps', '12', '--batch', '2', '--json', '--out', join(dir, 'sft'), '--threads', '2'])
    expect(sft.code, sft.stderr).toBe(0)
    const s = JSON.parse(sft.stdout)
    expect(s).toMatchObject({ steps: 12, init_checkpoint: p.checkpoint, checkpoint: join(dir, 'sft', 'checkpoints', 'step-000012'), skipped_examples: 0 })
    expect(s.last_loss).toBeLessThan(s.first_loss)
    expect(s.response_tokens).toBeGreaterThan(0)
    expect(s.response_tokens).toBeLessThan(s.tokens) // prompts are read but not counted
    expect(s.tokens).toBeLessThanOrEqual(12 * 2 * 256)
    expect(s.examples).toBeGreaterThan(12 * 2)
    expect(s.tokens_per_sec).toBeGreaterThan(0)
    expect((await readdir(s.checkpoint)).sort()).toEqual(['model.safetensors', 'optimizer.safetensors', 'state.json'])
    const metrics = (await readFile(s.metrics, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(metrics).toHaveLength(12)
    expect(metrics.reduce((a: number, m: { response_tokens: number }) => a + m.response_tokens, 0)).toBe(s.response_tokens)

    const ev = await runCli(['train', 'eval', '--local', '--checkpoint', s.checkpoint, '--generated', '3', '--k', '2', '--max-new-tokens', '24', '--json', '--threads', '2', '--out', join(dir, 'res.jsonl')])
    expect(ev.code, ev.stderr).toBe(0)
    const e = JSON.parse(ev.stdout)
    expect(e).toMatchObject({ n: 3, k: 2, data: 'generated:3' })
    expect(e.accuracy).toBeGreaterThanOrEqual(0)
    expect(e.accuracy).toBeLessThanOrEqual(1)
    expect(e.accuracy).toBeCloseTo(e.correct / e.n, 12)
    for (const key of ['maj_at_k', 'pass_at_k']) {
      expect(e[key]).toBeGreaterThanOrEqual(0)
      expect(e[key]).toBeLessThanOrEqual(1)
    }
    expect(e.pass_correct).toBeGreaterThanOrEqual(e.maj_correct)
    expect(e.generated_tokens).toBeGreaterThan(0)
    expect(e.generated_tokens).toBeLessThanOrEqual(3 * 3 * 24)
    const rows = (await readFile(join(dir, 'res.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(rows.map((r: { id: string }) => r.id)).toEqual(['gen-0', 'gen-1', 'gen-2'])
    expect(rows.every((r: { samples: unknown[] }) => r.samples.length === 2)).toBe(true)

    // A problem file, greedy only.
    const f = join(dir, 'p.jsonl')
    await writeFile(f, '{"id":"x","question":"Compute 2 + 3.","answer":"5"}\n{"id":"y","question":"Compute 4 * 2.","answer":"8"}\n')
    const ev2 = await runCli(['train', 'eval', '--local', '--checkpoint', s.checkpoint, '--data', f, '--limit', '1', '--max-new-tokens', '16', '--json', '--threads', '2'])
    expect(ev2.code, ev2.stderr).toBe(0)
    const e2 = JSON.parse(ev2.stdout)
    expect(e2).toMatchObject({ n: 1, data: f })
    expect([0, 1]).toContain(e2.correct)
    expect(e2).not.toHaveProperty('maj_at_k')
    console.log(`pretrain -> sft -> eval: ${((performance.now() - t0) / 1000).toFixed(1)} s; sft loss ${s.first_loss.toFixed(3)} -> ${s.last_loss.toFixed(3)}`)
  }, 400_000) // 84 s on a quiet machine; several minutes when the 2 cores are shared by many jobs

  it('refuses bad flags with exit status 2', async () => {
    const a = await runCli(['train', 'eval', '--local', '--generated', '3'])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/--checkpoint is required/)
    const b = await runCli(['train', 'eval', '--local', '--checkpoint', 'x', '--generated', '3', '--data', 'f.jsonl'])
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/one of --data/)
    const c = await runCli(['train', 'sft', '--local', '--steps', '0'])
    expect(c.code).toBe(2)
  })
})
