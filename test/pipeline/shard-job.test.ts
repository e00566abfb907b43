import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import { FastTextModel } from '../../src/fasttext/model.ts'
import { loadModels, type Models } from '../../src/pipeline/document.ts'
import { type Checkpoint, runShardJob } from '../../src/pipeline/shard-job.ts'
import { decodeParquet } from '../../src/shard/parquet.ts'
import { FIXTURES } from '../helpers.ts'

const WARC = `${FIXTURES}/warc/sample-0000.warc.gz`

describe('runShardJob', () => {
  let models: Models
  beforeAll(async () => { models = await loadModels(await FastTextModel.load(await ensureDefaultModel())) }, 120_000)

  /** Runs the WARC into `out` until a simulated crash at record 30; the last checkpoint it reported. */
  async function crashAfter30Records(out: string): Promise<Checkpoint> {
    let last: Checkpoint | undefined
    let records = 0
    await expect(runShardJob({
      warcPath: WARC, outBase: out, models, chunkRows: 4,
      onCheckpoint: (cp) => { last = cp },
      afterRecord: async () => { if (++records === 30) throw new Error('simulated crash') },
    })).rejects.toThrow('simulated crash')
    return last!
  }

  it('writes one row per HTML response, scored', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsmath-job-'))
    const info = await runShardJob({ warcPath: WARC, outBase: out, models })
    const rows = decodeParquet(await readFile(info.path))
    expect(info.counters.html_pages).toBe(22)
    expect(rows.length + (info.counters.dropped.language ?? 0)).toBe(22)
    expect(rows.length).toBeGreaterThan(15)
    expect(rows.every((r) => r.lang === 'en' || r.lang === 'zh')).toBe(true)
    expect(rows.every((r) => r.math_score >= 0 && r.math_score <= 1 && r.text.length > 0)).toBe(true)
    expect(new Set(rows.map((r) => r.warc_record_id)).size).toBe(rows.length)
  })

  it('resumes after a crash from its last checkpoint with every record exactly once', async () => {
    const clean = await runShardJob({ warcPath: WARC, outBase: await mkdtemp(join(tmpdir(), 'dsmath-clean-')), models, chunkRows: 4 })
    const cleanIds = decodeParquet(await readFile(clean.path)).map((r) => r.warc_record_id)

    const out = await mkdtemp(join(tmpdir(), 'dsmath-crash-'))
    const last = await crashAfter30Records(out)
    expect(last.offset).toBeGreaterThan(0)
    expect(last.chunks).toBeGreaterThan(0)

    const resumed = await runShardJob({ warcPath: WARC, outBase: out, models, chunkRows: 4, resumeFrom: last })
    const ids = decodeParquet(await readFile(resumed.path)).map((r) => r.warc_record_id)
    expect(ids).toEqual(cleanIds)
    expect(resumed.counters).toEqual(clean.counters)
  })

  it('a retry of a new run into the same output is not answered by what an earlier run finished', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dsmath-rerun-'))
    const earlier = await runShardJob({ warcPath: WARC, outBase: out, models, chunkRows: 4, stages: { languages: ['zh'], prefilter: false } })
    const last = await crashAfter30Records(out)
    const retried = await runShardJob({ warcPath: WARC, outBase: out, models, chunkRows: 4, resumeFrom: last })
    const clean = await runShardJob({ warcPath: WARC, outBase: await mkdtemp(join(tmpdir(), 'dsmath-rerun-clean-')), models, chunkRows: 4 })
    expect(retried.rows).toBe(clean.rows)
    expect(retried.rows).not.toBe(earlier.rows)
  })
})
