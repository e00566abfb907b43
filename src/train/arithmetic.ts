// Generated arithmetic text: multi-step word problems with worked solutions, a data source that needs no
// corpus. Document i of seed s is a pure function of (s, i), so a loader's position in this source is just an
// index. Every intermediate value is a non-negative integer (divisions are exact).
import { mix32, Rng } from './rng.ts'

export interface ArithmeticProblem {
  question: string
  /** Worked solution, one sentence per step, ending with "The answer is \boxed{N}." */
  solution: string
  answer: number
  steps: number
  /** The same computation as a Python program that prints the answer (program-of-thought). Built from the
   * steps without drawing from the RNG, so questions and solutions are the same with or without it. */
  program: string
}

const NAMES = ['Ava', 'Ben', 'Chen', 'Dana', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jia', 'Kofi', 'Lena', 'Mateo', 'Noor', 'Omar', 'Priya']
const ITEMS = ['apples', 'marbles', 'stickers', 'books', 'coins', 'pencils', 'cookies', 'stamps', 'shells', 'cards']
const CONTAINERS = ['boxes', 'bags', 'jars', 'packs', 'crates', 'baskets']

type Op = 'add' | 'sub' | 'mul' | 'div'

interface Step { op: Op; operand: number; before: number; after: number; sentenceQ: string; sentenceA: string }

const PY_OP: Record<Op, string> = { add: '+', sub: '-', mul: '*', div: '//' }

/** Bounds of a problem's numbers. Without maxValue the original ranges (values up to a few thousand); with it,
 * every operand, intermediate value and answer stays in [0, maxValue]. */
export interface ArithmeticLimits { maxValue?: number }

function oneStep(rng: Rng, value: number, name: string, item: string, max = Infinity): Step {
  const ops: Op[] = ['add', 'sub', 'mul', 'div']
  for (;;) {
    const op = rng.pick(ops)
    if (op === 'add' && value + 2 <= max) {
      const n = rng.int(2, Math.min(60, max - value))
      const who = rng.pick(NAMES.filter((x) => x !== name))
      return { op, operand: n, before: value, after: value + n, sentenceQ: `${who} gives ${name} ${n} more ${item}.`, sentenceA: `After getting ${n} more, ${name} has ${value} + ${n} = ${value + n} ${item}.` }
    }
    if (op === 'sub' && value > 2) {
      const n = rng.int(1, value - 1)
      return { op, operand: n, before: value, after: value - n, sentenceQ: `${name} gives away ${n} ${item}.`, sentenceA: `After giving away ${n}, ${name} has ${value} - ${n} = ${value - n} ${item}.` }
    }
    if (op === 'mul' && value <= 200 && value * 2 <= max) {
      const n = rng.int(2, Math.min(6, Math.floor(max / value)))
      return { op, operand: n, before: value, after: value * n, sentenceQ: `${name} then ends up with ${n} times as many ${item}.`, sentenceA: `${n} times as many is ${value} * ${n} = ${value * n} ${item}.` }
    }
    if (op === 'div') {
      const divisors = [2, 3, 4, 5, 6].filter((d) => value % d === 0 && value / d >= 1)
      if (divisors.length) {
        const d = rng.pick(divisors)
        const c = rng.pick(CONTAINERS)
        return { op, operand: d, before: value, after: value / d, sentenceQ: `${name} shares the ${item} equally among ${d} ${c} and keeps one of them.`, sentenceA: `One of ${d} equal ${c} holds ${value} / ${d} = ${value / d} ${item}.` }
      }
    }
  }
}

/** A word problem of `steps` operations (2 to 4 when not given). */
export function wordProblem(rng: Rng, steps?: number, limits: ArithmeticLimits = {}): ArithmeticProblem {
  const max = limits.maxValue ?? Infinity
  const n = steps ?? rng.int(2, 4)
  const name = rng.pick(NAMES), item = rng.pick(ITEMS)
  let value: number, opening: string, first: string, startExpr: string
  if (rng.next() < 0.5) {
    const k = rng.int(2, Math.min(9, Math.floor(max / 2))), per = rng.int(2, Math.min(15, Math.max(2, Math.floor(max / 2 / k))))
    value = k * per
    const c = rng.pick(CONTAINERS)
    opening = `${name} has ${k} ${c} with ${per} ${item} in each.`
    first = `${name} starts with ${k} * ${per} = ${value} ${item}.`
    startExpr = `${k} * ${per}`
  } else {
    value = rng.int(5, Math.min(90, Math.floor(max / 2)))
    opening = `${name} has ${value} ${item}.`
    first = `${name} starts with ${value} ${item}.`
    startExpr = String(value)
  }
  const qs = [opening], as = [first]
  const code = [`${item} = ${startExpr}`]
  for (let i = 0; i < n; i++) {
    const s = oneStep(rng, value, name, item, max)
    qs.push(s.sentenceQ)
    as.push(s.sentenceA)
    code.push(`${item} = ${item} ${PY_OP[s.op]} ${s.operand}`)
    value = s.after
  }
  qs.push(`How many ${item} does ${name} have now?`)
  as.push(`The answer is \\boxed{${value}}.`)
  code.push(`print(${item})`)
  return { question: qs.join(' '), solution: as.join('\n'), answer: value, steps: n, program: code.join('\n') }
}

/** An expression problem: evaluate a chain like ((a + b) * c - d) step by step. */
export function expressionProblem(rng: Rng, steps?: number, limits: ArithmeticLimits = {}): ArithmeticProblem {
  const max = limits.maxValue ?? Infinity
  const n = steps ?? rng.int(2, 4)
  let value = rng.int(1, Math.min(50, Math.floor(max / 2)))
  let expr = String(value)
  const lines: string[] = []
  const code = [`x = ${value}`]
  for (let i = 0; i < n; i++) {
    const opt: string[] = ['+', '-', '*']
    const op = rng.pick(opt)
    let b: number
    if (op === '+') { if (value + 1 > max) { i--; continue } b = rng.int(1, Math.min(99, max - value)) }
    else if (op === '-') { if (value < 2) { i--; continue } b = rng.int(1, value - 1) }
    else { if (value > 300 || value * 2 > max) { i--; continue } b = rng.int(2, Math.min(9, Math.floor(max / value))) }
    const after = op === '+' ? value + b : op === '-' ? value - b : value * b
    lines.push(`Step ${i + 1}: ${value} ${op} ${b} = ${after}.`)
    code.push(`x = x ${op} ${b}`)
    expr = i === 0 ? `${expr} ${op} ${b}` : `(${expr}) ${op} ${b}`
    value = after
  }
  lines.push(`The answer is \\boxed{${value}}.`)
  code.push('print(x)')
  return { question: `Compute ${expr}.`, solution: lines.join('\n'), answer: value, steps: n, program: code.join('\n') }
}

/** Problem `index` of the generator seeded with `seed` (deterministic). */
export function arithmeticProblem(seed: number | bigint, index: number, steps?: number, limits: ArithmeticLimits = {}): ArithmeticProblem {
  const rng = new Rng(mix32(mix32(Number(BigInt.asUintN(32, BigInt(seed)))) ^ mix32(index + 0x51ed27)))
  return rng.next() < 0.7 ? wordProblem(rng, steps, limits) : expressionProblem(rng, steps, limits)
}

/** The pretraining document for a problem: question and worked solution. */
export function problemText(p: ArithmeticProblem): string {
  return `Question: ${p.question}\nSolution:\n${p.solution}\n`
}

export function arithmeticDocument(seed: number | bigint, index: number, limits: ArithmeticLimits = {}): string {
  return problemText(arithmeticProblem(seed, index, undefined, limits))
}

/** The generator as a data source: `generated:arithmetic`, or `generated:arithmetic?max-value=N` to keep every
 * number of its problems in [0, N]. */
export const GENERATED_ARITHMETIC = 'generated:arithmetic'

export function generatedUri(limits: ArithmeticLimits = {}): string {
  return limits.maxValue === undefined ? GENERATED_ARITHMETIC : `${GENERATED_ARITHMETIC}?max-value=${limits.maxValue}`
}

/** The limits of a generator URI, or null when `uri` is not the generator. Throws on a malformed one. */
export function parseGeneratedUri(uri: string): ArithmeticLimits | null {
  if (uri === GENERATED_ARITHMETIC) return {}
  if (!uri.startsWith(GENERATED_ARITHMETIC + '?')) return null
  const m = /^max-value=(\d+)$/.exec(uri.slice(GENERATED_ARITHMETIC.length + 1))
  if (!m || Number(m[1]) < 10) throw new Error(`${uri}: expected ${GENERATED_ARITHMETIC}?max-value=N with N >= 10`)
  return { maxValue: Number(m[1]) }
}
