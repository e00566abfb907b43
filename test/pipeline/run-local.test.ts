import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../src/fasttext/default-model.ts'
import { FastTextModel } from '../../src/fasttext/model.ts'
import { resolveInputs } from '../../src/pipeline/inputs.ts'
import { runLocal } from '../../src/pipeline/run-local.ts'
import type { Manifest } from '../../src/shard/manifest.ts'
import { FIXTURES } from '../helpers.ts'

const GOOD = `${FIXTURES}/warc/sample-0000.warc.gz`

describe('runLocal', () => {
  let model: FastTextModel
  let modelPath: string
  beforeAll(async () => { modelPath = await ensureDefaultModel(); model = await FastTextModel.load(modelPath) }, 120_000)

  it('records WARCs it cannot read in failed_inputs and carries on with the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-runlocal-'))
    const aDirectory = join(dir, 'looks-like.warc.gz')
    await mkdir(aDirectory)
    const missing = join(dir, 'missing.warc.gz')
    const out = join(dir, 'out')
    const { manifest, manifestPath } = await runLocal({ runId: 't', input: dir, warcs: [aDirectory, GOOD, missing], out, model, modelPath, concurrency: 2 })
    expect(manifest.shards).toHaveLength(1)
    expect(manifest.files.map((f) => f.warc_path)).toEqual([GOOD])
    expect(manifest.failed_inputs.map((f) => f.warc_path)).toEqual([aDirectory, missing])
    expect(manifest.failed_inputs[0].error).toBe(`${aDirectory}: is a directory, not a file`)
    expect(manifest.failed_inputs[1].error).toMatch(new RegExp(`^${missing}: no such file`))
    const written = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest
    expect(written.failed_inputs).toEqual(manifest.failed_inputs)
    expect(written.counters.records_read).toBeGreaterThan(0)
  })
})

describe('resolveInputs', () => {
  it('keeps only WARC files among a glob\'s matches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-glob-'))
    await mkdir(join(dir, 'sub.warc.gz'))
    await writeFile(join(dir, 'b.warc.gz'), '')
    await writeFile(join(dir, 'a.warc'), '')
    await writeFile(join(dir, 'notes.txt'), '')
    expect(await resolveInputs(`${dir}/*`)).toEqual([join(dir, 'a.warc'), join(dir, 'b.warc.gz')])
    await expect(resolveInputs(`${dir}/*.txt`)).rejects.toThrow(/none of the 1 matches is a \.warc/)
  })
})
