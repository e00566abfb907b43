// Found by `make chaos` (Kafka restart campaign): an attempt that finished its shard but whose completion was lost
// (heartbeat timeout while the machine was starved) is retried with its last heartbeated checkpoint; the staging
// chunks that checkpoint names are gone by then. The retry must return the finished shard, not fail forever.
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import { FastTextModel } from '../../src/fasttext/model.ts'
import { loadModels } from '../../src/pipeline/document.ts'
import { type Checkpoint, runShardJob } from '../../src/pipeline/shard-job.ts'
import { decodeParquet } from '../../src/shard/parquet.ts'
import { FIXTURES } from '../helpers.ts'

describe('runShardJob retried after it finished', () => {
  it('returns the finished shard when the checkpoint it resumes from names staging chunks that are gone', async () => {
    const models = await loadModels(await FastTextModel.load(await ensureDefaultModel()))
    const out = await mkdtemp(join(tmpdir(), 'dsmath-finished-'))
    const warcPath = `${FIXTURES}/warc/sample-0000.warc.gz`
    let last: Checkpoint | undefined
    const first = await runShardJob({ warcPath, outBase: out, models, chunkRows: 4, onCheckpoint: (cp) => { last = cp } })
    expect(last!.chunks).toBeGreaterThan(0)
    const bytes = await readFile(first.path)

    const retry = await runShardJob({ warcPath, outBase: out, models, chunkRows: 4, resumeFrom: last })
    expect(retry).toEqual(first)
    expect(await readFile(retry.path)).toEqual(bytes)
    expect(decodeParquet(bytes).length).toBe(first.rows)
  }, 120_000)
})
