import { describe, expect, it } from 'vitest'
import { MathTree, mathmlToLatex } from '../../src/extract/mathml.ts'

/** A MathML fragment through the tree builder, as the HTML scanner's events would give it. */
function latex(xml: string): string {
  const t = new MathTree()
  for (const m of xml.matchAll(/<(\/?)([\w-]+)([^>]*)>|([^<]+)/g)) {
    if (m[4]) t.text(m[4])
    else if (m[1]) t.closeTag(m[2])
    else t.openTag(m[2], Object.fromEntries([...m[3].matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], a[2]])))
  }
  return mathmlToLatex(t.root)
}

describe('mathmlToLatex', () => {
  it.each([
    ['<mi>x</mi><mo>=</mo><mfrac><mrow><mo>−</mo><mi>b</mi><mo>±</mo><msqrt><mi>D</mi></msqrt></mrow><mrow><mn>2</mn><mi>a</mi></mrow></mfrac>', 'x=\\frac{-b\\pm \\sqrt{D}}{2a}'],
    ['<munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover><msub><mi>a</mi><mi>i</mi></msub>', '\\sum_{i=1}^{n}a_{i}'],
    ['<msup><mrow><mo>(</mo><mi>a</mi><mo>+</mo><mi>b</mi><mo>)</mo></mrow><mn>2</mn></msup>', '{(a+b)}^{2}'],
    ['<mroot><mi>x</mi><mn>3</mn></mroot>', '\\sqrt[3]{x}'],
    ['<mfenced open="[" close=")"><mn>0</mn><mn>1</mn></mfenced>', '\\left[0,1\\right)'],
    ['<mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>0</mn></mtd></mtr><mtr><mtd><mn>0</mn></mtd><mtd><mn>1</mn></mtd></mtr></mtable>', '\\begin{matrix}1 & 0 \\\\ 0 & 1\\end{matrix}'],
    ['<mi>sin</mi><mo>\u2061</mo><mi>θ</mi><mo>≤</mo><mn>1</mn>', '\\sin \\theta \\le 1'],
    ['<mover><mi>x</mi><mo>¯</mo></mover>', '\\overline{x}'],
  ])('%s', (xml, tex) => {
    expect(latex(xml)).toBe(tex)
  })

  it('leaves annotations out (callers use a TeX annotation directly)', () => {
    expect(latex('<semantics><mi>y</mi><annotation encoding="text/plain">why</annotation></semantics>')).toBe('y')
  })
})
