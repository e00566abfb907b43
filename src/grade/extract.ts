// Final-answer extraction from a model response or a reference solution, in DeepSeekMath's order of preference:
// the last \boxed{} (or \fbox{}), a GSM8K "#### n" line, "The (final) answer is ...", then the last number.

const BOX_COMMANDS = ['\\boxed', '\\fbox']

/** The content of the last \boxed{...} or \fbox{...} (nested braces kept), or null when there is none. */
export function lastBoxed(text: string): string | null {
  const start = Math.max(...BOX_COMMANDS.map((c) => text.lastIndexOf(c)))
  if (start < 0) return null
  const command = BOX_COMMANDS.find((c) => text.startsWith(c, start))!
  let i = start + command.length
  while (text[i] === ' ') i++
  if (text[i] !== '{') return boxedWithoutBraces(text.slice(i))
  const body = balancedGroup(text, i)
  if (body === null) return null
  // DeepSeekMath keeps a '%' written just after the box: \boxed{50}\%.
  const after = text.slice(i + body.length + 2)
  return /^\\?%/.test(after) ? body + '\\%' : body
}

/** `\boxed 5`: the argument runs to the next space or '$'. */
function boxedWithoutBraces(rest: string): string | null {
  const m = /^[^\s$]+/.exec(rest)
  return m ? m[0] : null
}

/** The text between the brace at `open` and its matching close, or null when it is never closed. */
export function balancedGroup(text: string, open: number): string | null {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '\\' && (text[i + 1] === '{' || text[i + 1] === '}')) { i++; continue }
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i)
  }
  return null
}

function gsm8kAnswer(text: string): string | null {
  const at = text.lastIndexOf('####')
  if (at < 0) return null
  const line = text.slice(at + 4).split('\n')[0].trim()
  return line === '' ? null : line
}

function answerIsPhrase(text: string): string | null {
  const phrases = [...text.matchAll(/(?:final answer|the answer) is:?/gi)]
  const last = phrases.at(-1)
  if (!last) return null
  let rest = text.slice(last.index + last[0].length).split('\n')[0].trim()
  const math = /^\$+([^$]+)\$+/.exec(rest) ?? /^\\\(([\s\S]+?)\\\)/.exec(rest)
  if (math) rest = math[1]
  rest = rest.replace(/\.\s*I hope it is correct\.?$/i, '').replace(/[.\s]+$/, '').trim()
  return rest === '' ? null : rest
}

export function lastNumber(text: string): string | null {
  const numbers = text.replace(/(\d),(?=\d{3}\b)/g, '$1').match(/-?\d*\.?\d+/g)
  return numbers ? numbers[numbers.length - 1] : null
}

/** The raw (not yet normalised) final answer of a model response, or null when it has none. */
export function extractAnswer(response: string): string | null {
  return lastBoxed(response) ?? gsm8kAnswer(response) ?? answerIsPhrase(response) ?? lastNumber(response)
}

/**
 * The raw answer of a reference: a whole solution (MATH `solution` with \boxed, GSM8K `... #### 18`) is extracted
 * like a response; a bare answer ("\frac{1}{2}", "18") is taken whole, since its last number could be a denominator.
 */
export function extractReference(reference: string): string | null {
  const marked = lastBoxed(reference) ?? gsm8kAnswer(reference) ?? answerIsPhrase(reference)
  if (marked !== null) return marked
  const whole = reference.trim()
  return whole === '' ? null : whole
}
