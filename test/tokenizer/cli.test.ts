import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeDocs } from '../../src/pipeline/docio.ts'
import { runCli } from '../helpers.ts'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'dsmath-tokenizer-cli-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('dsmath tokenizer', () => {
  const lines = ['Let $x^2 = 144$, so x = 12.', '妈咪买了3盒茶叶，一盒茶叶有6小包。', '\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}']

  it('trains on JSON lines and plain text to the requested size, then encodes and decodes stdin lines', async () => {
    await writeFile(join(dir, 'extra.txt'), lines.join('\n') + '\n')
    const out = join(dir, 'tokenizer.json')
    const r = await runCli(['tokenizer', 'train', '--input', 'sample/seed/positives.jsonl.gz', join(dir, 'extra.txt'), '--vocab-size', '700', '--out', out, '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 2, vocab_size: 700, sequences: 376 + 3 })
    expect(Object.keys(JSON.parse(await readFile(out, 'utf8')).model.vocab)).toHaveLength(700)

    const enc = await runCli(['tokenizer', 'encode', '--tokenizer', out], {}, lines.join('\n') + '\n')
    expect(enc.code).toBe(0)
    const ids = enc.stdout.trim().split('\n').map((l) => JSON.parse(l) as number[])
    expect(ids).toHaveLength(3)
    expect(ids.every((a) => a.length > 0 && a.every(Number.isInteger))).toBe(true)

    const dec = await runCli(['tokenizer', 'decode', '--tokenizer', out], {}, enc.stdout)
    expect(dec.code).toBe(0)
    expect(dec.stdout).toBe(lines.join('\n') + '\n')
  })

  it('reads Parquet shards (the text column)', async () => {
    const shard = join(dir, 'shard.parquet')
    await writeDocs(shard, lines.map((text, i) => ({ id: String(i), url: `https://example.org/${i}`, text })))
    const r = await runCli(['tokenizer', 'train', '--input', shard, '--vocab-size', '300', '--out', join(dir, 'p.json'), '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 1, sequences: 3, vocab_size: 300 })
  })

  it('names a missing flag, a bad vocabulary size and bad ids', async () => {
    const noSize = await runCli(['tokenizer', 'train', '--input', 'x.txt', '--out', join(dir, 't.json')])
    expect(noSize.code).toBe(2)
    expect(noSize.stderr).toMatch(/--vocab-size/)
    const small = await runCli(['tokenizer', 'train', '--input', 'x.txt', '--vocab-size', '10', '--out', join(dir, 't.json')])
    expect(small.code).toBe(2)
    expect(small.stderr).toMatch(/--vocab-size must be an integer >= 259/)
    const bad = await runCli(['tokenizer', 'decode', '--tokenizer', join(dir, 'tokenizer.json')], {}, '[1, "a"]\n')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/stdin line 1: not an array of token ids/)
  })
})
