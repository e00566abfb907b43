// fastText's CLI, mirrored: train on a file, then predict, predict-prob and test in fastText's formats.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { seedTrainingLines } from '../../src/fasttext/default-model.ts'
import { runCli } from '../helpers.ts'

describe('dsmath fasttext', () => {
  let dir: string
  let heldOut: string[]
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsmath-ft-'))
    const lines = seedTrainingLines()
    heldOut = lines.slice(0, 400)
    await writeFile(join(dir, 'train.txt'), lines.slice(400).join('\n') + '\n')
    await writeFile(join(dir, 'test.txt'), heldOut.join('\n') + '\n')
    const r = await runCli(['fasttext', 'supervised', '-input', join(dir, 'train.txt'), '-output', join(dir, 'm'), '-bucket', '50000', '-epoch', '10'])
    expect(r.code, r.stderr).toBe(0)
  }, 120_000)

  it('tests held-out lines in fastText format, well above chance', async () => {
    const r = await runCli(['fasttext', 'test', join(dir, 'm.bin'), join(dir, 'test.txt')])
    expect(r.code).toBe(0)
    const m = /^N\t(\d+)\nP@1\t([\d.]+)\nR@1\t([\d.]+)\n$/.exec(r.stdout)
    expect(m).not.toBeNull()
    expect(Number(m![1])).toBe(400)
    expect(Number(m![2])).toBeGreaterThan(0.85)
  })

  it('predict-prob prints k labels with probabilities that sum to 1', async () => {
    const input = heldOut.slice(0, 5).map((l) => l.split(' ').slice(1).join(' ')).join('\n') + '\n'
    await writeFile(join(dir, 'in.txt'), input)
    const r = await runCli(['fasttext', 'predict-prob', join(dir, 'm.bin'), join(dir, 'in.txt'), '2'])
    const rows = r.stdout.trim().split('\n').map((l) => l.split(' '))
    expect(rows).toHaveLength(5)
    for (const row of rows) {
      expect(row[0]).toMatch(/^__label__(math|other)$/)
      expect(Number(row[1]) + Number(row[3])).toBeCloseTo(1, 3)
    }
    const plain = await runCli(['fasttext', 'predict', join(dir, 'm.bin'), '-'], {}, input)
    expect(plain.stdout.trim().split('\n')).toEqual(rows.map((row) => row[0]))
  })

  it('rejects an unknown flag', async () => {
    const r = await runCli(['fasttext', 'supervised', '-input', 'x', '-output', 'y', '-dimm', '3'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown flag -dimm/)
  })
})
