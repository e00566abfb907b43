import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers.ts'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'dsmath-decontam-cli-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

const readJsonl = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))

describe('dsmath decontam', () => {
  const docs = [
    { id: 'leak', url: 'https://forum.example/t/1', text: "Help please: Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning, thanks!" },
    { id: 'fine', url: 'https://blog.example/ducks', text: 'Ducks lay eggs in spring. A duck eats seeds, insects and small fish every morning.' },
  ]

  it('writes the kept documents and a decontam-report.jsonl naming the benchmark item', async () => {
    await writeFile(join(dir, 'in.jsonl'), docs.map((d) => JSON.stringify(d) + '\n').join(''))
    const out = join(dir, 'out.jsonl'), report = join(dir, 'decontam-report.jsonl')
    const r = await runCli(['decontam', '--input', join(dir, 'in.jsonl'), '--out', out, '--report', report, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ docs: 2, dropped: 1, kept: 1, ngram10: 1 })
    expect(await readJsonl(out)).toEqual([docs[1]])
    const [drop] = await readJsonl(report)
    expect(drop).toMatchObject({ id: 'leak', url: docs[0].url, match: 'ngram10' })
    expect(drop.benchmark_item).toMatch(/^gsm8k\/test\.jsonl:1#/)
  })

  it('reads another benchmark directory with --benchmarks, and names a missing one', async () => {
    await writeFile(join(dir, 'mine.jsonl'), JSON.stringify({ question: 'A duck eats seeds, insects and small fish every morning.' }) + '\n')
    const r = await runCli(['decontam', '--input', join(dir, 'in.jsonl'), '--out', join(dir, 'o2.jsonl'), '--report', join(dir, 'r2.jsonl'), '--benchmarks', dir, '--json'])
    expect(r.code).toBe(0)
    expect((await readJsonl(join(dir, 'r2.jsonl'))).map((d) => d.id)).toEqual(['fine'])
    const bad = await runCli(['decontam', '--input', join(dir, 'in.jsonl'), '--out', join(dir, 'o3.jsonl'), '--report', join(dir, 'r3.jsonl'), '--benchmarks', join(dir, 'nope')])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/--benchmarks .*nope: no such directory/)
  })
})
