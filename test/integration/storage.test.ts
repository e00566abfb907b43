// Object storage on the real S3-compatible server reads and lists as local files do.
import { mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listObjects, readAll, readRange, readStream, writeObject } from '../../src/storage/store.ts'
import { freshBucket } from './s3.ts'

async function collect(uri: string, start: number): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const c of readStream(uri, start)) chunks.push(c)
  return Buffer.concat(chunks)
}

describe('storage on S3 and local disk alike', () => {
  it('reads nothing at or past the end of an object, and an empty range as empty', async () => {
    const bucket = await freshBucket('it-store')
    const local = join(await mkdtemp(join(tmpdir(), 'dsmath-store-')), 'obj.bin')
    for (const uri of [`s3://${bucket}/obj.bin`, local]) {
      await writeObject(uri, 'abcdef')
      expect((await collect(uri, 6)).length, uri).toBe(0)
      expect((await collect(uri, 2)).toString(), uri).toBe('cdef')
      expect((await readRange(uri, 2, 0)).length, uri).toBe(0)
      expect((await readRange(uri, 10, 4)).length, uri).toBe(0)
      expect((await readAll(uri)).toString(), uri).toBe('abcdef')
    }
  })

  it('lists a prefix without a slash as the folder of that name, not its siblings', async () => {
    const bucket = await freshBucket('it-store')
    for (const k of ['run1/shards/a b+ü.parquet', 'run10/shards/x.parquet', 'run1.json']) await writeObject(`s3://${bucket}/${k}`, 'x')
    expect(await listObjects(`s3://${bucket}/run1`)).toEqual([`s3://${bucket}/run1/shards/a b+ü.parquet`])
    expect(await listObjects(`s3://${bucket}/run1.json`)).toEqual([`s3://${bucket}/run1.json`])
    expect(await listObjects(`s3://${bucket}/run`)).toEqual([])
    expect(await listObjects(`s3://${bucket}/`)).toHaveLength(3)
  })

  it('writes the same local path concurrently without a clash or a temp file left behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-store-'))
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => writeObject(join(dir, 'same.json'), String(i))))
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    expect(await readdir(dir)).toEqual(['same.json'])
  })
})
