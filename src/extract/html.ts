// Main-text extraction that keeps math as LaTeX. A streaming pass over htmlparser2 events:
// boilerplate subtrees are skipped, block elements become line breaks, and math markup
// (MathJax scripts, KaTeX/MathJax 3 TeX annotations, MathML alttext, LaTeX images) becomes $...$ / $$...$$.
import { Parser } from 'htmlparser2'
import { normalizeText } from './normalize.ts'

const SKIP_TAGS = new Set([
  'head', 'style', 'noscript', 'nav', 'footer', 'aside', 'form', 'button', 'select', 'option',
  'iframe', 'template', 'svg', 'canvas', 'object', 'embed', 'audio', 'video', 'dialog', 'menu',
])
const BLOCK_TAGS = new Set([
  'p', 'div', 'section', 'article', 'main', 'blockquote', 'pre', 'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'table', 'tr', 'thead', 'tbody', 'tfoot', 'caption', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr',
  'figure', 'figcaption', 'address', 'details', 'summary', 'header', 'center',
])
const VOID_TAGS = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr', 'param'])
// Class or id words that mark page furniture rather than content.
const BOILERPLATE = /(^|[\s_-])(nav|navbar|navigation|menu|footer|sidebar|breadcrumbs?|cookie|cookies|consent|banner|advert|advertisement|ads?|sponsor|share|sharing|social|comments?|related|popup|modal|newsletter|subscribe|signup|login|skip-link)($|[\s_-])/i
// Rendered math that duplicates a TeX source kept elsewhere in the page.
const RENDERED_MATH = /(^|\s)(katex-html|MathJax_Preview|MathJax|MathJax_Display|MJX_Assistive_MathML|MathJax_SVG|MathJax_CHTML|mjx-chtml)(\s|$)/
const LATEX_IMG = /codecogs|latex\.php|mathtex|wp-latex|\/latex\?|chart\.apis\.google\.com.*cht=tx|tex2img/i

export interface Extracted {
  title: string
  text: string
}

interface Frame {
  tag: string
  skip: boolean
  math?: MathCapture
}

interface MathCapture {
  display: boolean
  alttext?: string
  tex?: string
  inAnnotation: boolean
  fallback: string
}

export function extractText(html: string): Extracted {
  const out: string[] = []
  const stack: Frame[] = []
  let skipDepth = 0
  let title = ''
  let inTitle = false
  let preDepth = 0
  let script: { display: boolean; tex: string } | null = null
  let math: MathCapture | null = null

  const newline = (n = 1): void => {
    out.push(n > 1 ? '\n\n' : '\n')
  }

  const parser = new Parser({
    onopentag(name, attrs) {
      const cls = `${attrs.class ?? ''} ${attrs.id ?? ''}`
      if (name === 'title') inTitle = true
      let skip = skipDepth > 0 || SKIP_TAGS.has(name) || (name !== 'body' && name !== 'html' && name !== 'main' && name !== 'article' && BOILERPLATE.test(cls)) || attrs.hidden !== undefined || /display\s*:\s*none/i.test(attrs.style ?? '') || attrs['aria-hidden'] === 'true' && !math
      if (!skip && RENDERED_MATH.test(attrs.class ?? '')) skip = true
      if (name === 'script') {
        const type = (attrs.type ?? '').toLowerCase()
        if (!skip && type.startsWith('math/tex')) script = { display: /mode\s*=\s*display/.test(type), tex: '' }
        skip = true
      }
      if (!skip && name === 'math') {
        math = { display: attrs.display === 'block' || attrs.mode === 'display', alttext: attrs.alttext, inAnnotation: false, fallback: '' }
      } else if (math && name === 'annotation' && /tex/i.test(attrs.encoding ?? '')) {
        math.inAnnotation = true
        math.tex = ''
      }
      if (!skip && name === 'img') {
        const alt = (attrs.alt ?? attrs.title ?? '').trim()
        if (alt && (LATEX_IMG.test(attrs.src ?? '') || /(^|\s)(latex|tex|math)(\s|$)/i.test(attrs.class ?? ''))) {
          out.push(` ${wrapTex(alt.replace(/^\$+|\$+$/g, ''), false)} `)
        }
      }
      if (!VOID_TAGS.has(name)) stack.push({ tag: name, skip })
      if (skip) skipDepth += VOID_TAGS.has(name) ? 0 : 1
      if (name === 'pre' && !skip) preDepth++
      if (!skip && (BLOCK_TAGS.has(name) || name === 'br')) newline(name === 'p' || /^h\d$/.test(name) ? 2 : 1)
      if (!skip && name === 'li') out.push('- ')
      if (!skip && (name === 'td' || name === 'th')) out.push(' ')
    },
    ontext(text) {
      if (inTitle) title += text
      if (script) { script.tex += text; return }
      if (math) {
        if (math.inAnnotation) math.tex = (math.tex ?? '') + text
        else math.fallback += text
        return
      }
      if (skipDepth > 0) return
      out.push(preDepth > 0 ? text : text.replace(/\s+/g, ' '))
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false
      if (name === 'script' && script) {
        const tex = script.tex.trim()
        if (tex) out.push(wrapTex(tex, script.display))
        script = null
      }
      if (math && name === 'annotation') math.inAnnotation = false
      if (VOID_TAGS.has(name)) return
      // Pop to the matching open tag (htmlparser2 reports implied closes, but be tolerant anyway).
      let idx = stack.length - 1
      while (idx >= 0 && stack[idx].tag !== name) idx--
      if (idx < 0) return
      while (stack.length > idx) {
        const f = stack.pop()!
        if (f.skip) skipDepth--
        if (f.tag === 'pre' && !f.skip) preDepth--
        if (f.tag === 'math' && math && !f.skip) {
          const m: MathCapture = math
          const tex = (m.tex ?? m.alttext ?? m.fallback).trim()
          if (tex) out.push(wrapTex(tex, m.display))
          math = null
        }
        if (!f.skip && BLOCK_TAGS.has(f.tag)) newline(f.tag === 'p' || /^h\d$/.test(f.tag) ? 2 : 1)
      }
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.write(html)
  parser.end()
  return { title: normalizeText(title).replace(/\n/g, ' '), text: normalizeText(out.join('')) }
}

function wrapTex(tex: string, display: boolean): string {
  const t = tex.trim()
  if (/^(\$|\\\(|\\\[)/.test(t)) return t
  return display ? `$$${t}$$` : `$${t}$`
}
