import { readRange, readStream } from '../storage/store.ts'
import { readWarc } from '../warc/reader.ts'
import { isBad, recordId, recordType, targetUri } from '../warc/record.ts'
import { intFlag, parse, UsageError } from './args.ts'

const LS_USAGE = `
dsmath warc ls <file|s3://...>
Prints one JSON line per record: type, uri, id, offset, length, content_type (bad records: bad, message).
`
const GET_USAGE = `
dsmath warc get <file|s3://...> --offset N [--length L]
Prints the record at byte offset N (its headers, then its content block), read with a ranged read.
`

export async function warcLs(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, LS_USAGE)
  if (positionals.length !== 1) throw new UsageError('give exactly one WARC file or s3:// URI')
  for await (const r of readWarc(readStream(positionals[0]))) {
    const line = isBad(r)
      ? { bad: r.bad, message: r.message, offset: r.offset, length: r.length }
      : { type: recordType(r), uri: targetUri(r), id: recordId(r), offset: r.offset, length: r.length, content_type: r.headers.get('Content-Type') ?? '' }
    process.stdout.write(JSON.stringify(line) + '\n')
  }
  return 0
}

export async function warcGet(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { offset: { type: 'string' }, length: { type: 'string' } }, GET_USAGE)
  if (positionals.length !== 1) throw new UsageError('give exactly one WARC file or s3:// URI')
  if (values.offset === undefined) throw new UsageError('missing required flag --offset')
  const offset = intFlag(values, 'offset', 0)
  const source = values.length !== undefined
    ? (async function* () { yield await readRange(positionals[0], offset, intFlag(values, 'length', 0, 1)) })()
    : readStream(positionals[0], offset)
  for await (const r of readWarc(source, offset)) {
    if (isBad(r)) throw new Error(`no readable record at offset ${offset}: ${r.message}`)
    const head = [`WARC/${r.version}`, ...r.headers.entries.map(([k, v]) => `${k}: ${v}`)].join('\r\n')
    process.stdout.write(head + '\r\n\r\n')
    process.stdout.write(r.block)
    process.stdout.write('\r\n\r\n')
    return 0
  }
  throw new Error(`no record at offset ${offset}`)
}
