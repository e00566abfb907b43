// Structured logs of the long-running processes (corpus worker, registry, pretrain service): one JSON object
// per line on stderr, {"ts","level","service","msg", ...ids}, with the ids that tie a line to a run: run_id,
// workflow_id, shard_id, job_id, activity attempt. The CLI's human output (progress, summaries) does not use it.
// DSMATH_LOG_LEVEL (debug, info, warn, error; default info) drops the lower levels.

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type Fields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  /** A logger whose lines also carry `fields` (e.g. { run_id, shard_id }). */
  child(fields: Fields): Logger
}

function threshold(): number {
  const v = (process.env.DSMATH_LOG_LEVEL ?? 'info').toLowerCase()
  return ORDER[v as Level] ?? ORDER.info
}

/** Where lines go; tests replace it. */
export let sink: (line: string) => void = (line) => { process.stderr.write(line) }
export function setSink(fn: (line: string) => void): void { sink = fn }

function serialise(value: unknown): unknown {
  if (value instanceof Error) return value.message
  if (typeof value === 'bigint') return value.toString()
  return value
}

export function formatLine(level: Level, bindings: Fields, msg: string, fields?: Fields): string {
  const obj: Fields = { ts: new Date().toISOString(), level, ...bindings, msg }
  if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = serialise(v)
  try {
    return JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v)) + '\n'
  } catch {
    // A field that cannot be serialised (a cycle): keep the line, drop the fields.
    return JSON.stringify({ ts: obj.ts, level, ...bindings, msg, fields_dropped: true }) + '\n'
  }
}

export function createLogger(service: string, bindings: Fields = {}): Logger {
  const base = { service, ...bindings }
  const emit = (level: Level) => (msg: string, fields?: Fields): void => {
    if (ORDER[level] < threshold()) return
    sink(formatLine(level, base, msg, fields))
  }
  return {
    debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'),
    child: (fields) => createLogger(service, { ...bindings, ...fields }),
  }
}
