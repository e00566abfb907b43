// `dsmath train pretrain --local --steps 50 --json`: a tiny model trained on generated arithmetic text through
// a PyTorch worker the CLI starts (and stops) itself; the loss falls, the checkpoint and the plot exist, and
// the same command on the same --out resumes from the checkpoint instead of starting over.
import { mkdir, mkdtemp, readFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers.ts'

describe('dsmath train pretrain --local', () => {
  it('trains 50 steps on generated arithmetic text: the loss falls, a checkpoint and a plot are written', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'dsmath-pretrain-cli-')), 'run')
    const t0 = performance.now()
    const r = await runCli(['train', 'pretrain', '--local', '--steps', '50', '--json', '--out', out, '--threads', '2'])
    const sec = (performance.now() - t0) / 1000
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.steps).toBe(50)
    expect(s.first_loss).toBeGreaterThan(5) // ~ln(vocab) at the start
    expect(s.last_loss).toBeLessThan(s.first_loss * 0.5)
    expect(s.tokens).toBe(50 * 8 * 128)
    expect(s.tokens_per_sec).toBeGreaterThan(0)
    expect(s.checkpoint).toBe(join(out, 'checkpoints', 'step-000050'))
    expect((await readdir(s.checkpoint)).sort()).toEqual(['model.safetensors', 'optimizer.safetensors', 'state.json'])
    const svg = await readFile(s.plot, 'utf8')
    expect(svg).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/)
    const metrics = (await readFile(s.metrics, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(metrics.map((m: { step: number }) => m.step)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    // The paper's multi-step schedule: peak until step 40 (80%), 31.6% for 41-45, 10% for 46-50.
    expect(metrics[39].lr).toBe(3e-3)
    expect(metrics[40].lr).toBeCloseTo(3e-3 * 0.316, 12)
    expect(metrics[49].lr).toBeCloseTo(3e-4, 12)
    expect(s.mixture[0]).toMatchObject({ name: 'math_corpus', generated: true, effective: 1 })
    expect(s.redistributed).toMatch(/no data for algebraic_stack, arxiv, github_code, common_crawl/)
    expect(r.stderr).toMatch(/pretrain \[#+\] 50\/50 loss/)
    console.log(`dsmath train pretrain --local --steps 50: ${sec.toFixed(1)} s, loss ${s.first_loss.toFixed(3)} -> ${s.last_loss.toFixed(3)}, ${s.tokens_per_sec} tokens/s`)

    // Same --out, more steps: resumes at step 50 and runs 3 more.
    const again = await runCli(['train', 'pretrain', '--local', '--steps', '53', '--json', '--out', out, '--threads', '2'])
    expect(again.code, again.stderr).toBe(0)
    const s2 = JSON.parse(again.stdout)
    expect(s2).toMatchObject({ steps: 53, resumed_from: s.checkpoint, tokens: 53 * 8 * 128 })
    expect(s2.last_loss).toBeLessThan(s.first_loss * 0.5)
  }, 150_000)

  it('says what is wrong with a --checkpoint that is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-ckpt-'))
    const missing = await runCli(['train', 'eval', '--local', '--checkpoint', join(dir, 'nope'), '--generated', '1'])
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toBe(`dsmath train eval: --checkpoint ${join(dir, 'nope')}: not a checkpoint (no state.json)`)
    await mkdir(join(dir, 'run', 'checkpoints', 'step-000010'), { recursive: true })
    await mkdir(join(dir, 'run', 'checkpoints', 'step-000020'))
    const run = await runCli(['train', 'grpo', '--local', '--checkpoint', join(dir, 'run'), '--out', join(dir, 'grpo')])
    expect(run.code).toBe(1)
    expect(run.stderr.trim()).toBe(`dsmath train grpo: --checkpoint ${join(dir, 'run')}: not a checkpoint (no state.json); a run directory: give one of its checkpoints, e.g. ${join(dir, 'run', 'checkpoints', 'step-000020')}`)
    expect(await readdir(dir)).toEqual(['run']) // nothing written for a run that cannot start
  })

  it('refuses bad flags with exit status 2', async () => {
    const r = await runCli(['train', 'pretrain', '--local', '--steps', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--steps must be an integer >= 1/)
    const h = await runCli(['train', 'pretrain', '--local', '--heads', '3'])
    expect(h.code).toBe(2)
    expect(h.stderr).toMatch(/config\.common\.model\.n_heads/)
  })
})
