import { createReadStream, fstatSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { gradeResponse } from '../grade/grade.ts'
import { log, parse, UsageError } from './args.ts'

const USAGE = `
dsmath grade --jsonl [FILE]
Rule-based grading of final answers, as DeepSeekMath's evaluation does it. Reads JSON lines
{"id","response","reference"} from FILE (default stdin) and writes {"id","answer","correct"} lines on stdout, in order.
  answer     the response's final answer (last \\boxed{}/\\fbox{}, "#### n", "The answer is ...", else the
             last number), normalised (units, \\text{} wrappers, degrees, dollars, \\dfrac, \\left/\\right,
             thousands separators, x= prefixes); null when the response has none
  correct    equal to the reference's answer as a number, a tuple/interval/set/matrix or an expression
             (Cortex Compute Engine; expressions with unknowns compared at random points)
  reference  a whole solution (its \\boxed{} or "#### n" is used) or a bare answer ("\\frac{1}{2}", "18")
A line that is not such an object is reported on stderr with its line number and skipped; a summary line
on stderr counts them. Exit status 0 unless the input could not be read.
`

const OPTIONS = { jsonl: { type: 'boolean' } } as const

interface Pair { id: unknown; response: string; reference: string }

export async function gradeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, USAGE)
  if (!values.jsonl) throw new UsageError('--jsonl is required (the only input format for now)')
  if (positionals.length > 1) throw new UsageError(`one input file at most, got ${positionals.length}`)
  const source = positionals[0] ?? 'stdin'
  if (positionals[0] === undefined && fstatSync(0).isDirectory()) {
    log('dsmath grade: cannot read stdin: it is a directory')
    return 1
  }
  const input = positionals[0] === undefined ? process.stdin : createReadStream(positionals[0])
  try {
    return await gradeLines(input)
  } catch (err) {
    log(`dsmath grade: cannot read ${source}: ${(err as Error).message}`)
    return 1
  }
}

async function gradeLines(input: Readable): Promise<number> {
  const counts = { lines: 0, graded: 0, correct: 0, bad: 0 }
  let lineNumber = 0
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++
    if (line.trim() === '') continue
    counts.lines++
    const pair = parsePair(line)
    if (typeof pair === 'string') {
      counts.bad++
      log(`dsmath grade: line ${lineNumber}: ${pair} (skipped)`)
      continue
    }
    const { answer, correct } = gradeResponse(pair.response, pair.reference)
    counts.graded++
    if (correct) counts.correct++
    process.stdout.write(JSON.stringify({ id: pair.id, answer, correct }) + '\n')
  }
  log(`grade: ${counts.lines} lines, ${counts.graded} graded, ${counts.correct} correct, ${counts.bad} bad lines skipped`)
  return 0
}

/** The pair on a line, or why the line is not one. */
function parsePair(line: string): Pair | string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    return `not JSON: ${(err as Error).message}`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object'
  const o = value as Record<string, unknown>
  if (!('id' in o)) return 'missing "id"'
  for (const field of ['response', 'reference'] as const) {
    if (typeof o[field] !== 'string') return `"${field}" must be a string`
  }
  return { id: o.id, response: o.response as string, reference: o.reference as string }
}
