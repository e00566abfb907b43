// Equivalence of two normalised answers: plain numbers first (cheap, and how most answers are settled), then the
// structure (tuples and intervals are ordered, sets and bare comma lists are not, matrices cell by cell, equations
// up to sign), then a CAS: Cortex Compute Engine parses the LaTeX, numbers are compared by value and expressions with
// unknowns by evaluating both at random points, where symbolic simplification would be slow and incomplete.
import { ComputeEngine, type Expression } from '@cortex-js/compute-engine'

// Floats computed by the CAS are good to ~1e-15; 1e-9 still tells 28121600 from 28121601.
const RELATIVE_TOLERANCE = 1e-9
const RANDOM_POINTS = 4
// Longer answers are compared as strings only: a CAS on pasted paragraphs is slow and never decides anything.
const MAX_CAS_LENGTH = 300
const HUGE_EXPONENT = /\^\s*\{?\s*\d{7,}/
const HUGE_FACTORIAL = /\d{5,}\s*!/

let engine: ComputeEngine | undefined
const ce = (): ComputeEngine => (engine ??= new ComputeEngine())

export function answersEqual(answer: string, reference: string): boolean {
  if (answer === reference) return true
  if (answer === '' || reference === '') return false
  return sameNumber(answer, reference) ?? sameText(answer, reference) ?? sameMatrix(answer, reference) ??
    sameList(answer, reference) ?? sameEquation(answer, reference) ?? sameExpression(answer, reference)
}

// ---- numbers -----------------------------------------------------------------------------------------------

const PLAIN_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?%?$/i

const PLAIN_INTEGER = /^[-+]?\d+$/

function sameNumber(a: string, b: string): boolean | undefined {
  if (!PLAIN_NUMBER.test(a) || !PLAIN_NUMBER.test(b)) return undefined
  // Whole numbers exactly, however long: doubles would call 12345678901234567890 and ...891 equal.
  if (PLAIN_INTEGER.test(a) && PLAIN_INTEGER.test(b)) return BigInt(a) === BigInt(b)
  const raw = (s: string): number => Number(s.replace('%', ''))
  const value = (s: string): number => (s.endsWith('%') ? raw(s) / 100 : raw(s))
  // "50%" and "50" name the same answer to a percentage question; "0.5" and "50%" are the same value.
  return close(value(a), value(b)) || ((a.endsWith('%') || b.endsWith('%')) && close(raw(a), raw(b)))
}

export function close(x: number, y: number): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x === y
  return Math.abs(x - y) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(x), Math.abs(y))
}

// ---- words -------------------------------------------------------------------------------------------------

/** Answers in words ("\text{Monday}", "(A)", "even") are compared as words: case, spaces and brackets aside. */
function sameText(a: string, b: string): boolean | undefined {
  if (!isWords(a) && !isWords(b)) return undefined
  return words(a) === words(b)
}

const isWords = (s: string): boolean => /\\text\{/.test(s) || /^\(?[a-zA-Z]{3}[a-zA-Z ]*\)?$/.test(s) || /^\([A-Za-z]\)$/.test(s)
const words = (s: string): string => s.replace(/\\text\{([^{}]*)\}/g, '$1').replace(/[\s(){}]/g, '').toLowerCase()

// ---- structure ---------------------------------------------------------------------------------------------

interface Enclosed { open: string; close: string; inner: string }

const OPENERS = new Set(['(', '[', '{'])
const CLOSERS = new Set([')', ']', '}'])

/** Splits at the commas (or another separator) that are outside every bracket. */
export function splitTopLevel(s: string, separator = ','): string[] {
  const parts: string[] = []
  let depth = 0, start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (OPENERS.has(c)) depth++
    else if (CLOSERS.has(c)) depth--
    else if (depth === 0 && s.startsWith(separator, i)) {
      parts.push(s.slice(start, i))
      start = i + separator.length
    }
  }
  parts.push(s.slice(start))
  return parts.map((p) => p.trim())
}

/** "(1,2)", "[0,3)", "\{1,2\}": the bracket pair and what is inside, when the pair encloses the whole answer. */
function enclosure(s: string): Enclosed | undefined {
  if (s.startsWith('\\{') && s.endsWith('\\}')) return { open: '\\{', close: '\\}', inner: s.slice(2, -2) }
  if (!(s[0] === '(' || s[0] === '[') || !(s.endsWith(')') || s.endsWith(']'))) return undefined
  let depth = 0
  for (let i = 0; i < s.length; i++) {
    if (OPENERS.has(s[i])) depth++
    else if (CLOSERS.has(s[i]) && --depth === 0 && i < s.length - 1) return undefined
  }
  return { open: s[0], close: s[s.length - 1], inner: s.slice(1, -1) }
}

function sameList(a: string, b: string): boolean | undefined {
  const ea = enclosure(a), eb = enclosure(b)
  const partsA = splitTopLevel(ea?.inner ?? a), partsB = splitTopLevel(eb?.inner ?? b)
  if (partsA.length === 1 && partsB.length === 1) return undefined
  if (partsA.length !== partsB.length) return false
  if (ea?.open === '\\{' && eb?.open === '\\{') return sameUnordered(partsA, partsB)
  if (!ea && !eb) return sameUnordered(partsA, partsB)
  if (!ea || !eb || ea.open !== eb.open || ea.close !== eb.close) return false
  return partsA.every((p, i) => answersEqual(p, partsB[i]))
}

function sameUnordered(a: string[], b: string[]): boolean {
  const unused = [...b]
  for (const part of a) {
    const at = unused.findIndex((other) => answersEqual(part, other))
    if (at < 0) return false
    unused.splice(at, 1)
  }
  return true
}

const MATRIX = /^\\begin\{([pbv]?matrix)\}(.*)\\end\{\1\}$/s

function sameMatrix(a: string, b: string): boolean | undefined {
  const ma = MATRIX.exec(a), mb = MATRIX.exec(b)
  if (!ma && !mb) return undefined
  if (!ma || !mb) return false
  const cells = (body: string): string[][] => body.split('\\\\').map((r) => r.trim()).filter(Boolean).map((r) => r.split('&'))
  const ca = cells(ma[2]), cb = cells(mb[2])
  return ca.length === cb.length && ca.every((row, i) => row.length === cb[i].length && row.every((c, j) => answersEqual(c.trim(), cb[i][j].trim())))
}

/** "y=2x+3" and "2x-y+3=0" are one line: both sides moved to the left, equal up to sign. */
function sameEquation(a: string, b: string): boolean | undefined {
  const sa = splitTopLevel(a, '='), sb = splitTopLevel(b, '=')
  if (sa.length === 1 && sb.length === 1) return undefined
  if (sa.length !== 2 || sb.length !== 2) return false
  const da = `(${sa[0]})-(${sa[1]})`, db = `(${sb[0]})-(${sb[1]})`
  return sameExpression(da, db) || sameExpression(da, `-(${db})`)
}

// ---- CAS ---------------------------------------------------------------------------------------------------

function sameExpression(a: string, b: string): boolean {
  if (a.length > MAX_CAS_LENGTH || b.length > MAX_CAS_LENGTH) return false
  // The engine raises a float to an integer power, and takes factorials, in time that grows with the number
  // (x^{999999999}: ten seconds, 99999!: two; no deadline stops it), which would hold up a reward request;
  // such answers are compared as text.
  if ([a, b].some((s) => HUGE_EXPONENT.test(s) || HUGE_FACTORIAL.test(s))) return false
  try {
    const ea = ce().parse(unscientific(a)), eb = ce().parse(unscientific(b))
    if (!ea.isValid || !eb.isValid) return false
    const unknowns = [...new Set([...ea.unknowns, ...eb.unknowns])]
    if (unknowns.length === 0) return sameValue(ea, eb)
    return sameAtRandomPoints(ea, eb, unknowns)
  } catch {
    return false
  }
}

/** "4e+7p" is 4 times e plus 7p in an answer, where the engine would read the float 4e+7. */
const unscientific = (latex: string): string => latex.replace(/(\d)e(?=[-+]?\d)/g, '$1\\cdot e')

function sameValue(a: Expression, b: Expression): boolean {
  const va = numericValue(a), vb = numericValue(b)
  const finite = (v: { re: number; im: number } | undefined): boolean => !!v && Number.isFinite(v.re) && Number.isFinite(v.im)
  if (finite(va) && finite(vb)) return close(va!.re, vb!.re) && close(va!.im, vb!.im)
  // Past double range (3^{2007}, 2^{2^{100}}) the engine's own comparisons round too: only the same form counts.
  if (va || vb) return a.isSame(b)
  // Sets, intervals, tuples: the engine's own structural equality.
  return a.isSame(b) || a.isEqual(b) === true
}

function numericValue(e: Expression): { re: number; im: number } | undefined {
  const n = e.N()
  const re = n.re, im = n.im
  return typeof re === 'number' && !Number.isNaN(re) && typeof im === 'number' && !Number.isNaN(im) ? { re, im } : undefined
}

/** Equal at RANDOM_POINTS points drawn from a fixed seed, so that a grade never changes between runs. */
function sameAtRandomPoints(a: Expression, b: Expression, unknowns: string[]): boolean {
  const random = seededRandom(unknowns.join(','))
  let compared = 0
  for (let p = 0; p < RANDOM_POINTS; p++) {
    const point = Object.fromEntries(unknowns.map((u) => [u, ce().number(0.5 + 2 * random())]))
    const va = numericValue(a.subs(point)), vb = numericValue(b.subs(point))
    if (!va && !vb) continue
    if (!va || !vb || !close(va.re, vb.re) || !close(va.im, vb.im)) return false
    compared++
  }
  return compared >= 2
}

function seededRandom(seed: string): () => number {
  let state = 2166136261
  for (const ch of seed) state = Math.imul(state ^ ch.charCodeAt(0), 16777619) >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}
