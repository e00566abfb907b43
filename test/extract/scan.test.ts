import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { Parser } from 'htmlparser2'
import { describe, expect, it } from 'vitest'
import { scanHtml } from '../../src/extract/scan.ts'

// The events of scanHtml and of htmlparser2's Parser (HTML mode, lower-cased names, entities decoded), with
// adjacent text joined (htmlparser2 splits text at entities) and SVG names lower-cased (htmlparser2 restores
// SVG camelCase; extraction skips SVG).
function events(html: string, run: (cbs: { onopentag(n: string, a: Record<string, string>): void; ontext(t: string): void; onclosetag(n: string): void }) => void): string[] {
  const out: string[] = []
  run({
    onopentag(n, a) { out.push(`<${n.toLowerCase()} ${JSON.stringify(a)}`) },
    ontext(t) {
      if (out.length > 0 && out[out.length - 1].startsWith('#')) out[out.length - 1] += t
      else out.push(`#${t}`)
    },
    onclosetag(n) { out.push(`</${n.toLowerCase()}`) },
  })
  return out
}
const scanned = (html: string): string[] => events(html, (cbs) => scanHtml(html, cbs))
const parsed = (html: string): string[] => events(html, (cbs) => {
  const p = new Parser(cbs, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  p.write(html)
  p.end()
})

describe('scanHtml', () => {
  it.each([
    ['implied closes', '<ul><li>a<li>b</ul><p>one<p>two<div>x</div><table><tr><td>1<td>2<tr><td>3</table>'],
    ['void elements and stray end tags', 'a<br>b</br>c</p>d<img src=x.png alt="1 &lt; 2">e</span>f'],
    ['raw text and RCDATA', '<script>if (a</b) x = "<p>"</script ><style>p{}</style><textarea>&amp;<b></textarea><title>T &amp; U</title>'],
    ['comments and declarations', '<!DOCTYPE html><!-- c <p> --><p>x<!----- y -----!><b>z</b><?php echo 1 ?>w<![CDATA[q]]>'],
    ['attributes', '<div CLASS="a b" id=\'c\' data-x=1 hidden  title = "t &amp; u" class="dup" =odd></div><input disabled/>'],
    ['foreign content', '<svg><path d="M0"/><title/><style>.a{}</style><image href=x /></svg><math><mi>x</mi><mo/></math><image src=y>'],
    ['entities and bare "<"', 'x &amp; y &lt;3 &notit; &#x41;&#66; a < b <> c</>d</ e>f'],
    ['nested forms and unclosed tags', '<form><div><form id=inner><p>x</form><b><i>open'],
  ])('emits the events htmlparser2 does: %s', (_, html) => {
    expect(scanned(html)).toEqual(parsed(html))
  })

  it('emits the events htmlparser2 does on a real page', () => {
    const html = gunzipSync(readFileSync(new URL('../fixtures/html/readability-aclu.html.gz', import.meta.url))).toString('utf8')
    const a = scanned(html)
    expect(a.length).toBeGreaterThan(1000)
    expect(a).toEqual(parsed(html))
  })

  it('survives truncation anywhere in a tag', () => {
    const html = '<div class="a"><!-- c --><script>x</script><p title="t">text &amp; more</p></div>'
    for (let k = 0; k <= html.length; k++) expect(scanned(html.slice(0, k))).toBeInstanceOf(Array)
  })
})
