// Main-text extraction that keeps math as LaTeX. A streaming pass over htmlparser2 events:
// boilerplate subtrees are skipped, block elements become line breaks, and math markup
// (MathJax scripts, KaTeX TeX annotations, MathML alttext or MathML converted to LaTeX — MathJax 3's assistive
// MathML included —, LaTeX images and Wikipedia's math image alt text) becomes $...$ / $$...$$.
import { MathTree, mathmlToLatex } from './mathml.ts'
import { scanHtml, type ScanHandler } from './scan.ts'
import { normalizeText } from './normalize.ts'

const SKIP_TAGS = new Set([
  'head', 'title', 'style', 'button', 'select', 'option',
  'iframe', 'template', 'svg', 'canvas', 'object', 'embed', 'audio', 'video', 'dialog', 'menu',
])
const BLOCK_TAGS = new Set([
  'p', 'div', 'section', 'article', 'main', 'blockquote', 'pre', 'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'table', 'tr', 'thead', 'tbody', 'tfoot', 'caption', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr',
  'figure', 'figcaption', 'address', 'details', 'summary', 'header', 'center',
])
const PARAGRAPH_TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
const VOID_TAGS = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr', 'param'])
// Class or id words that mark page furniture rather than content (English, and the share and comment words of
// German, French and Spanish sites), alone or compounded with a structural suffix ("authorbox", "relatedposts",
// "sharebuttons").
const BOILERPLATE = /(^|[\s_-])(nav|navbar|navigation|menu|footer|sidebar|breadcrumbs?|cookie|cookies|consent|banner|advert|advertisement|ads?|sponsor|share|sharing|social|teilen|partager|partage|compartir|kommentare|commentaires|comentarios|comments?|related|popup|modal|newsletter|subscribe|signup|login|skip-link|author|byline|meta|postmetadata|entry-utility|disclosure|disclaimer|teaser|teasers|caption|credit|credits|tags|tag-list|rating|print)(box|bio|block|area|bar|list|links?|posts|articles|stories|wrap|wrapper|container|section|module|info|buttons?|icons?)?($|[\s_-])/i
// "widget" marks furniture as the start of a name (WordPress and Blogger sidebars: "widget", "widget_text",
// "widget-area"); inside a name it is a page builder's component ("elementor-widget-text-editor").
const WIDGET = /(^|\s)widget($|[\s_-])/i
// Rendered math that duplicates a TeX source kept elsewhere in the page.
const RENDERED_MATH = /(^|\s)(katex-html|MathJax_Preview|MathJax|MathJax_Display|MJX_Assistive_MathML|MathJax_SVG|MathJax_CHTML|mjx-chtml)(\s|$)/
// TeX already in the text: \(...\), \[...\], or $...$ not opening with a digit or space (a price).
const TEXT_TEX = /\$[^$\d\s][^$]*\$|\\\(|\\\[/
const LATEX_IMG = /codecogs|latex\.php|mathtex|wp-latex|\/latex\?|chart\.apis\.google\.com.*cht=tx|tex2img/i

const NOT_SPACE = /\S/
const UPPER = /[A-Z]/
// Whitespace that collapsing would change: two in a row, or any but a plain space.
const SPACE_RUN = /\s\s|[^\S ]/
// The runs of whitespace that are not a single plain space (replacing those with one space collapses every
// run, without a match per word).
const SPACE_RUNS = / \s+|[^\S ]\s*/g
// The attributes extraction reads (the scanner drops the others).
const WANTED_ATTRS: ReadonlySet<string> = new Set(['class', 'id', 'style', 'hidden', 'aria-hidden', 'type', 'href', 'src', 'alt', 'title',
  'encoding', 'display', 'mode', 'alttext', 'open', 'close', 'separators'])

// The wanted attributes with one object shape (absent ones stay undefined).
class TagAttrs {
  class?: string = undefined
  id?: string = undefined
  style?: string = undefined
  hidden?: string = undefined
  'aria-hidden'?: string = undefined
  type?: string = undefined
  href?: string = undefined
  src?: string = undefined
  alt?: string = undefined
  title?: string = undefined
  encoding?: string = undefined
  display?: string = undefined
  mode?: string = undefined
  alttext?: string = undefined
  open?: string = undefined
  close?: string = undefined
  separators?: string = undefined
}

/** TagAttrs' setter for the scanner: the first value of each wanted attribute, stored by name. */
function setTagAttr(attrs: Record<string, string>, name: string, value: string): void {
  const a = attrs as unknown as TagAttrs
  switch (name) {
    case 'class': if (a.class === undefined) a.class = value; return
    case 'href': if (a.href === undefined) a.href = value; return
    case 'id': if (a.id === undefined) a.id = value; return
    case 'src': if (a.src === undefined) a.src = value; return
    case 'alt': if (a.alt === undefined) a.alt = value; return
    case 'title': if (a.title === undefined) a.title = value; return
    case 'style': if (a.style === undefined) a.style = value; return
    case 'type': if (a.type === undefined) a.type = value; return
    case 'hidden': if (a.hidden === undefined) a.hidden = value; return
    case 'aria-hidden': if (a['aria-hidden'] === undefined) a['aria-hidden'] = value; return
    case 'encoding': if (a.encoding === undefined) a.encoding = value; return
    case 'display': if (a.display === undefined) a.display = value; return
    case 'mode': if (a.mode === undefined) a.mode = value; return
    case 'alttext': if (a.alttext === undefined) a.alttext = value; return
    case 'open': if (a.open === undefined) a.open = value; return
    case 'close': if (a.close === undefined) a.close = value; return
    case 'separators': if (a.separators === undefined) a.separators = value; return
  }
}

// setTagAttr must store every wanted attribute (checked once at load).
for (const name of WANTED_ATTRS) {
  const a = new TagAttrs() as unknown as Record<string, string>
  setTagAttr(a, name, 'x')
  if (a[name] !== 'x') throw new Error(`extract/html.ts: setTagAttr does not store ${name}`)
}

export interface Extracted {
  title: string
  text: string
}

interface Frame {
  tag: string
  skip: boolean
  node: number // element id, -1 when skipped
  prevBlock: number
  link: boolean // an <a href> (an <a name/> left open must not turn the rest of the page into link text)
}

interface MathCapture {
  display: boolean
  alttext?: string
  tex?: string
  inAnnotation: boolean
  /** The presentation markup, converted to LaTeX when there is neither a TeX annotation nor alttext. */
  tree: MathTree
}

// HTML start tags that end MathML content (the HTML spec's breakout from foreign content), so that an unclosed
// <math> does not swallow the rest of the page.
const MATH_BREAKOUT = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'table', 'pre', 'blockquote', 'br', 'hr', 'dl', 'dt', 'dd', 'body'])
// Wikipedia's math images: their alt is the TeX (the MathML beside them is display:none).
const WIKI_MATH_IMG = /(^|\s)mwe-math-fallback-image-(inline|display)(\s|$)/

// Readability-style content scoring (class/id weights, paragraph scores passed up to ancestors).
const POSITIVE = /article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story/i
const NEGATIVE = /-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget/i
// Furniture that is never the page's layout wrapper, however much of its prose it holds (a cookie notice on a
// page with a one-line post, comments under a short article).
const NEVER_LAYOUT = /(^|[\s_-])(comments?|cookies?|consent|newsletter|subscribe|popup|modal)($|[\s_-])/i
// Elements removed with their subtree unless they hold the main content (checked after the parse).
const SOFT_SKIP_TAGS = new Set(['nav', 'footer', 'aside', 'form', 'figcaption', 'noscript'])
// Elements whose text counts as a paragraph of their own (others pass their text to the nearest such ancestor).
const SCORE_BLOCKS = new Set([...BLOCK_TAGS, 'td', 'th', 'body', 'html', 'form', 'nav', 'footer', 'aside', 'menu'])
// List items and the like are not paragraphs (as in Readability): a reference list must not outscore the article.
const UNSCORED = new Set(['li', 'dd', 'dt', 'ul', 'ol', 'dl', 'table', 'tr', 'caption', 'figcaption', 'address', 'summary', 'details', 'h1'])
const TAG_SCORE: Record<string, number> = {
  div: 5, pre: 3, td: 3, blockquote: 3, address: -3, ol: -3, ul: -3, dl: -3, dd: -3, dt: -3, li: -3, form: -3,
  h1: -5, h2: -5, h3: -5, h4: -5, h5: -5, h6: -5, th: -5,
}

/**
 * Extracts the main text of a page. One streaming parse records the output as segments tagged with their
 * element; afterwards the elements are scored (paragraph length and commas passed up to ancestors, class
 * weights, link density, as Mozilla Readability does), the best container and its good siblings are kept,
 * and boilerplate inside them (navigation, footers, link lists, elements with furniture class names) is
 * dropped. Math anywhere outside the kept part widens it, so no TeX is lost to the content selection.
 */
export function extractText(html: string): Extracted {
  const segs: string[] = []
  const segNode: number[] = []
  // Per element (ids in document order, so a parent's id is below its children's).
  const parent: number[] = []
  const tagOf: string[] = []
  const clsOf: string[] = []
  const idOf: string[] = []
  const chars: number[] = [] // text characters directly inside this element
  const own: number[] = [] // text characters whose nearest scoring block is this element
  const commas: number[] = []
  const brs: number[] = [] // <br> line breaks whose nearest scoring block is this element
  const link: number[] = [] // characters of link text
  const mathN: number[] = [] // math spans
  const segStart: number[] = []
  const segEnd: number[] = []
  const lastDesc: number[] = []
  const stack: Frame[] = []
  let skipDepth = 0
  let title = ''
  let inTitle = false
  let titleSeen = false
  const inSvg = (): boolean => stack.some((f) => f.tag === 'svg')
  let preDepth = 0
  let linkDepth = 0
  let cur = -1 // innermost element
  let block = -1 // innermost scoring block
  let script: { display: boolean; tex: string } | null = null
  let math: MathCapture | null = null

  const push = (s: string): void => {
    segs.push(s)
    segNode.push(cur)
  }
  const newline = (k = 1): void => push(k > 1 ? '\n\n' : '\n')
  const pushMath = (tex: string): void => {
    push(tex)
    if (cur >= 0) {
      mathN[cur]++
      chars[cur] += tex.length
    }
    if (block >= 0) own[block] += tex.length
  }
  const finishMath = (): void => {
    const m = math!
    math = null
    const tex = (m.tex ?? m.alttext ?? mathmlToLatex(m.tree.root)).trim()
    if (tex) pushMath(wrapTex(tex, m.display))
  }

  const handler: ScanHandler = {
    wanted: WANTED_ATTRS,
    newAttrs: () => new TagAttrs() as unknown as Record<string, string>,
    setAttr: setTagAttr,
    onopentag(name, attrs) {
      if (name === 'title' && !titleSeen && !inSvg()) { inTitle = true; titleSeen = true; handler.lean = false }
      if (math && MATH_BREAKOUT.has(name)) finishMath()
      else if (math && name !== 'math' && skipDepth === 0) math.tree.openTag(name, { open: attrs.open, close: attrs.close, separators: attrs.separators })
      if (skipDepth > 0) {
        // Inside a skipped subtree only the nesting matters.
        if (!VOID_TAGS.has(name)) {
          stack.push({ tag: name, skip: true, node: -1, prevBlock: block, link: false })
          skipDepth++
        }
        return
      }
      const style = attrs.style
      let skip = SKIP_TAGS.has(name) || attrs.hidden !== undefined || (style !== undefined && style.includes('none') && /display\s*:\s*none/i.test(style)) || attrs['aria-hidden'] === 'true' && !math
      // MathJax 3 keeps no TeX in the page: its container is read for the assistive MathML inside, its glyphs skipped.
      if (!skip && attrs.class !== undefined && RENDERED_MATH.test(attrs.class) && name !== 'mjx-container') skip = true
      if (name === 'mjx-math') skip = true
      const wikiMathImg = name === 'img' && attrs.class !== undefined && WIKI_MATH_IMG.test(attrs.class)
      if (wikiMathImg) skip = false
      if (name === 'script') {
        const type = (attrs.type ?? '').toLowerCase()
        if (!skip && type.startsWith('math/tex')) script = { display: /mode\s*=\s*display/.test(type), tex: '' }
        skip = true
      }
      if (!skip && name === 'math') {
        math = { display: attrs.display === 'block' || attrs.mode === 'display', alttext: attrs.alttext, inAnnotation: false, tree: new MathTree() }
      } else if (math && name === 'annotation' && /tex/i.test(attrs.encoding ?? '')) {
        math.inAnnotation = true
        math.tex = ''
      }
      if (!skip && name === 'img') {
        const alt = (attrs.alt ?? attrs.title ?? '').trim()
        if (wikiMathImg && alt) {
          pushMath(` ${wrapTex(alt.replace(/^\{\\(?:displaystyle|textstyle)\s*([\s\S]*)\}$/, '$1').trim(), /display/.test(attrs.class!))} `)
        } else if (alt && (LATEX_IMG.test(attrs.src ?? '') || /(^|\s)(latex|tex|math)(\s|$)/i.test(attrs.class ?? ''))) {
          pushMath(` ${wrapTex(alt.replace(/^\$+|\$+$/g, ''), false)} `)
        }
      }
      const isVoid = VOID_TAGS.has(name)
      let node = -1
      if (!isVoid) {
        if (!skip) {
          node = parent.length
          parent.push(cur)
          tagOf.push(name)
          clsOf.push(attrs.class ?? '')
          idOf.push(attrs.id ?? '')
          own.push(0); commas.push(0); brs.push(0); chars.push(0); link.push(0); mathN.push(0)
          segStart.push(segs.length); segEnd.push(-1); lastDesc.push(-1)
        }
        const isLink = !skip && name === 'a' && attrs.href !== undefined
        stack.push({ tag: name, skip, node, prevBlock: block, link: isLink })
        if (!skip) {
          cur = node
          if (SCORE_BLOCKS.has(name)) block = node
          if (isLink) linkDepth++
        }
      }
      if (skip) skipDepth += isVoid ? 0 : 1
      handler.lean = skipDepth > 0 && !inTitle && !script
      if (name === 'pre' && !skip) preDepth++
      if (!skip && (BLOCK_TAGS.has(name) || name === 'br')) newline(PARAGRAPH_TAGS.has(name) ? 2 : 1)
      if (!skip && name === 'br' && block >= 0) brs[block]++
      if (!skip && name === 'li') push('- ')
      if (!skip && (name === 'td' || name === 'th')) push(' ')
    },
    ontext(text) {
      if (inTitle) title += text
      if (script) { script.tex += text; return }
      if (math) {
        if (math.inAnnotation) math.tex = (math.tex ?? '') + text
        else math.tree.text(text)
        return
      }
      if (skipDepth > 0) return
      if (preDepth === 0 && !NOT_SPACE.test(text)) {
        push(' ')
        return
      }
      const t = preDepth > 0 || !SPACE_RUN.test(text) ? text : text.replace(SPACE_RUNS, ' ')
      push(t)
      if (cur < 0) return
      const n = t.length - (t.charCodeAt(0) === 32 ? 1 : 0)
      if (n <= 0) return
      if (block >= 0) {
        own[block] += n
        for (let i = t.indexOf(','); i >= 0; i = t.indexOf(',', i + 1)) commas[block]++
      }
      chars[cur] += n
      if (linkDepth > 0) link[cur] += n
      if ((t.includes('$') || t.includes('\\')) && TEXT_TEX.test(t)) mathN[cur]++
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false
      if (name === 'script' && script) {
        const tex = script.tex.trim()
        if (tex) pushMath(wrapTex(tex, script.display))
        script = null
      }
      if (math && name === 'annotation') math.inAnnotation = false
      if (math && name !== 'math') math.tree.closeTag(name)
      if (VOID_TAGS.has(name)) return
      // Pop to the matching open tag (htmlparser2 reports implied closes, but be tolerant anyway).
      let idx = stack.length - 1
      while (idx >= 0 && stack[idx].tag !== name) idx--
      if (idx < 0) return
      while (stack.length > idx) {
        const f = stack.pop()!
        if (f.skip) handler.lean = --skipDepth > 0 && !inTitle && !script
        if (f.tag === 'pre' && !f.skip) preDepth--
        if (f.tag === 'math' && math && !f.skip) finishMath()
        if (!f.skip && BLOCK_TAGS.has(f.tag)) newline(PARAGRAPH_TAGS.has(f.tag) ? 2 : 1)
        if (f.node >= 0) {
          segEnd[f.node] = segs.length
          lastDesc[f.node] = parent.length - 1
          cur = parent[f.node]
          block = f.prevBlock
          if (f.link) linkDepth--
        }
      }
    },
  }
  // The <head> is never content: only its <title> is read, and the parse starts after it.
  scanHtml(html, handler)
  const n = parent.length
  for (let i = 0; i < n; i++) {
    if (segEnd[i] < 0) segEnd[i] = segs.length
    if (lastDesc[i] < 0) lastDesc[i] = n - 1
  }
  const parsed = { n, parent, tagOf, clsOf, idOf, own, commas, brs, chars, link, mathN, segStart, segEnd, lastDesc, segs, segNode }
  let text = normalizeText(selectContent(parsed, false))
  // Little text left: try again without class-name furniture (as Readability retries with its flags off).
  if (text.length < 250) {
    const relaxed = normalizeText(selectContent(parsed, true))
    if (relaxed.length > Math.max(2 * text.length, text.length + 250)) text = relaxed
  }
  return { title: normalizeText(title).replace(/\n/g, ' '), text }
}

function wrapTex(tex: string, display: boolean): string {
  const t = tex.trim()
  if (/^(\$|\\\(|\\\[)/.test(t)) return t
  return display ? `$$${t}$$` : `$${t}$`
}

interface Parsed {
  n: number
  parent: number[]
  tagOf: string[]
  clsOf: string[]
  idOf: string[]
  own: number[]
  commas: number[]
  brs: number[]
  chars: number[]
  link: number[]
  mathN: number[]
  segStart: number[]
  segEnd: number[]
  lastDesc: number[]
  segs: string[]
  segNode: number[]
}

const NEVER_FURNITURE = new Set(['mjx-container', 'body', 'html', 'main', 'article', ...HEADINGS])
const LINK_LIST_TAGS = new Set(['ul', 'ol', 'dl', 'div', 'section', 'table', 'header', 'menu'])
const classWeight = (cls: string, id: string): number =>
  (cls ? (NEGATIVE.test(cls) ? -25 : 0) + (POSITIVE.test(cls) ? 25 : 0) : 0) + (id ? (NEGATIVE.test(id) ? -25 : 0) + (POSITIVE.test(id) ? 25 : 0) : 0)

/** Picks the main content from the parsed segments and returns its raw text (before normalisation). */
function selectContent(d: Parsed, relaxed: boolean): string {
  const { n, parent, tagOf, segs, segNode, segStart, segEnd, lastDesc } = d
  const total = Float64Array.from(d.chars)
  const links = Float64Array.from(d.link)
  const maths = Float64Array.from(d.mathN)
  for (let i = n - 1; i >= 0; i--) {
    const p = parent[i]
    if (p >= 0) { total[p] += total[i]; links[p] += links[i]; maths[p] += maths[i] }
  }
  // Prose: text of blocks with at least 80 characters of their own, summed over subtrees.
  const prose = new Float64Array(n)
  for (let i = n - 1; i >= 0; i--) {
    if (d.own[i] >= 80) prose[i] += d.own[i]
    if (parent[i] >= 0) prose[parent[i]] += prose[i]
  }
  let docProse = 0
  for (let i = 0; i < n; i++) if (parent[i] < 0) docProse += prose[i]
  // An element's children, found on demand: ids are in document order and a subtree is the run up to lastDesc.
  const childrenOf = (i: number): number[] => {
    const out: number[] = []
    for (let j = i + 1; j <= lastDesc[i]; j = lastDesc[j] + 1) out.push(j)
    return out
  }

  // Furniture: nav/footer/aside/form, and class or id names of page furniture. A wrapper that holds most of
  // the page's prose is layout (an ASP.NET <form>, "page menu-open", "c-fixed-sidebar-layout"), not
  // furniture, unless it is comments.
  const boiler = new Uint8Array(n)
  const inBoiler = new Uint8Array(n)
  const namesOf = (i: number): string => {
    // BEM modifiers ("section--has-ads") describe a variant of the element, not what it is.
    // An id of four or more words is a slug of a heading ("sharing-with-multiple-developers"), not a role.
    const id = d.idOf[i] && d.idOf[i].split(/[-_]+/).length < 4 ? d.idOf[i] : ''
    if (!d.clsOf[i] && !id) return ''
    let names = id ? `${d.clsOf[i]} ${id}` : d.clsOf[i]
    if (names.includes('--')) names = names.replace(/--\S*/g, '')
    return UPPER.test(names) ? names.replace(/([a-z])([A-Z])/g, '$1-$2') : names
  }
  const namedFurniture = (i: number, names: string): boolean => names !== '' && !NEVER_FURNITURE.has(tagOf[i]) && (BOILERPLATE.test(names) || WIDGET.test(names))
  for (let i = 0; i < n; i++) {
    const tag = tagOf[i]
    const names = namesOf(i)
    const furniture = relaxed ? tag === 'nav' || tag === 'footer' || tag === 'noscript' : SOFT_SKIP_TAGS.has(tag) || namedFurniture(i, names)
    if (furniture && (prose[i] <= 0.5 * docProse || NEVER_LAYOUT.test(names))) boiler[i] = 1
    inBoiler[i] = boiler[i] || (parent[i] >= 0 && inBoiler[parent[i]]) ? 1 : 0
  }
  // From here on, totals leave out the furniture inside (misnested markup can put a sidebar in an article).
  total.set(d.chars)
  links.set(d.link)
  for (let i = n - 1; i >= 0; i--) {
    const p = parent[i]
    if (p >= 0 && !boiler[i]) { total[p] += total[i]; links[p] += links[i] }
  }

  // Readability scoring: every block with >= 25 characters of its own text scores 1 + commas + length/100
  // (at most 3) and passes it to five levels of ancestors (divided by 1, 2, 6, 9, 12).
  const score = new Float64Array(n)
  const cand = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    // Table cells count only when they hold prose: a data table's many short cells must not outscore the article.
    if (d.own[i] < ((tagOf[i] === 'td' || tagOf[i] === 'th') ? 80 : 25) || inBoiler[i] || UNSCORED.has(tagOf[i])) continue
    if (parent[i] >= 0 && tagOf[parent[i]] === 'li') continue
    // Commas count clauses of prose; in a block of short lines broken by <br> (a list of names and places,
    // an address) they separate fields, and such a block scores like one plain paragraph.
    const lineList = d.brs[i] >= 5 && d.own[i] / (d.brs[i] + 1) < 40
    const cs = 2 + (lineList ? 0 : d.commas[i]) + Math.min(Math.floor(d.own[i] / 100), 3)
    for (let a = parent[i], level = 0; a >= 0 && level < 5; a = parent[a], level++) {
      if (!cand[a]) {
        cand[a] = 1
        score[a] += (TAG_SCORE[tagOf[a]] ?? 0) + classWeight(d.clsOf[a], d.idOf[a])
      }
      score[a] += cs / (level === 0 ? 1 : level === 1 ? 2 : level * 3)
    }
  }
  const ranked: number[] = []
  for (let i = 0; i < n; i++) {
    if (!cand[i] || inBoiler[i]) continue
    if (total[i] > 0) score[i] *= 1 - links[i] / total[i]
    ranked.push(i)
  }
  ranked.sort((a, b) => score[b] - score[a])
  const contains = (a: number, b: number): boolean => a === b || (a < b && b <= lastDesc[a])

  let roots: number[] = []
  if (ranked.length > 0) {
    let top = ranked[0]
    // Several near-best candidates under one ancestor: the ancestor is the content (e.g. Q&A threads).
    const alts = ranked.slice(1, 5).filter((c) => score[c] >= 0.75 * score[top])
    if (alts.length >= 3) {
      for (let p = parent[top]; p >= 0 && tagOf[p] !== 'body'; p = parent[p]) {
        if (alts.filter((c) => contains(p, c)).length >= 3) { top = p; break }
      }
    }
    // A near-best candidate that contains the best one is the content (an article with a table in it).
    // (Not around an <article> element: its markup says where the article is.)
    if (tagOf[top] !== 'article') for (const c of ranked.slice(1, 5)) if (score[c] >= 0.75 * score[ranked[0]] && contains(c, top)) top = c
    let last = score[top]
    const floor = last / 3
    for (let p = parent[top]; p >= 0 && tagOf[p] !== 'body' && tagOf[top] !== 'article'; p = parent[p]) {
      if (!cand[p]) continue
      if (score[p] < floor) break
      if (score[p] > last) { top = p; break }
      last = score[p]
    }
    while (parent[top] >= 0 && tagOf[parent[top]] !== 'body' && childrenOf(parent[top]).length === 1) top = parent[top]
    // Siblings that score well, or plain paragraphs with little link text, join the top candidate.
    const p = parent[top]
    if (p < 0) roots = [top]
    else {
      const threshold = Math.max(10, score[top] * 0.2)
      for (const s of childrenOf(p)) {
        let ok = s === top
        if (!ok && !inBoiler[s]) {
          const bonus = d.clsOf[s] && d.clsOf[s] === d.clsOf[top] ? score[top] * 0.2 : 0
          const density = total[s] ? links[s] / total[s] : 0
          if (cand[s] && score[s] + bonus >= threshold) ok = true
          else if (tagOf[s] !== 'p') ok = prose[s] >= 80 && density < 0.25
          else ok = (total[s] > 80 && density < 0.25) || (total[s] > 0 && total[s] <= 80 && density === 0 && /\.( |$)/.test(segs.slice(segStart[s], segEnd[s]).join('')))
        }
        if (ok) roots.push(s)
      }
      // One level up, prose with few links next to the content's container (a lead paragraph in a header).
      const gp = parent[p]
      if (gp >= 0 && tagOf[gp] !== 'body' && tagOf[gp] !== 'html') {
        const before: number[] = [], after: number[] = []
        for (const s of childrenOf(gp)) {
          // A heading after the content stands over a section that is not in it ("11 responses to ...").
          if (s === p || inBoiler[s] || prose[s] < 80 || links[s] >= 0.25 * total[s] || (s > p && HEADINGS.has(tagOf[s]))) continue
          ;(s < p ? before : after).push(s)
        }
        roots = [...before, ...roots, ...after]
      }
    }
    // Elsewhere in the page, prose blocks of the best candidate's class: a story that an advertisement or a
    // layout row splits into two "story-text" blocks.
    const best = ranked[0]
    if (d.clsOf[best]) {
      const more = ranked.filter((c) => c !== best && d.clsOf[c] === d.clsOf[best] && prose[c] >= 80 && links[c] < 0.25 * total[c] &&
        !roots.some((r) => contains(r, c) || contains(c, r)))
      more.sort((a, b) => a - b)
      for (const c of more) if (!roots.some((r) => contains(r, c))) roots.push(c)
      roots.sort((a, b) => a - b)
    }
    let selected = 0
    for (const r of roots) selected += total[r]
    // Math outside the selection widens it to the common ancestor, so content selection never drops TeX.
    let lca = -2
    for (let i = 0; i < n; i++) {
      if (d.mathN[i] === 0 || inBoiler[i] || roots.some((r) => contains(r, i))) continue
      if (lca === -2) lca = roots[0]
      while (lca >= 0 && !contains(lca, i)) lca = parent[lca]
      if (lca < 0) break
    }
    if (lca !== -2) roots = lca >= 0 ? [lca] : []
    else if (selected < 200) roots = []
  }

  // Emit the kept roots (or, with no usable candidate, the whole document) without the furniture in them.
  const removed = new Uint8Array(n)
  const out: string[] = []
  const emit = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const e = segNode[k]
      if (e < 0 || !removed[e] || segs[k].trim() === '') out.push(segs[k])
    }
  }
  const mark = (r: number, drop: number): void => {
    removed[r] = drop
    for (let i = r + 1; i <= lastDesc[r]; i++) {
      removed[i] = removed[parent[i]] || boiler[i] ||
        (LINK_LIST_TAGS.has(tagOf[i]) && maths[i] === 0 && total[i] > 0 && links[i] / total[i] > 0.5 && total[i] - links[i] < 300) ? 1 : 0
    }
  }
  // A heading whose section is all removed ("Related posts" over a dropped link list) goes with it.
  const orphanHeadings = (r: number): void => {
    for (let i = r; i <= lastDesc[r]; i++) {
      if (removed[i] || lastDesc[i] <= i) continue
      const kids = childrenOf(i)
      if (kids.length < 2) continue
      for (let j = 0; j < kids.length; j++) {
        if (removed[kids[j]] || !HEADINGS.has(tagOf[kids[j]])) continue
        let content = false, any = false
        for (let k = j + 1; k < kids.length && !HEADINGS.has(tagOf[kids[k]]); k++) {
          if (total[kids[k]] === 0) continue
          any = true
          if (!removed[kids[k]]) { content = true; break }
        }
        if (any && !content) removed.fill(1, kids[j], lastDesc[kids[j]] + 1)
      }
    }
  }
  if (roots.length === 0) {
    for (let i = 0; i < n; i++) if (parent[i] < 0) { mark(i, boiler[i]); orphanHeadings(i) }
    emit(0, segs.length)
  } else {
    for (const r of roots) { mark(r, 0); orphanHeadings(r); emit(segStart[r], segEnd[r]) }
  }
  return out.join('')
}
