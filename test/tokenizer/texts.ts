// Real text from the repo for the tokenizer tests: PlanetMath LaTeX and Stack Exchange (seed positives),
// crawl pages (seed negatives), Chinese word problems (CMATH, MGSM-zh), plus hand-picked edge cases.
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { REPO } from '../helpers.ts'

const jsonl = async (path: string): Promise<Record<string, unknown>[]> =>
  gunzipSync(await readFile(`${REPO}${path}`)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))

export const EDGE_CASES = [
  '', ' ', '\n', '  \n\n\t x', 'x = 12345 + 3.14159, 1,000,000', '²³ ½ ١٢٣ ⅷ', '$\\frac{a^2+b^2}{c_{10}}$ \\begin{align} x &= 0 \\end{align}',
  '中文数学：3个苹果加5个苹果是8个。', 'Emoji 😀👍🏽 and ❤️', 'café naïve Ångström', 'tabs\tand\r\nCRLF', "I'm sure they'll say it's fine",
  'literal <|end_of_sentence|> in text', '\u0085 nel \ufeff bom \u00a0nbsp', 'a  b   c    ', '١٢٣ (Arabic-Indic) and ０１２ (fullwidth)',
]

/** Documents to train on and to check: whole texts, several of them multi-line. */
export async function trainingTexts(): Promise<string[]> {
  const positives = (await jsonl('sample/seed/positives.jsonl.gz')).map((d) => String(d.text))
  const cmath = (await jsonl('sample/benchmarks/cmath/test.jsonl.gz')).map((d) => String(d.question))
  const mgsm = (await jsonl('sample/benchmarks/mgsm_zh/mgsm_zh.jsonl.gz')).map((d) => String((d.messages as { content: string }[])[0].content))
  return [...positives, ...cmath, ...mgsm]
}

/** A few hundred single lines, from every source (crawl pages too, which training did not see). */
export async function sampleLines(count: number): Promise<string[]> {
  const negatives = (await jsonl('sample/seed/negatives.jsonl.gz')).map((d) => String(d.text))
  const lines = [...await trainingTexts(), ...negatives].flatMap((t) => t.split('\n')).filter((l) => l.trim())
  const step = Math.max(1, Math.floor(lines.length / count))
  return [...lines.filter((_, i) => i % step === 0).slice(0, count), ...EDGE_CASES.filter((l) => !l.includes('\n'))]
}
