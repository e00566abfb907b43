import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { extractAnswer, extractReference, lastBoxed } from '../../src/grade/extract.ts'
import { equivalentAnswers, gradeResponse } from '../../src/grade/grade.ts'
import { normalizeAnswer } from '../../src/grade/normalize.ts'
import { REPO } from '../helpers.ts'

const readGz = (path: string): Record<string, string>[] =>
  gunzipSync(readFileSync(`${REPO}${path}`)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const MATH = readGz('sample/benchmarks/math/test.jsonl.gz')
const GSM8K = readGz('sample/benchmarks/gsm8k/test.jsonl.gz')
const mathSolution = (line: number): string => MATH[line - 1].solution

describe('extraction', () => {
  it('takes the last \\boxed{} of a MATH solution, nested braces and all', () => {
    expect(lastBoxed(mathSolution(2))).toBe('\\frac{1}{2}')
    expect(lastBoxed(mathSolution(449))).toBe('\\left(-\\infty,-\\frac 12\\right)\\cup \\left(-\\frac 12,\\infty\\right)')
    expect(lastBoxed(mathSolution(1675))).toBe('25^\\circ')
  })

  it('reads \\fbox, \\boxed without braces, and keeps a % written after the box', () => {
    expect(extractAnswer('so we get \\fbox{$7$} in all')).toBe('$7$')
    expect(extractAnswer('$\\boxed 5$')).toBe('5')
    expect(extractAnswer('The rate is $\\boxed{12}\\%$.')).toBe('12\\%')
  })

  it('falls back to "#### n", then "The answer is", then the last number', () => {
    expect(extractAnswer('She makes 9 * 2 = $18 every day.\n#### 18')).toBe('18')
    expect(extractAnswer('Adding up, the answer is $\\frac{3}{4}$. I hope it is correct.')).toBe('\\frac{3}{4}')
    expect(extractAnswer('Final Answer: The final answer is $(1,2)$. I hope it is correct.')).toBe('(1,2)')
    expect(extractAnswer('So he made a profit of 200,000-130,000=$70,000')).toBe('70000')
    expect(extractAnswer('no digits here')).toBeNull()
  })

  it('takes a bare reference whole, not its last number', () => {
    expect(extractReference('\\frac{1}{2}')).toBe('\\frac{1}{2}')
    expect(extractReference(`${GSM8K[2].cot}\n#### ${GSM8K[2].answer}`)).toBe('70000')
  })
})

describe('normalisation (DeepSeekMath strip_string and more)', () => {
  it.each([
    ['\\$15,\\!000', '15000'], ['\\dfrac{3}{7}', '\\frac{3}{7}'], ['\\frac 54', '\\frac{5}{4}'], ['\\frac9{19}', '\\frac{9}{19}'],
    ['\\left[ \\frac{1}{2}, \\frac{3}{2} \\right]', '[\\frac{1}{2},\\frac{3}{2}]'], ['25^\\circ', '25'], ['180^{\\circ}', '180'],
    ['575\\text{ students}', '575'], ['864 \\mbox{ inches}^2', '864'], ['12\\text{ square units}', '12'], ['44\\%', '44%'],
    ['x \\in [-2,7]', '[-2,7]'], ['x = -10', '-10'], ['\\text{Evelyn}', 'Evelyn'], ['.5', '0.5'], ['\\$0.50', '0.5'],
    ['8{,}880', '8880'], ['19 \\text{ and }43', '19,43'], ['\\sqrt 5', '\\sqrt{5}'], ['1/2', '\\frac{1}{2}'], ['14 \\pi', '14\\pi'],
    ['7.', '7'], ['12 cm', '12'], ['11,\\! 111,\\! 111,\\! 100', '11111111100'], ['5 inches.', '5'],
  ])('%s -> %s', (raw, normal) => {
    expect(normalizeAnswer(raw)).toBe(normal)
  })

  it('keeps a space that ends a command name, and a variable that only looks like a unit', () => {
    expect(normalizeAnswer('\\pi r^2')).toBe('\\pi r^2')
    expect(normalizeAnswer('2m')).toBe('2m')
  })
})

describe('equivalence', () => {
  it.each([
    ['0.5', '\\frac{1}{2}'], ['\\frac{3}{4}', '0.75'], ['1,000', '1000'], ['2\\sqrt{2}', '\\sqrt{8}'], ['\\frac{1}{\\sqrt{2}}', '\\frac{\\sqrt2}{2}'],
    ['\\frac{\\sqrt{3}}{2}', '\\frac{1}{2}\\sqrt{3}'], ['x^2+2x+1', '(x+1)^2'], ['(x+3)(x-3)', 'x^2-9'], ['2x+3', '3+2x'],
    ['(\\frac{3}{5},\\frac{8}{3}]', '\\left(0.6, \\frac{8}{3}\\right]'], ['\\{1,2\\}', '\\{2,1\\}'], ['4, -2 + 3i, -2 - 3i', '-2-3i, 4, -2+3i'],
    ['\\text{(A)}', 'A'], ['\\text{Monday}', 'monday'], ['50\\%', '0.5'], ['50', '50\\%'], ['y=2x+3', 'y = 3 + 2x'],
    ['\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}', '\\begin{pmatrix}1\\\\-2\\end{pmatrix}'], ['\\frac{1+\\sqrt5}{2}', '\\frac{\\sqrt{5}+1}{2}'],
    ['2+3i', '3i+2'], ['\\infty', '\\infty'], ['\\pi/2', '\\frac{\\pi}{2}'], ['e^{i\\pi}', '-1'],
    ['12345678901234567890', '+12345678901234567890'], ['007', '7'],
  ])('%s == %s', (a, b) => {
    expect(equivalentAnswers(a, b)).toBe(true)
  })

  it.each([
    ['(1,2)', '(2,1)'], ['[1,3)', '[1,3]'], ['(1,3)', '[1,3]'], ['0.333', '\\frac{1}{3}'], ['\\frac{3}{4}', '0.76'], ['x^2+2x+1', '(x-1)^2'],
    ['2\\sqrt{2}', '\\sqrt{6}'], ['1,2', '1,2,3'], ['\\text{(A)}', '\\text{(B)}'], ['-5', '5'], ['15000', '1500'], ['2x+3', '2y+3'],
    ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}2\\\\1\\end{pmatrix}'], ['(-\\infty,0)\\cup(0,\\infty)', '(-\\infty,\\infty)'],
    ['12345678901234567890', '12345678901234567891'], ['-9007199254740993', '-9007199254740992'],
    ['x^{999999999}', 'x^{999999999}+1'], ['99999!', '1'],
  ])('%s != %s', (a, b) => {
    expect(equivalentAnswers(a, b)).toBe(false)
  })
})

describe('grading responses against real references', () => {
  it('grades a response against a MATH solution and a GSM8K answer', () => {
    expect(gradeResponse('Therefore the difference is $\\boxed{0.5}$.', mathSolution(2))).toEqual({ answer: '0.5', correct: true })
    expect(gradeResponse('Her investment is worth $\\boxed{15000}$ dollars.', mathSolution(62))).toEqual({ answer: '15000', correct: true })
    expect(gradeResponse('The answer is $\\boxed{(0.6, 8/3]}$', mathSolution(1034)).correct).toBe(true)
    expect(gradeResponse('So the angle is $\\boxed{25}$ degrees.', mathSolution(1675)).correct).toBe(true)
    expect(gradeResponse('The possible values are $\\boxed{-2+3i, -2-3i, 4}$.', mathSolution(2800)).correct).toBe(true)
    expect(gradeResponse('He made 200000 - 130000 = 70000.\n#### 70,000', GSM8K[2].answer)).toEqual({ answer: '70000', correct: true })
    expect(gradeResponse('He made $\\boxed{70000}$', `${GSM8K[2].cot}\n#### ${GSM8K[2].answer}`).correct).toBe(true)
  })

  it('does not match another answer, a perturbed number or a missing one', () => {
    expect(gradeResponse('$\\boxed{\\frac{1}{3}}$', mathSolution(2)).correct).toBe(false)
    expect(gradeResponse('$\\boxed{\\$16,\\!000}$', mathSolution(62)).correct).toBe(false)
    expect(gradeResponse('$\\boxed{[\\frac{3}{5},\\frac{8}{3}]}$', mathSolution(1034)).correct).toBe(false)
    expect(gradeResponse('$\\boxed{\\text{A,C}}$', mathSolution(2226)).correct).toBe(false)
    expect(gradeResponse('I cannot tell.', mathSolution(2))).toEqual({ answer: null, correct: false })
  })

  it('grades every MATH test solution correct against itself and, mostly, wrong against the next one', () => {
    let selfWrong = 0, nextRight = 0
    for (let i = 0; i < MATH.length; i++) {
      if (!gradeResponse(MATH[i].solution, MATH[i].solution).correct) selfWrong++
      const next = MATH[(i + 1) % MATH.length].solution
      if (gradeResponse(MATH[i].solution, next).correct && normalizeAnswer(lastBoxed(MATH[i].solution)!) !== normalizeAnswer(lastBoxed(next)!)) nextRight++
    }
    expect(selfWrong).toBe(0)
    expect(nextRight).toBeLessThan(10)
  })
})

describe('cases the bench found', () => {
  it('tells large integers and numbers past double range apart', () => {
    expect(equivalentAnswers('28121600', '28121601')).toBe(false)
    expect(equivalentAnswers('3^{2007}', '3^{2008}')).toBe(false)
    expect(equivalentAnswers('3^{2007}', '3^{2007}')).toBe(true)
    expect(equivalentAnswers('2^{2^{100}}', '2^{2^{101}}')).toBe(false)
  })

  it('reads "4e" in an answer as 4 times e, not a float exponent', () => {
    expect(equivalentAnswers('7p+4e', '4e + 7p')).toBe(true)
  })

  it('keeps number bases apart', () => {
    expect(equivalentAnswers('40_9', '40_{10}')).toBe(false)
    expect(equivalentAnswers('1101_4', '1101_{4}')).toBe(true)
  })
})
