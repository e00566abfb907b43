// The bench's answer pairs, drawn from the boxed answers of MATH test solutions: each reference answer against
// rewritings that must stay equal (\dfrac, spaces, decimals, units, x= prefixes, dollars, degrees, \left/\right,
// thousands separators, reordered sums) and changes that must not (another problem's answer, a perturbed number,
// a flipped sign, a reversed tuple).
import { lastBoxed } from '../../src/grade/extract.ts'
import { normalizeAnswer } from '../../src/grade/normalize.ts'

export interface Pair { id: string; kind: string; expected: boolean; reference: string; response: string; candidate: string; answer: string }

type Rewrite = (answer: string) => string | null

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/
// "15,\!000": a number with thousands separators, not a list to respace or reorder.
const GROUPED_NUMBER = /^(\\\$)?\d{1,3}(,\s*(\\!)?\s*\d{3})+(\.\d+)?$/
const SIMPLE_FRACTION = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/

const EQUIVALENT: Record<string, Rewrite> = {
  spaces: (a) => { if (GROUPED_NUMBER.test(a)) return null; const s = a.replace(/,\s*/g, ', ').replace(/\s*([+=])\s*/g, ' $1 '); return s === a ? null : s },
  dfrac: (a) => (a.includes('\\frac') ? a.replace(/\\frac/g, '\\dfrac') : null),
  decimal: (a) => {
    const m = SIMPLE_FRACTION.exec(a)
    if (!m || !terminates(Number(m[3]))) return null
    return `${m[1]}${String(Number(m[2]) / Number(m[3]))}`
  },
  fraction: (a) => {
    if (!/^-?\d+\.\d+$/.test(a)) return null
    const places = a.split('.')[1].length, denominator = 10 ** places
    const numerator = Math.round(Math.abs(Number(a)) * denominator)
    return `${a.startsWith('-') ? '-' : ''}\\frac{${numerator}}{${denominator}}`
  },
  unit: (a) => (PLAIN_NUMBER.test(a) ? `${a}\\text{ units}` : null),
  assign: (a) => (!a.includes('=') && !a.includes(',') && !a.includes('\\text') ? `x = ${a}` : null),
  dollar: (a) => (PLAIN_NUMBER.test(a) ? `\\$${a}` : null),
  degree: (a) => (/^\d+$/.test(a) ? `${a}^\\circ` : null),
  left_right: (a) => (/^[([].*[)\]]$/.test(a) && !a.includes('\\left') ? `\\left${a[0]}${a.slice(1, -1)}\\right${a.at(-1)}` : null),
  thousands: (a) => (/^\d{4,}$/.test(a) ? Number(a).toLocaleString('en-US') : null),
  slash: (a) => { const m = SIMPLE_FRACTION.exec(a); return m ? `${m[1]}${m[2]}/${m[3]}` : null },
  sqrt_power: (a) => (/^\\sqrt\{\d+\}$/.test(a) ? `${a.slice(6, -1)}^{1/2}` : null),
  reorder_list: (a) => {
    const parts = a.split(',').map((p) => p.trim())
    return parts.length > 1 && !GROUPED_NUMBER.test(a) && !/[()[\]{}]/.test(a) ? parts.reverse().join(', ') : null
  },
  unwrap_text: (a) => { const m = /^\\text\{\(?([A-Z])\)?\}$/.exec(a); return m ? m[1] : null },
  reorder_sum: (a) => {
    const m = /^([^+\-,=(){}.]+)\s*\+\s*([^+\-,=(){}.]+)$/.exec(a)
    return m ? `${m[2].trim()} + ${m[1].trim()}` : null
  },
}

const DIFFERENT: Record<string, Rewrite> = {
  perturb: (a) => {
    const numbers = [...a.matchAll(/\d+/g)]
    const last = numbers.at(-1)
    if (!last) return null
    return a.slice(0, last.index) + String(Number(last[0]) + 1) + a.slice(last.index + last[0].length)
  },
  negate: (a) => {
    if (a.includes(',') || a.includes('=') || a.includes('\\text') || /^-?0(\.0*)?$/.test(a)) return null
    return a.startsWith('-') ? a.slice(1) : `-${a.includes('+') || a.includes('-') ? `(${a})` : a}`
  },
  rounded: (a) => {
    const m = SIMPLE_FRACTION.exec(a)
    return m && !terminates(Number(m[3])) ? `${m[1]}${(Number(m[2]) / Number(m[3])).toFixed(2)}` : null
  },
  reverse_tuple: (a) => {
    const m = /^\(([^,()]+),([^,()]+)\)$/.exec(a.replace(/\\left|\\right/g, ''))
    return m && m[1].trim() !== m[2].trim() ? `(${m[2].trim()}, ${m[1].trim()})` : null
  },
}

const terminates = (d: number): boolean => { while (d % 2 === 0) d /= 2; while (d % 5 === 0) d /= 5; return d === 1 }

/** A seeded LCG: the same --seed draws the same problems. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

const boxed = (answer: string): string => `The final answer is $\\boxed{${answer}}$.`

export function buildPairs(solutions: string[], problems: number, seed: number): Pair[] {
  const random = seededRandom(seed)
  const answers = solutions.map((s) => lastBoxed(s)).filter((a): a is string => a !== null && a.trim() !== '')
  const pairs: Pair[] = []
  const picked = new Set<number>()
  while (picked.size < Math.min(problems, answers.length)) picked.add(Math.floor(random() * answers.length))
  for (const index of picked) {
    const answer = answers[index].trim()
    const add = (kind: string, expected: boolean, candidate: string | null): void => {
      if (candidate === null || candidate === answer) return
      pairs.push({ id: `math-${index + 1}-${kind}`, kind, expected, reference: boxed(answer), response: boxed(candidate), candidate, answer })
    }
    add('identical', true, `${answer} `)
    for (const [kind, rewrite] of Object.entries(EQUIVALENT)) add(kind, true, rewrite(answer))
    for (const [kind, rewrite] of Object.entries(DIFFERENT)) add(kind, false, rewrite(answer))
    add('other_problem', false, otherAnswer(answers, answer, random))
  }
  return pairs
}

function otherAnswer(answers: string[], answer: string, random: () => number): string | null {
  for (let tries = 0; tries < 20; tries++) {
    const other = answers[Math.floor(random() * answers.length)].trim()
    if (normalizeAnswer(other) !== normalizeAnswer(answer)) return other
  }
  return null
}
