import { readdirSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { type BenchmarkIndex, buildIndex, itemOf, loadBenchmarks, loadIndex } from '../../src/decontam/benchmarks.ts'
import { decontaminate, findMatch } from '../../src/decontam/decontam.ts'
import { mostlyWords, tokenize, tokenizeWithWords } from '../../src/decontam/ngrams.ts'
import { extractText } from '../../src/extract/html.ts'
import { mulberry32 } from '../../src/dedup/minhash.ts'
import { crawlPages } from '../../src/pipeline/crawl-text.ts'
import type { Doc } from '../../src/pipeline/docio.ts'
import { REPO } from '../helpers.ts'

const readGzLines = (path: string): Record<string, unknown>[] =>
  gunzipSync(readFileSync(`${REPO}${path}`)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))

/**
 * Real texts that hold no benchmark item: the seed sets, the sample crawl's pages and the HTML pages of the sample
 * WARCs. The crawl's GSM8K forum pages are left out: they are GSM8K *train* problems, and GSM8K's train and test
 * splits share templates (train "Bella bought stamps at the post office. Some of the stamps had a snowflake
 * design..." is test item 632 with other names and numbers), so dropping them is right, not a false removal.
 */
async function cleanDocs(): Promise<Doc[]> {
  const seed = ['positives', 'negatives'].flatMap((n) => readGzLines(`sample/seed/${n}.jsonl.gz`)).map((d) => String(d.text))
  const crawl = readGzLines('sample/crawl/pages.jsonl.gz').filter((p) => p.group !== 'gsm8k-forum')
    .map((p) => extractText(String(p.html)).text)
  const warcs = readdirSync(`${REPO}sample/warc`).map((f) => `${REPO}sample/warc/${f}`)
  const pages: string[] = []
  for await (const page of crawlPages(warcs)) pages.push(page.text)
  return [...new Set([...seed, ...crawl, ...pages])].map((text, i) => ({ id: `clean-${i}`, text }))
}

describe('tokenize', () => {
  it('splits words, digits and LaTeX commands, and Chinese into single characters', () => {
    expect(tokenize('Ｔhe sum $\\frac{1}{2}$ is, 12!')).toEqual(['the', 'sum', 'frac', '1', '2', 'is', '12'])
    expect(tokenize('妈咪买了3盒茶叶')).toEqual(['妈', '咪', '买', '了', '3', '盒', '茶', '叶'])
  })
})

describe('findMatch on a small index', () => {
  const index = buildIndex([
    itemOf({ question: 'Janet has twelve red apples and gives half of them to her brother Tom today.' }, 'toy:1'),
    itemOf({ question: 'What is the capital city?', answer: '42' }, 'toy:2'),
    itemOf({ question: '妈咪买了3盒茶叶，一盒茶叶有6小包，一共买了多少小包茶叶？' }, 'toy:3'),
  ])

  it('matches a 10-gram inside other text, whatever the case and punctuation', () => {
    const m = findMatch('Story: JANET has twelve red apples, and gives half of them to her... the end', index)
    expect(m).toEqual({ match: 'ngram10', benchmark_item: 'toy:1', ngram: 'janet has twelve red apples and gives half of them' })
  })

  it('needs a whole 10-gram: nine shared tokens are not a match', () => {
    expect(findMatch('janet has twelve red apples and gives half of ours', index)).toBeUndefined()
  })

  it('matches a benchmark text of 3-9 tokens only when contained whole', () => {
    expect(findMatch('Quiz: what is the capital city? Paris.', index)).toMatchObject({ match: 'short_exact', benchmark_item: 'toy:2' })
    expect(findMatch('what is the capital of France', index)).toBeUndefined()
  })

  it('ignores answers under 3 tokens', () => {
    expect(findMatch('the answer is 42 as everyone knows', index)).toBeUndefined()
  })

  it('matches a short Chinese text whole, character by character', () => {
    const zh = buildIndex([itemOf({ question: '求函数的最小值', answer: '1' }, 'zh:1')])
    expect(findMatch('练习：求函数的最小值。', zh)).toMatchObject({ match: 'short_exact', benchmark_item: 'zh:1', ngram: '求 函 数 的 最 小 值' })
    expect(findMatch('求函数的最大值', zh)).toBeUndefined()
  })

  it('matches Chinese character 10-grams', () => {
    expect(findMatch('题目：一盒茶叶有6小包，一共买了多少', index)).toMatchObject({ match: 'ngram10', benchmark_item: 'toy:3' })
    expect(findMatch('一盒茶叶有6小包', index)).toBeUndefined()
  })
})

describe('decontaminate with the bundled benchmarks and real documents', () => {
  let index: BenchmarkIndex
  let items: { id: string; texts: string[] }[]
  beforeAll(async () => {
    index = await loadIndex()
    items = (await loadBenchmarks()).items
  })

  it('loads every bundled set', () => {
    const sets = new Set(items.map((it) => it.id.split('/')[0]))
    expect([...sets].sort()).toEqual(['agieval', 'cmath', 'gsm8k', 'math', 'mgsm_zh', 'minif2f', 'mmlu_stem', 'ocw', 'sat'])
    expect(index.stats.items).toBe(items.length)
    expect(index.stats.ngrams).toBeGreaterThan(100_000)
  })

  it('drops every document with a planted benchmark passage, names the item, and keeps >= 99.9% of clean ones', async () => {
    const rand = mulberry32(7)
    const pick = (n: number): number => Math.floor(((rand() >>> 0) / 2 ** 32) * n)
    const clean = await cleanDocs()
    expect(clean.length).toBeGreaterThan(800)
    // 40 words (Chinese: characters) of an item's longest text spliced into the middle of a clean document. The passage must be mostly
    // words: n-grams that are mostly formula are left out of the index by design (see ngrams.ts), because with
    // them 2.2% of these clean math pages were dropped for sharing "x 2 y 2 ..." with some benchmark.
    const passages = items.flatMap((item) => {
      const text = item.texts.reduce((a, b) => (b.length > a.length ? b : a), '')
      const chinese = /\p{sc=Han}/u.test(text) // no spaces: 40 characters, not 40 words
      const units = chinese ? Array.from(text) : text.split(/\s+/)
      return Array.from({ length: Math.floor(units.length / 40) }, (_, k) => units.slice(k * 40, k * 40 + 40).join(chinese ? '' : ' '))
        .filter((p) => { const t = tokenizeWithWords(p); return t.tokens.length >= 20 && mostlyWords(t.words.reduce((a, b) => a + b, 0) * 0.8, t.tokens.length) })
        .map((passage) => ({ item: item.id, passage }))
    })
    const planted = Array.from({ length: 300 }, (_, k) => {
      const { item, passage } = passages[pick(passages.length)]
      const host = clean[pick(clean.length)].text
      const cut = Math.floor(host.length / 2)
      return { doc: { id: `planted-${k}`, text: `${host.slice(0, cut)}\n${passage}\n${host.slice(cut)}` }, item }
    })
    const { kept, report, stats } = decontaminate([...clean, ...planted.map((p) => p.doc)], index)
    const dropped = new Map(report.map((r) => [r.id, r]))
    expect(planted.filter((p) => !dropped.has(p.doc.id)).map((p) => p.item)).toEqual([])
    const sets = new Set(planted.map((p) => p.item.split('/')[0]))
    expect(sets.size).toBeGreaterThanOrEqual(6)
    expect(planted.some((p) => /^(cmath|mgsm_zh|agieval)\//.test(p.item))).toBe(true)
    for (const p of planted) expect(dropped.get(p.doc.id)?.ngram.split(' ')).toHaveLength(10)
    const falseDrops = report.filter((r) => r.id.startsWith('clean-'))
    // Measured: 2 of 839 (0.24%), both true 10-gram matches of stock phrasing, which the paper's rule drops:
    // "where n is the number of nodes in the tree" (an MMLU question) in PlanetMath's AVL tree entry, and
    // "if a b and c are positive integers such that" (in 9 MATH problems) on a PlanetMath page.
    expect(falseDrops.length / clean.length).toBeLessThanOrEqual(0.0025)
    expect(stats.kept).toBe(kept.length)
    expect(stats.dropped + stats.kept).toBe(clean.length + planted.length)
  })

  it('drops a document holding a whole short benchmark question, not one holding most of it', () => {
    const isShortProse = (t: string): boolean => {
      const { tokens, words } = tokenizeWithWords(t)
      return tokens.length >= 5 && tokens.length < 10 && mostlyWords(words.reduce((a, b) => a + b, 0), tokens.length)
    }
    const short = items.find((it) => it.id.startsWith('math/') && it.texts.some(isShortProse))
    if (!short) throw new Error('no short MATH question in the bundled sets')
    const question = short.texts.find(isShortProse)!
    expect(findMatch(`Homework for Monday. ${question} Show your work.`, index)).toMatchObject({ match: 'short_exact', benchmark_item: short.id })
    const tokens = tokenize(question)
    expect(findMatch(`Homework: ${tokens.slice(0, -1).join(' ')}, and more.`, index)?.benchmark_item).not.toBe(short.id)
  })
})
