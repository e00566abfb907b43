import { describe, expect, it } from 'vitest'
import { mathPrefilter } from '../../src/extract/prefilter.ts'
import { readStream } from '../../src/storage/store.ts'
import { decodeText, detectCharset, entityBody, isHtml, parseHttpResponse } from '../../src/warc/http.ts'
import { readWarc } from '../../src/warc/reader.ts'
import { isBad, recordType, targetUri } from '../../src/warc/record.ts'
import { REPO } from '../helpers.ts'

async function htmlPages(file: string): Promise<{ url: string; html: string }[]> {
  const out: { url: string; html: string }[] = []
  for await (const r of readWarc(readStream(`${REPO}sample/warc/${file}`))) {
    if (isBad(r) || recordType(r) !== 'response') continue
    const res = parseHttpResponse(r.block)
    if (!res) continue
    const body = entityBody(res)
    if (isHtml(res.headers.get('content-type'), body)) out.push({ url: targetUri(r), html: decodeText(body, detectCharset(body, res.headers.get('content-type'))) })
  }
  return out
}

describe('mathPrefilter', () => {
  it('passes every PlanetMath page and rejects most general web pages', async () => {
    const math = await htmlPages('math-pages.warc.gz')
    expect(math).toHaveLength(40)
    expect(math.filter((p) => !mathPrefilter(p.html)).map((p) => p.url)).toEqual([])
    const web = (await Promise.all(['sample-0000.warc.gz', 'warcfile.warc.gz', 'IAH-urls-wget.warc.gz'].map(htmlPages))).flat()
    const passed = web.filter((p) => mathPrefilter(p.html)).length
    expect(web.length).toBeGreaterThan(30)
    expect(passed / web.length).toBeLessThan(0.5)
  })

  it('names the tier that fired', () => {
    expect(mathPrefilter('<script type="math/tex">x</script>')).toBe('markup')
    expect(mathPrefilter('<p>so \\frac{a}{b} holds</p>')).toBe('latex')
    expect(mathPrefilter('<p>every integer is a prime or a product; the theorem</p>')).toBe('vocabulary')
    expect(mathPrefilter('<p>the weather is nice today</p>')).toBeNull()
  })
})
