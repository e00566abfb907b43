import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readRange, readStream } from '../../src/storage/store.ts'
import { readWarc } from '../../src/warc/reader.ts'
import { type BadRecord, type WarcRecord, isBad, recordId, recordType, targetUri } from '../../src/warc/record.ts'
import { FIXTURES } from '../helpers.ts'

async function readAllRecords(file: string, start = 0): Promise<(WarcRecord | BadRecord)[]> {
  const out: (WarcRecord | BadRecord)[] = []
  for await (const r of readWarc(readStream(`${FIXTURES}/warc/${file}`, start), start)) out.push(r)
  return out
}

async function readBytes(bytes: Buffer): Promise<(WarcRecord | BadRecord)[]> {
  const out: (WarcRecord | BadRecord)[] = []
  for await (const r of readWarc((async function* () { yield bytes })())) out.push(r)
  return out
}

/** example.warc with the version line of its `n`th record (0-based) broken, or its Content-Length off by 2. */
function spoilRecord(n: number, how: 'version' | 'length'): Buffer {
  const text = readFileSync(`${FIXTURES}/warc/example.warc`, 'latin1')
  let at = -1
  for (let i = 0; i <= n; i++) at = text.indexOf('WARC/1.0\r\n', at + 1)
  if (how === 'version') return Buffer.from(text.slice(0, at) + 'XARC' + text.slice(at + 4), 'latin1')
  const cl = /Content-Length: (\d+)/.exec(text.slice(at))!
  const pos = at + cl.index
  return Buffer.from(text.slice(0, pos) + `Content-Length: ${Number(cl[1]) - 2}` + text.slice(pos + cl[0].length), 'latin1')
}

const types = (rs: (WarcRecord | BadRecord)[]): string[] => rs.map((r) => (isBad(r) ? `bad:${r.bad}` : recordType(r)))

describe('readWarc', () => {
  it('reads a gzip-per-record Common Crawl WARC: 1 warcinfo + 16 x (request, response, metadata)', async () => {
    const rs = await readAllRecords('warcfile.warc.gz')
    expect(rs).toHaveLength(50)
    expect(types(rs).filter((t) => t === 'response')).toHaveLength(16)
    expect(rs.every((r) => !isBad(r))).toBe(true)
  })

  it('gives offsets and lengths that re-read each record alone', async () => {
    const rs = (await readAllRecords('sample-0000.warc.gz')) as WarcRecord[]
    for (const r of rs.filter((x) => recordType(x) === 'response').slice(0, 5)) {
      const bytes = await readRange(`${FIXTURES}/warc/sample-0000.warc.gz`, r.offset, r.length)
      const again: WarcRecord[] = []
      for await (const x of readWarc((async function* () { yield bytes })(), r.offset)) again.push(x as WarcRecord)
      expect(again).toHaveLength(1)
      expect(recordId(again[0])).toBe(recordId(r))
      expect(again[0].block.equals(r.block)).toBe(true)
    }
  })

  it('resumes at a record boundary with the same records as a full read', async () => {
    const all = (await readAllRecords('sample-0000.warc.gz')) as WarcRecord[]
    const resume = all[10].resumeOffset!
    const tail = (await readAllRecords('sample-0000.warc.gz', resume)) as WarcRecord[]
    expect(tail.map(recordId)).toEqual(all.slice(11).map(recordId))
  })

  it('unwraps <...> target URIs', async () => {
    const rs = (await readAllRecords('sample-0000.warc.gz')) as WarcRecord[]
    const uris = rs.filter((r) => recordType(r) === 'response').map(targetUri)
    expect(uris.every((u) => /^https?:\/\/[^<>]+$/.test(u))).toBe(true)
  })

  it('reads the same records from the plain and the gzipped file', async () => {
    const gz = (await readAllRecords('example.warc.gz')).map((r) => recordId(r as WarcRecord))
    const plain = (await readAllRecords('example.warc')).map((r) => recordId(r as WarcRecord))
    expect(gz).toEqual(plain)
    expect(gz).toHaveLength(6)
  })

  it('reports a truncated gzip member as bad instead of throwing', async () => {
    expect(types(await readAllRecords('clipped.warc.gz'))).toEqual(['bad:truncated_gzip'])
  })

  it('keeps the good records around a wrong Content-Length', async () => {
    const rs = await readAllRecords('example-bad-length.warc')
    expect(types(rs).filter((t) => t.startsWith('bad:'))).toEqual(['bad:bad_content_length', 'bad:bad_content_length'])
    expect(rs.filter((r) => !isBad(r))).toHaveLength(4)
  })

  it('reads every record of a whole-file gzip (one member, many records)', async () => {
    expect(types(await readAllRecords('example-bad-non-chunked.warc.gz'))).toEqual(['warcinfo', 'warcinfo', 'response', 'request', 'revisit', 'request'])
  })

  it('keeps the records after a bad one inside a whole-file gzip member', async () => {
    const good = types(await readAllRecords('example.warc'))
    for (const how of ['version', 'length'] as const) {
      const rs = await readBytes(gzipSync(spoilRecord(2, how)))
      const expected = [...good.slice(0, 2), how === 'version' ? 'bad:malformed_header' : 'bad:bad_content_length', ...good.slice(3)]
      expect(types(rs), how).toEqual(expected)
      expect((rs[2] as BadRecord).raw.subarray(0, 4).toString(), how).toBe(how === 'version' ? 'XARC' : 'WARC')
    }
  })

  it('reads a gzipped WARC after stray blank lines at its start', async () => {
    const gz = readFileSync(`${FIXTURES}/warc/example.warc.gz`)
    const rs = await readBytes(Buffer.concat([Buffer.from('\r\n\n'), gz]))
    expect(types(rs)).toEqual(types(await readAllRecords('example.warc.gz')))
    expect(rs[0].offset).toBe(3)
  })

  it('survives a gzip stream that fails to inflate and a file cut mid-record', async () => {
    expect(types(await readAllRecords('double-single-inflate-error.gz'))[0]).toBe('bad:corrupt_gzip')
    const trunc = await readAllRecords('example-trunc.warc')
    expect(types(trunc).slice(0, 2)).toEqual(['warcinfo', 'warcinfo'])
    expect(trunc.some(isBad)).toBe(true)
  })

  it('reads WARC/0.18 ClueWeb records', async () => {
    const rs = await readAllRecords('clueweb-quirk.warc.gz')
    expect(rs).toHaveLength(30)
    expect((rs[1] as WarcRecord).version).toBe('0.18')
  })

  it('reads the same records from a local file read into its window directly as from the same bytes in chunks', async () => {
    const files = readdirSync(`${FIXTURES}/warc`).filter((f) => /\.warc(\.gz)?$|\.gz$/.test(f) && !f.endsWith('.paths.gz'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const direct = readStream(`${FIXTURES}/warc/${file}`)
      expect(typeof direct.readInto).toBe('function')
      // The same stream without readInto: its 1 MiB chunks, cut again into pieces of 777 bytes.
      const chunked = (async function* () {
        for await (const c of readStream(`${FIXTURES}/warc/${file}`)) for (let i = 0; i < c.length; i += 777) yield c.subarray(i, i + 777)
      })()
      const a: unknown[] = [], b: unknown[] = []
      for await (const r of readWarc(direct)) a.push(isBad(r) ? { ...r } : { ...r, block: Buffer.from(r.block) })
      for await (const r of readWarc(chunked)) b.push(isBad(r) ? { ...r } : { ...r, block: Buffer.from(r.block) })
      expect(a, file).toEqual(b)
    }
  })
})
