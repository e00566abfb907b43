// Rule-checked process rewards: each reasoning step's arithmetic checked exactly. The labels mean what
// Math-Shepherd's hard labels estimate by sampling (can the solution still reach the right answer from here?),
// computed instead of estimated where steps are plain arithmetic, as in the generated problems: a step is good
// while every equation "a op b = c" so far holds, and the last step is good when, besides, the final answer is
// right. A step without an equation keeps the state of the steps before it.

const EQUATION = /(-?\d+(?:\.\d+)?)\s*([-+*/×÷])\s*(-?\d+(?:\.\d+)?)\s*=\s*(-?\d+(?:\.\d+)?)/g

/** Whether every equation "a op b = c" in the text holds (true when there is none). */
export function equationsHold(text: string): boolean {
  for (const m of text.matchAll(EQUATION)) {
    const a = Number(m[1]), b = Number(m[3]), c = Number(m[4])
    const v = m[2] === '+' ? a + b : m[2] === '-' ? a - b : m[2] === '*' || m[2] === '×' ? a * b : b === 0 ? NaN : a / b
    if (!(Math.abs(v - c) <= 1e-9 * Math.max(1, Math.abs(c)))) return false
  }
  return true
}

/**
 * Step rewards (1 good, 0 not) of a solution split into steps, the last one's also needing a right answer.
 * cumulative (default): a step is good while every equation so far holds; otherwise each step is judged on its
 * own equations (for per-step credit, where a right step after a wrong one should still count as right).
 */
export function checkedStepRewards(steps: readonly string[], finalCorrect: boolean, opts: { cumulative?: boolean } = {}): number[] {
  let good = true
  return steps.map((s, j) => {
    good = (opts.cumulative === false || good) && equationsHold(s)
    return Number(good && (j < steps.length - 1 || finalCorrect))
  })
}
