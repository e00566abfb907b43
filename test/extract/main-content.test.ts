import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { extractText } from '../../src/extract/html.ts'
import { FIXTURES } from '../helpers.ts'

const para = (i: number): string => `<p>Paragraph ${i} of the article explains, in some detail, why the sum of the first n odd numbers is a square, and how to prove it.</p>`

describe('extractText main-content selection', () => {
  it('keeps the article and drops the link lists, sidebar and comments around it', () => {
    const html = `<html><body><div class="header"><a href="/">Home</a> <a href="/a">About</a></div>
      <div id="wrap"><div class="post-body">${[1, 2, 3, 4, 5].map(para).join('')}</div>
      <div class="rail"><ul>${[1, 2, 3, 4, 5, 6].map((i) => `<li><a href="/x${i}">Another story number ${i} you might like</a></li>`).join('')}</ul></div>
      <div class="comments"><p>First comment, with an opinion, about squares, odd numbers, and proofs.</p></div></div>
      <footer>Impressum</footer></body></html>`
    const { text } = extractText(html)
    for (const i of [1, 2, 3, 4, 5]) expect(text).toContain(`Paragraph ${i} of the article`)
    expect(text).not.toMatch(/Another story|First comment|Impressum|About/)
  })

  it('keeps every answer of a Q&A thread, and their TeX', () => {
    const answer = (i: number): string => `<div class="answer"><div class="post">${para(i)}<p>Take <span class="math-container">$x_${i}^2$</span>.</p></div></div>`
    const html = `<html><body><nav><a href="/q">Questions</a></nav><div class="question"><div class="post">${para(0)}</div></div>${[1, 2, 3, 4].map(answer).join('')}</body></html>`
    const { text } = extractText(html)
    for (const i of [1, 2, 3, 4]) expect(text).toContain(`$x_${i}^2$`)
    expect(text).toContain('Paragraph 0')
    expect(text).not.toContain('Questions')
  })

  it('does not drop a page whose wrapper has a furniture class name (a form around everything)', () => {
    const html = `<html><body><form id="aspnetForm"><div class="menu-open">${[1, 2, 3].map(para).join('')}</div></form></body></html>`
    expect(extractText(html).text).toContain('Paragraph 3 of the article')
  })

  it('reads an article that only a <noscript> holds (Blogger), and drops a <noscript> notice elsewhere', () => {
    const blogger = `<html><body><noscript><p>Please enable JavaScript to view the comments.</p></noscript><div class="post-body"><script>render()</script><noscript>${[1, 2, 3].map(para).join('')}</noscript></div></body></html>`
    const { text } = extractText(blogger)
    expect(text).toContain('Paragraph 3 of the article')
    const notice = `<html><body><noscript>Please enable JavaScript.</noscript><article>${[1, 2, 3].map(para).join('')}</article></body></html>`
    expect(extractText(notice).text).not.toContain('enable JavaScript')
  })

  it('drops a "related posts" heading together with its dropped link list', () => {
    const html = `<html><body><article><div class="entry">${[1, 2, 3].map(para).join('')}</div><h3>You might also like</h3><ul>${[1, 2, 3].map((i) => `<li><a href="/p${i}">Post ${i}</a></li>`).join('')}</ul></article></body></html>`
    const { text } = extractText(html)
    expect(text).toContain('Paragraph 3 of the article')
    expect(text).not.toMatch(/You might also like|Post 1/)
  })

  it('does not take a heading slug id ("sharing-with-other-developers") for furniture', () => {
    const html = `<html><body><div class="content"><div class="section" id="basics">${para(1)}</div><div class="section" id="sharing-with-other-developers-by-email">${para(2)}${para(3)}</div></div></body></html>`
    expect(extractText(html).text).toContain('Paragraph 3 of the article')
  })

  // mozilla/readability's test page "aclu" (Apache-2.0; the article is the ACLU's); see README, Sample data.
  const page = `${FIXTURES}/html/readability-aclu.html.gz`
  it('extracts a real article (Readability "aclu") without its navigation', () => {
    const { text } = extractText(gunzipSync(readFileSync(page)).toString('utf8'))
    expect(text.startsWith("I don't use Facebook.")).toBe(true)
    expect(text).toContain('we also need to protect those of us who manage to opt out.')
    expect(text).not.toMatch(/Stay Informed|Search form|American Civil Liberties Union\n/)
  })
})
