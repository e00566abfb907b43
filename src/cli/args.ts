import { parseArgs, type ParseArgsConfig } from 'node:util'

/** A user error: printed as one line, exit status 2. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>

export function parse(argv: string[], options: Options, usage: string): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    if (values.help) {
      process.stdout.write(usage.trim() + '\n')
      throw new HelpShown()
    }
    return { values: values as Record<string, string | boolean | undefined>, positionals }
  } catch (err) {
    if (err instanceof HelpShown) throw err
    const [first] = (err as Error).message.split('\n')
    // "argument is ambiguous": a value starting with a dash, such as a negative number
    const hint = /argument is ambiguous/.test(first) ? ` Values starting with a dash go as --flag=VALUE.` : ''
    throw new UsageError(`${first}${hint} (see --help)`)
  }
}

export class HelpShown extends Error {}

export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing required flag --${name}`)
  return v
}

export function intFlag(values: Record<string, unknown>, name: string, fallback: number, min = 0): number {
  const v = values[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${String(v)}'`)
  return n
}

export const log = (msg: string): void => { process.stderr.write(msg + '\n') }
