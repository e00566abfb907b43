import { readdirSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { type BenchmarkIndex, type BenchmarkItem, buildIndex, itemOf, loadBenchmarks } from '../../src/decontam/benchmarks.ts'
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
 * Real texts that hold no benchmark item: the seed sets, the sample crawl's pages, the HTML pages of the sample
 * WARCs, and test/fixtures/decontam/clean-web.jsonl.gz (PlanetMath number theory, the trafilatura evaluation pages,
 * ClueWeb09 Japanese pages; see SOURCES.md there). The crawl's GSM8K forum pages are left out: they are GSM8K *train* problems, and GSM8K's train and test
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
  const fixture = readGzLines('test/fixtures/decontam/clean-web.jsonl.gz').map((d) => String(d.text))
  return [...new Set([...seed, ...crawl, ...pages, ...fixture])].map((text, i) => ({ id: `clean-${i}`, text }))
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

  it('finds a question that is all formula, whole or by its 10-grams, but not an answer that is', () => {
    const math = buildIndex([
      itemOf({ problem: 'Evaluate $\\log_{5^2}5^4$.', solution: '$\\frac{1}{2} + \\frac{1}{3}$' }, 'm:1'),
      itemOf({ problem: 'If $x^2+y^2=1$ and $x^3-y^3=7$, find $x+y$.', solution: '$\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}$' }, 'm:2'),
    ])
    expect(findMatch('Homework: Evaluate $\\log_{5^2}5^4$. Show work.', math)).toMatchObject({ match: 'short_exact', benchmark_item: 'm:1' })
    expect(findMatch('Q7. If $x^2+y^2=1$ and $x^3-y^3=7$, find $x+y$.', math)).toMatchObject({ match: 'ngram10', benchmark_item: 'm:2' })
    expect(findMatch('so the sum is $\\frac{1}{2} + \\frac{1}{3}$ here', math)).toBeUndefined()
    expect(findMatch('the identity $\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}$ again', math)).toBeUndefined()
  })

  it('matches Chinese character 10-grams', () => {
    expect(findMatch('题目：一盒茶叶有6小包，一共买了多少', index)).toMatchObject({ match: 'ngram10', benchmark_item: 'toy:3' })
    expect(findMatch('一盒茶叶有6小包', index)).toBeUndefined()
  })
})

describe('stock phrasing', () => {
  // Twelve items share the phrase chain "is equal to the sum of the squares of the" (each 4-gram of it is in >= 10
  // items), followed by words of their own.
  const own = ['red apples', 'blue kites', 'old coins', 'green frogs', 'tall trees', 'small boats', 'wet dogs',
    'cold rivers', 'loud drums', 'bright stars', 'soft pillows', 'sharp knives']
  const toy = own.map((w, i) => itemOf({ question: `Show that the number of ${w} is equal to the sum of the squares of the ${w} counted yesterday by everyone here.` }, `toy:${i}`))
  const index = buildIndex(toy)

  it('ignores a 10-gram made only of phrases common to many items, and counts it', () => {
    expect(findMatch('Lemma. The total is equal to the sum of the squares of the parts.', index)).toBeUndefined()
    expect(index.stats.stock_distinct).toBeGreaterThan(0)
    const paper = buildIndex(toy, 0, { stockPhrases: false })
    expect(paper.stats.stock_distinct).toBe(0)
    expect(findMatch('Lemma. The total is equal to the sum of the squares of the parts.', paper)).toMatchObject({ match: 'ngram10' })
  })

  it('still matches any 10-gram with a word of the item\'s own', () => {
    expect(findMatch('note: is equal to the sum of the squares of the wet dogs', index)).toMatchObject({ match: 'ngram10', benchmark_item: 'toy:6' })
    expect(findMatch('the squares of the wet dogs counted yesterday by everyone here', index)).toMatchObject({ benchmark_item: 'toy:6' })
  })

  it('keeps the stock 10-grams of a text that has no other', () => {
    const only = itemOf({ question: 'is equal to the sum of the squares of the' }, 'toy:only')
    const idx = buildIndex([...toy, only])
    expect(idx.stats.stock_kept_texts).toBe(1)
    expect(findMatch('It is equal to the sum of the squares of the sides.', idx)).toMatchObject({ match: 'ngram10', benchmark_item: 'toy:only' })
  })
})

describe('decontaminate with the bundled benchmarks and real documents', () => {
  let index: BenchmarkIndex
  let paperIndex: BenchmarkIndex
  let items: BenchmarkItem[]
  let clean: Doc[]
  const rand = mulberry32(7)
  const pick = (n: number): number => Math.floor(((rand() >>> 0) / 2 ** 32) * n)
  const plantIn = (host: string, passage: string): string => {
    const cut = Math.floor(host.length / 2)
    return `${host.slice(0, cut)}\n${passage}\n${host.slice(cut)}`
  }
  const zh = (t: string): boolean => /\p{sc=Han}/u.test(t)
  beforeAll(async () => {
    items = (await loadBenchmarks()).items
    index = buildIndex(items)
    paperIndex = buildIndex(items, 0, { stockPhrases: false })
    clean = await cleanDocs()
  }, 120_000)

  it('loads every bundled set', () => {
    const sets = new Set(items.map((it) => it.id.split('/')[0]))
    expect([...sets].sort()).toEqual(['agieval', 'cmath', 'gsm8k', 'math', 'mgsm_zh', 'minif2f', 'mmlu_stem', 'ocw', 'sat'])
    expect(index.stats.items).toBe(items.length)
    expect(index.stats.ngrams).toBeGreaterThan(100_000)
    // Measured: 312 distinct stock 10-grams (2,715 windows) of 607,758; no text is left without a 10-gram.
    expect(index.stats.stock_distinct).toBeLessThan(0.001 * paperIndex.stats.ngrams)
    expect(index.stats.ngrams + index.stats.stock_distinct).toBe(paperIndex.stats.ngrams)
    expect(index.stats.stock_kept_texts).toBe(0)
  })

  it('keeps >= 99.9% of 2,000+ clean real documents', () => {
    expect(clean.length).toBeGreaterThan(2000)
    const falseDrops = decontaminate(clean, index).report
    // Measured: 2 of 2,148 (0.093%): "where n is the number of nodes in the tree" (an MMLU question) in PlanetMath's
    // AVL tree entry, a true 10-gram match with words of the item's own ("nodes in the tree" is in no other item),
    // and "frac 1 a 1 frac 1 a 2 frac 1", a 10-gram of a MATH question that is all formula (such questions keep
    // their formula 10-grams, or nothing would find them).
    expect(falseDrops.length / clean.length).toBeLessThanOrEqual(0.001)
    // The paper's rule alone also drops two PlanetMath entries for "if a b and c are positive integers such that"
    // and "is equal to the sum of the squares of the" (MATH): 4 of 2,148 (0.19%).
    const paperDrops = decontaminate(clean, paperIndex).report
    expect(paperDrops.length).toBeGreaterThan(falseDrops.length)
    expect(paperDrops.map((r) => r.id)).toEqual(expect.arrayContaining(falseDrops.map((r) => r.id)))
  })

  it('drops every document with a planted benchmark passage, and names the item', () => {
    // 40 words (Chinese: characters) of an item's longest text spliced into the middle of a clean document. The passage must be mostly
    // words: n-grams that are mostly formula are left out of the index by design (see ngrams.ts), because with
    // them 2.2% of these clean math pages were dropped for sharing "x 2 y 2 ..." with some benchmark.
    const passages = items.flatMap((item) => {
      const text = item.texts.reduce((a, b) => (b.length > a.length ? b : a), '')
      const chinese = zh(text) // no spaces: 40 characters, not 40 words
      const units = chinese ? Array.from(text) : text.split(/\s+/)
      return Array.from({ length: Math.floor(units.length / 40) }, (_, k) => units.slice(k * 40, k * 40 + 40).join(chinese ? '' : ' '))
        .filter((p) => { const t = tokenizeWithWords(p); return t.tokens.length >= 20 && mostlyWords(t.words.reduce((a, b) => a + b, 0) * 0.8, t.tokens.length) })
        .map((passage) => ({ item: item.id, passage }))
    })
    const planted = Array.from({ length: 300 }, (_, k) => {
      const { item, passage } = passages[pick(passages.length)]
      return { doc: { id: `planted-${k}`, text: plantIn(clean[pick(clean.length)].text, passage) }, item }
    })
    const { kept, report, stats } = decontaminate(planted.map((p) => p.doc), index)
    const dropped = new Map(report.map((r) => [r.id, r]))
    expect(planted.filter((p) => !dropped.has(p.doc.id)).map((p) => p.item)).toEqual([])
    const sets = new Set(planted.map((p) => p.item.split('/')[0]))
    expect(sets.size).toBeGreaterThanOrEqual(6)
    expect(planted.some((p) => /^(cmath|mgsm_zh|agieval)\//.test(p.item))).toBe(true)
    for (const p of planted) expect(dropped.get(p.doc.id)?.ngram.split(' ')).toHaveLength(10)
    expect(stats.kept).toBe(kept.length)
    expect(stats.dropped + stats.kept).toBe(planted.length)
  })

  it('drops a document holding one 10-gram window of a long item, unless the window is stock phrasing', () => {
    // Partial contamination: one 10-token window (mostly words) of an item's text, at random, 200 from English texts
    // and 100 from Chinese ones, spliced into a clean document.
    const windows = (chinese: boolean): string[][] => items.flatMap((item) => item.texts
      .filter((t) => zh(t) === chinese)
      .flatMap((t) => {
        const { tokens, words } = tokenizeWithWords(t)
        return Array.from({ length: Math.max(0, tokens.length - 9) }, (_, s) => s)
          .filter((s) => mostlyWords(words.subarray(s, s + 10).reduce((a, b) => a + b, 0), 10))
          .map((s) => tokens.slice(s, s + 10))
      }))
    const en = windows(false), cn = windows(true)
    const sample = [...Array.from({ length: 200 }, () => en[pick(en.length)]), ...Array.from({ length: 100 }, () => cn[pick(cn.length)])]
    // As written: no space next to a Chinese character, one between other tokens.
    const write = (w: string[]): string => w.reduce((a, t, i) => a + (i > 0 && !zh(t) && !zh(w[i - 1]) ? ' ' : '') + t, '')
    const docs = sample.map((w, k) => ({ id: `window-${k}`, text: plantIn(clean[pick(clean.length)].text, write(w)) }))
    const dropped = new Set(decontaminate(docs, index).report.map((r) => r.id))
    const stock = sample.filter((w) => index.grams.get(index.vocab.lookup(w), 0) < 0)
    expect(sample.filter((w, k) => !dropped.has(`window-${k}`) && !stock.includes(w)).map((w) => w.join(' '))).toEqual([])
    expect(stock.length).toBeLessThanOrEqual(3) // 2,715 of the 644,536 mostly-word windows (0.42%) are stock phrasing
    // With the paper's rule every one of them is dropped.
    expect(decontaminate(docs, paperIndex).report).toHaveLength(docs.length)
  })

  it('drops every document holding a whole short benchmark text, English and Chinese', () => {
    // Every bundled 3-9-token text that is mostly words (102, all English), each in a clean document.
    const shortTexts: string[] = []
    for (const list of index.shortByPrefix.values()) {
      for (const t of list) shortTexts.push(Array.from(index.tokens.subarray(index.textStart[t], index.textStart[t + 1]), (i) => index.vocab.tokens[i]).join(' '))
    }
    expect(shortTexts.length).toBeGreaterThan(90)
    const docs = shortTexts.map((text, k) => ({ id: `short-${k}`, text: plantIn(clean[pick(clean.length)].text, text) }))
    const report = decontaminate(docs, index).report
    expect(report).toHaveLength(docs.length)
    expect(report.filter((r) => r.match === 'short_exact').length).toBeGreaterThan(0.9 * docs.length)
    // The bundled Chinese sets have no short text that is mostly words, so a benchmark of short Chinese questions
    // is made from theirs: 60 of the 3-9-character clauses of CMATH and MGSM-zh questions, at random.
    const clauses = [...new Set(items.filter((it) => /^(cmath|mgsm_zh)\//.test(it.id))
      .flatMap((it) => it.texts[0].split(/[，。？！；：,?!;:\s]+/))
      .filter((c) => { const n = tokenize(c).length; return n >= 3 && n < 10 && /^\p{sc=Han}+$/u.test(c) }))]
    const zhItems = Array.from({ length: 60 }, (_, k) => itemOf({ question: clauses[pick(clauses.length)] }, `zh-short:${k}`))
    const zhIndex = buildIndex(zhItems)
    const zhDocs = zhItems.map((it, k) => ({ id: `zh-${k}`, text: plantIn(clean[pick(clean.length)].text, `题目：${it.texts[0]}。`) }))
    expect(decontaminate(zhDocs, zhIndex).report.map((r) => r.match)).toEqual(zhDocs.map(() => 'short_exact'))
    expect(decontaminate(clean, zhIndex).report.length).toBeLessThanOrEqual(0.001 * clean.length)
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
