import { MathTree, mathmlToLatex } from './src/extract/mathml.ts'
function parse(xml: string) {
  const t = new MathTree()
  for (const m of xml.matchAll(/<(\/?)([\w-]+)([^>]*)>|([^<]+)/g)) {
    if (m[4]) t.text(m[4])
    else if (m[1]) t.closeTag(m[2])
    else { const attrs: Record<string, string> = {}; for (const a of m[3].matchAll(/(\w+)="([^"]*)"/g)) attrs[a[1]] = a[2]; t.openTag(m[2], attrs) }
  }
  return mathmlToLatex(t.root)
}
console.log(parse('<msup><mi>x</mi><mn>2</mn></msup><mo>+</mo><mfrac><mn>1</mn><mn>2</mn></mfrac>'))
console.log(parse('<msqrt><msup><mi>b</mi><mn>2</mn></msup><mo>−</mo><mn>4</mn><mi>a</mi><mi>c</mi></msqrt>'))
console.log(parse('<mi>x</mi><mo>=</mo><mfrac><mrow><mo>−</mo><mi>b</mi><mo>±</mo><msqrt><mi>D</mi></msqrt></mrow><mrow><mn>2</mn><mi>a</mi></mrow></mfrac>'))
console.log(parse('<munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover><msub><mi>a</mi><mi>i</mi></msub>'))
console.log(parse('<mi>sin</mi><mo>⁡</mo><mi>θ</mi><mo>≤</mo><mn>1</mn>'))
console.log(parse('<msup><mrow><mo>(</mo><mi>a</mi><mo>+</mo><mi>b</mi><mo>)</mo></mrow><mn>2</mn></msup>'))
