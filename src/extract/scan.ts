// A fast HTML event scanner for extraction: the tag, attribute and text events of htmlparser2's Parser (HTML
// mode, lower-cased names, entities decoded), with its tree rules (implied closes, void elements, self-closing
// tags only inside <svg>/<math>, "</p>" and "</br>" without an opening tag), but found with indexOf over the
// string instead of a character-by-character state machine: text runs, comments, raw-text elements (script,
// style) and quoted attribute values are skipped in one search each, and a text run arrives in one piece.
import { decodeHTML, decodeHTMLAttribute } from 'entities/decode'

export type Attrs = Record<string, string>

export interface ScanHandler {
  /** While true, open tags are reported without their attributes (an empty object) and text is not reported: a
   * skipped subtree. */
  lean?: boolean
  /** When given, only these attributes are reported. */
  wanted?: ReadonlySet<string>
  /** When given, a fresh attribute object for each tag (one with the wanted attributes preset to undefined keeps
   * one object shape for the handler's reads). */
  newAttrs?: () => Attrs
  /** With newAttrs: sets a wanted attribute, unless already set, on an object newAttrs made (a store by name is
   * much cheaper than by a computed key). */
  setAttr?: (attrs: Attrs, name: string, value: string) => void
  onopentag(name: string, attrs: Attrs): void
  ontext(text: string): void
  onclosetag(name: string): void
}

const formTags = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'])
const pTag = new Set(['p'])
const headingTags = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p'])
const tableSectionTags = new Set(['thead', 'tbody'])
const ddtTags = new Set(['dd', 'dt'])
const rtpTags = new Set(['rt', 'rp'])
// As htmlparser2: opening the key closes open elements of these names on top of the stack.
const OPEN_IMPLIES_CLOSE = new Map<string, Set<string>>([
  ['tr', new Set(['tr', 'th', 'td'])], ['th', new Set(['th'])], ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])], ['a', new Set(['a'])], ['li', new Set(['li'])], ['p', pTag],
  ['h1', headingTags], ['h2', headingTags], ['h3', headingTags], ['h4', headingTags], ['h5', headingTags], ['h6', headingTags],
  ['select', formTags], ['input', formTags], ['output', formTags], ['button', formTags], ['datalist', formTags], ['textarea', formTags],
  ['option', new Set(['option'])], ['optgroup', new Set(['optgroup', 'option'])], ['dd', ddtTags], ['dt', ddtTags],
  ...['address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'form',
    'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section', 'table', 'ul'].map((t) => [t, pTag] as [string, Set<string>]),
  ['rt', rtpTags], ['rp', rtpTags], ['tbody', tableSectionTags], ['tfoot', tableSectionTags],
])
export const VOID_ELEMENTS = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input',
  'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr'])
// Elements whose content is raw text up to their end tag (RCDATA ones decode entities).
const RAW_TEXT = new Set(['script', 'style', 'iframe', 'noembed', 'noframes', 'xmp'])
const RCDATA = new Set(['title', 'textarea'])
const HTML_INTEGRATION = new Set(['mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignobject', 'desc', 'title'])

const NO_ATTRS: Attrs = Object.freeze({}) as Attrs
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 12 || c === 13
const isNameEnd = (c: number): boolean => isSpace(c) || c === 47 || c === 62 // whitespace, "/", ">"
const isAlpha = (c: number): boolean => ((c | 0x20) >= 97 && (c | 0x20) <= 122)
const decodeText = (s: string): string => (s.indexOf('&') < 0 ? s : decodeHTML(s))

/** Scans `html` and calls the handler for every open tag, text run and close tag, then closes what is open. */
export function scanHtml(html: string, h: ScanHandler): void {
  const n = html.length
  const stack: string[] = []
  // Open elements by name: a close tag with none open (20k stray </span>) returns at once instead of
  // searching the whole stack.
  const openCount = new Map<string, number>()
  // Foreign-content depth: self-closing syntax counts only inside <svg>/<math> (and not inside their HTML
  // integration points).
  const foreign: boolean[] = [false]
  let i = 0
  const wanted = h.wanted
  const newAttrs = h.newAttrs
  const setAttr = newAttrs === undefined ? undefined : h.setAttr
  const pop = (): void => {
    const name = stack.pop()!
    openCount.set(name, openCount.get(name)! - 1)
    if (name === 'svg' || name === 'math' || HTML_INTEGRATION.has(name)) foreign.pop()
    h.onclosetag(name)
  }
  const open = (name: string, attrs: Attrs, selfClosing: boolean): void => {
    if (name === 'form' && (openCount.get('form') ?? 0) > 0) return
    const implied = OPEN_IMPLIES_CLOSE.get(name)
    if (implied) while (stack.length > 0 && implied.has(stack[stack.length - 1])) pop()
    const isVoid = VOID_ELEMENTS.has(name)
    if (!isVoid) {
      stack.push(name)
      openCount.set(name, (openCount.get(name) ?? 0) + 1)
      if (name === 'svg' || name === 'math') foreign.push(true)
      else if (HTML_INTEGRATION.has(name)) foreign.push(false)
    }
    h.onopentag(name, attrs)
    if (isVoid) h.onclosetag(name)
    else if (selfClosing && foreign[foreign.length - 1] && stack[stack.length - 1] === name) pop()
  }
  const close = (name: string): void => {
    if (VOID_ELEMENTS.has(name)) {
      if (name === 'br') { h.onopentag('br', {}); h.onclosetag('br') }
      return
    }
    const pos = (openCount.get(name) ?? 0) > 0 ? stack.lastIndexOf(name) : -1
    if (pos >= 0) while (stack.length > pos) pop()
    else if (name === 'p') { open('p', {}, false); pop() }
  }

  while (i < n) {
    const lt = html.indexOf('<', i)
    if (lt < 0) { if (!h.lean) h.ontext(decodeText(html.slice(i))); break }
    const c = lt + 1 < n ? html.charCodeAt(lt + 1) : 0
    if (isAlpha(c)) {
      // Open tag: name, then attributes up to ">".
      if (lt > i && !h.lean) h.ontext(decodeText(html.slice(i, lt)))
      let j = lt + 2
      while (j < n && !isNameEnd(html.charCodeAt(j))) j++
      let name = html.slice(lt + 1, j).toLowerCase()
      const inForeign = foreign[foreign.length - 1]
      if (name === 'image' && !inForeign) name = 'img'
      let attrs: Attrs = NO_ATTRS
      let selfClosing = false
      if (h.lean) {
        // Only the end of the tag: "=" may open a quoted value that holds a ">".
        while (j < n) {
          const ch = html.charCodeAt(j)
          if (ch === 62) { selfClosing = html.charCodeAt(j - 1) === 47; j++; break }
          if (ch === 61) {
            j++
            while (j < n && isSpace(html.charCodeAt(j))) j++
            const q = html.charCodeAt(j)
            if (q === 34 || q === 39) {
              const e = html.indexOf(q === 34 ? '"' : "'", j + 1)
              j = e < 0 ? n : e + 1
            }
            continue
          }
          j++
        }
      } else attrs = newAttrs ? newAttrs() : {}
      while (!h.lean && j < n) {
        let ch = html.charCodeAt(j)
        if (isSpace(ch)) { j++; continue }
        if (ch === 62) { j++; break } // ">"
        if (ch === 47) { // "/"
          j++
          if (j < n && html.charCodeAt(j) === 62) { selfClosing = true; j++; break }
          continue
        }
        // Attribute name: up to whitespace, "=", ">" or "/" (a leading "=" belongs to the name).
        const ns = j
        j++
        while (j < n) {
          ch = html.charCodeAt(j)
          if (isNameEnd(ch) || ch === 61) break
          j++
        }
        const aname = html.slice(ns, j).toLowerCase()
        const keep = wanted === undefined || wanted.has(aname)
        while (j < n && isSpace(html.charCodeAt(j))) j++
        let value = ''
        if (j < n && html.charCodeAt(j) === 61) { // "="
          j++
          while (j < n && isSpace(html.charCodeAt(j))) j++
          const q = html.charCodeAt(j)
          if (q === 34 || q === 39) {
            let e = html.indexOf(q === 34 ? '"' : "'", j + 1)
            if (e < 0) e = n
            if (keep) value = html.slice(j + 1, e)
            j = e + 1
          } else {
            const vs = j
            while (j < n) {
              ch = html.charCodeAt(j)
              if (isSpace(ch) || ch === 62) break
              j++
            }
            value = html.slice(vs, j)
          }
          if (keep && value.indexOf('&') >= 0) value = decodeHTMLAttribute(value)
        }
        if (keep) {
          if (setAttr !== undefined) setAttr(attrs, aname, value)
          else if (attrs[aname] === undefined) attrs[aname] = value
        }
      }
      open(name, attrs, selfClosing)
      i = j
      // Raw text only in HTML content (an SVG <title> or <style> holds markup).
      if (!inForeign && (RAW_TEXT.has(name) || RCDATA.has(name))) {
        if (!stack.length || stack[stack.length - 1] !== name) continue
        // Raw text up to "</name" followed by whitespace, "/" or ">".
        let k = i
        let end = -1
        for (;;) {
          const m = html.indexOf('</', k)
          if (m < 0) break
          let t = 0
          while (t < name.length && m + 2 + t < n && (html.charCodeAt(m + 2 + t) | 0x20) === name.charCodeAt(t)) t++
          if (t === name.length && (m + 2 + t >= n || isNameEnd(html.charCodeAt(m + 2 + t)))) { end = m; break }
          k = m + 2
        }
        const body = html.slice(i, end < 0 ? n : end)
        if (body && !h.lean) h.ontext(RCDATA.has(name) ? decodeText(body) : body)
        if (end < 0) { i = n; break }
        const gt = html.indexOf('>', end)
        close(name)
        i = gt < 0 ? n : gt + 1
      }
      continue
    }
    if (c === 47) { // "</"
      const d = lt + 2 < n ? html.charCodeAt(lt + 2) : 0
      if (isAlpha(d)) {
        if (lt > i && !h.lean) h.ontext(decodeText(html.slice(i, lt)))
        let j = lt + 3
        while (j < n && !isNameEnd(html.charCodeAt(j))) j++
        const name = html.slice(lt + 2, j).toLowerCase()
        const gt = html.indexOf('>', j)
        close(name === 'image' && !foreign[foreign.length - 1] ? 'img' : name)
        i = gt < 0 ? n : gt + 1
        continue
      }
      if (d === 62) { // "</>" is dropped
        if (lt > i && !h.lean) h.ontext(decodeText(html.slice(i, lt)))
        i = lt + 3
        continue
      }
      // "</" and no letter: a bogus comment up to ">".
      if (lt > i && !h.lean) h.ontext(decodeText(html.slice(i, lt)))
      const gt = html.indexOf('>', lt + 2)
      i = gt < 0 ? n : gt + 1
      continue
    }
    if (c === 33 || c === 63) { // "<!" or "<?"
      if (lt > i && !h.lean) h.ontext(decodeText(html.slice(i, lt)))
      if (c === 33 && html.startsWith('--', lt + 2)) {
        // A comment ends at "-->" or at "--!>".
        const e = html.indexOf('--', lt + 4)
        let k = e
        while (k >= 0 && !(html.charCodeAt(k + 2) === 62 || (html.charCodeAt(k + 2) === 33 && html.charCodeAt(k + 3) === 62))) k = html.indexOf('--', k + 1)
        i = k < 0 ? n : k + (html.charCodeAt(k + 2) === 62 ? 3 : 4)
      } else {
        const gt = html.indexOf('>', lt + 2)
        i = gt < 0 ? n : gt + 1
      }
      continue
    }
    // A "<" that opens no tag is text: keep it with the run that follows.
    const next = html.indexOf('<', lt + 1)
    const stop = next < 0 ? n : next
    if (!h.lean) h.ontext(decodeText(html.slice(i, stop)))
    i = stop
  }
  while (stack.length > 0) pop()
}
