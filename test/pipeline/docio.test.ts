import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readDocs } from '../../src/pipeline/docio.ts'

const LINES = ['{"id":1,"text":"one"}', 'not json', 'null', '{"id":2}', '{"id":3,"text":"three"}']

async function file(name: string, body: string | Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'dsmath-docio-')), name)
  await writeFile(path, body)
  return path
}

describe('readDocs', () => {
  it('skips and reports each unreadable line when asked to, and keeps the rest', async () => {
    const path = await file('d.jsonl', LINES.join('\n') + '\n')
    const bad: string[] = []
    const docs = await readDocs(path, { onBad: (m) => bad.push(m) })
    expect(docs.map((d) => d.id)).toEqual([1, 3])
    expect(bad).toEqual([`${path}: line 2 is not JSON`, `${path}: line 3 has no "text" string`, `${path}: line 4 has no "text" string`])
  })

  it('throws at the first unreadable line, naming file and line, when not asked to skip', async () => {
    const path = await file('d.jsonl', LINES.join('\n'))
    await expect(readDocs(path)).rejects.toThrow(`${path}: line 2 is not JSON`)
  })

  it('keeps the lines before the cut of a gzip file cut short, and says so', async () => {
    const whole = gzipSync(Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: i, text: `document ${i} ${'x'.repeat(i % 50)}` })).join('\n'))
    const path = await file('d.jsonl.gz', whole.subarray(0, Math.floor(whole.length * 0.6)))
    const bad: string[] = []
    const docs = await readDocs(path, { onBad: (m) => bad.push(m) })
    expect(docs.length).toBeGreaterThan(100)
    expect(docs.length).toBeLessThan(2000)
    expect(docs.map((d) => d.id)).toEqual(docs.map((_, i) => i))
    expect(bad[0]).toMatch(new RegExp(`^${path}: the gzip stream is cut short or damaged`))
    await expect(readDocs(path)).rejects.toThrow(`${path}: not a readable gzip file`)
  })

  it('names a Parquet file it cannot decode', async () => {
    const path = await file('d.parquet', 'PAR1 this is not parquet PAR1')
    await expect(readDocs(path)).rejects.toThrow(new RegExp(`^${path}: not a readable Parquet file`))
  })
})
