// Texts of the HTML pages of some WARCs, without scoring: what seed building samples negatives from.
import { extractText } from '../extract/html.ts'
import { readStream } from '../storage/store.ts'
import { DecodeError, decodeText, detectCharset, entityBody, isHtml, parseHttpResponse } from '../warc/http.ts'
import { readWarc } from '../warc/reader.ts'
import { isBad, recordType, targetUri } from '../warc/record.ts'

export interface PageText { url: string; text: string }

/** Main text of every 2xx HTML response in the given WARCs (bad records and undecodable bodies skipped). */
export async function* crawlPages(warcs: string[]): AsyncGenerator<PageText> {
  for (const warc of warcs) {
    for await (const r of readWarc(readStream(warc), 0, { reuseBlocks: true })) { // each block read before the next
      if (isBad(r) || recordType(r) !== 'response') continue
      const res = parseHttpResponse(r.block)
      if (!res || res.status < 200 || res.status >= 300) continue
      let body: Buffer
      try {
        body = entityBody(res)
      } catch (err) {
        if (err instanceof DecodeError) continue
        throw err
      }
      const ct = res.headers.get('content-type')
      if (!isHtml(ct, body)) continue
      const { text } = extractText(decodeText(body, detectCharset(body, ct)))
      if (text) yield { url: targetUri(r), text }
    }
  }
}
