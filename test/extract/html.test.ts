import { describe, expect, it } from 'vitest'
import { extractText } from '../../src/extract/html.ts'
import { normalizeText } from '../../src/extract/normalize.ts'

describe('extractText', () => {
  it('keeps MathJax scripts as $...$ and $$...$$', () => {
    const { text } = extractText('<p>Since <script type="math/tex">a^2+b^2=c^2</script> holds:</p><script type="math/tex; mode=display">\\sum_{i=1}^n i</script>')
    expect(text).toContain('$a^2+b^2=c^2$')
    expect(text).toContain('$$\\sum_{i=1}^n i$$')
  })

  it('uses the TeX annotation of KaTeX output, not the rendered glyphs', () => {
    const html = '<p><span class="katex"><span class="katex-mathml"><math><semantics><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">x^2</annotation></semantics></math></span><span class="katex-html" aria-hidden="true">x2</span></span> grows</p>'
    expect(extractText(html).text).toBe('$x^2$ grows')
  })

  it('uses MathML alttext and LaTeX image alt text', () => {
    const { text } = extractText('<p>half is <math alttext="\\frac{1}{2}"><mfrac><mn>1</mn><mn>2</mn></mfrac></math>, root <img src="https://latex.codecogs.com/gif.latex?\\sqrt{2}" alt="\\sqrt{2}"></p>')
    expect(text).toBe('half is $\\frac{1}{2}$, root $\\sqrt{2}$')
  })

  it('converts MathML without TeX to LaTeX: scripts, fractions, roots, operators', () => {
    const html = '<p>so <math><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><mo>≤</mo><msqrt><mi>y</mi></msqrt></math> here</p>'
    expect(extractText(html).text).toBe('so $x^{2}+\\frac{1}{2}\\le \\sqrt{y}$ here')
  })

  it('reads MathJax 3 output from its assistive MathML, not its glyphs', () => {
    const html = '<p>When <mjx-container class="MathJax CtxtMenu_Attached_0" jax="CHTML"><mjx-math class="MJX-TEX" aria-hidden="true"><mjx-mi><mjx-c class="mjx-c1D44E"></mjx-c></mjx-mi></mjx-math>' +
      '<mjx-assistive-mml unselectable="on" display="inline"><math><mi>a</mi><mo>≠</mo><mn>0</mn></math></mjx-assistive-mml></mjx-container>, two roots.</p>'
    expect(extractText(html).text).toBe('When $a\\ne 0$, two roots.')
  })

  it('reads Wikipedia math from the fallback image alt (the MathML beside it is display:none)', () => {
    const html = '<p>The square <span class="mwe-math-element"><span class="mwe-math-mathml-inline mwe-math-mathml-a11y" style="display: none;"><math alttext="{\\displaystyle x^{2}}"><semantics><msup><mi>x</mi><mn>2</mn></msup><annotation encoding="application/x-tex">{\\displaystyle x^{2}}</annotation></semantics></math></span>' +
      '<img src="https://wikimedia.org/api/rest_v1/media/math/render/svg/8a9f" class="mwe-math-fallback-image-inline" aria-hidden="true" alt="{\\displaystyle x^{2}}"></span> is positive.</p>'
    expect(extractText(html).text).toBe('The square $x^{2}$ is positive.')
  })

  it('ends an unclosed <math> where a paragraph starts', () => {
    expect(extractText('<p>Intro <math><mi>x</mi> <p>More text.</p><p>Second.</p>').text).toBe('Intro $x$\n\nMore text.\n\nSecond.')
  })

  it('drops navigation, footers, cookie banners and scripts; keeps headings, lists and the title', () => {
    const { title, text } = extractText('<html><head><title>Primes</title><script>track()</script></head><body><nav>Home</nav><h1>Primes</h1><ul><li>2</li><li>3</li></ul><div class="cookie-banner">Accept</div><footer>(c)</footer></body></html>')
    expect(title).toBe('Primes')
    expect(text).not.toMatch(/Home|Accept|\(c\)|track/)
    expect(text).toMatch(/^Primes\n\n- 2\n+- 3$/)
  })

  it('survives broken HTML', () => {
    expect(extractText('<p>open <b>bold <i>both</p><div>after').text).toBe('open bold both\n\nafter')
  })
})

describe('normalizeText', () => {
  it('applies NFC, drops control characters and collapses whitespace', () => {
    expect(normalizeText('e\u0301\u0007  a\u00a0b \r\n\n\n\nc ')).toBe('\u00e9 a b\n\nc')
  })
})
