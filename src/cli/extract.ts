import { createInterface } from 'node:readline'
import { extractText } from '../extract/html.ts'
import { detectCharset, decodeText } from '../warc/http.ts'
import { parse, UsageError } from './args.ts'

const USAGE = `
dsmath extract [--url U] [--charset C] [--jsonl]
Reads one HTML page on stdin and prints its main text, math kept as LaTeX. The page's bytes are decoded by
its byte-order mark or <meta charset> (else UTF-8), or as --charset says.
  --jsonl   read lines {"id","html"} and write lines {"id","text"}
  --url U   the page's URL (recorded for relative links; optional)
`

export async function extractCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' }, jsonl: { type: 'boolean' }, charset: { type: 'string' } }, USAGE)
  if (typeof values.charset === 'string') {
    try { new TextDecoder(values.charset) } catch { throw new UsageError(`--charset ${values.charset}: not an encoding this runtime knows`) }
  }
  if (values.jsonl) {
    let n = 0, skipped = 0
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      n++
      if (!line.trim()) continue
      let rec: unknown
      try {
        rec = JSON.parse(line)
      } catch {
        skipped++
        process.stderr.write(`dsmath extract: stdin line ${n} is not JSON; skipped\n`)
        continue
      }
      if (typeof rec !== 'object' || rec === null || typeof (rec as { html?: unknown }).html !== 'string') {
        skipped++
        process.stderr.write(`dsmath extract: stdin line ${n} is not an object with an "html" string; skipped\n`)
        continue
      }
      const { id, html } = rec as { id?: unknown; html: string }
      process.stdout.write(JSON.stringify({ id, text: extractText(html).text }) + '\n')
    }
    if (skipped) process.stderr.write(`dsmath extract: ${skipped} of ${n} lines skipped\n`)
    return 0
  }
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  const page = Buffer.concat(chunks)
  const charset = (values.charset as string | undefined) ?? detectCharset(page, undefined)
  process.stdout.write(extractText(decodeText(page, charset)).text + '\n')
  return 0
}
