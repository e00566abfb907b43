import { decodeParquet } from '../shard/parquet.ts'
import { barChartSvg } from '../shard/plot.ts'
import { shardStats } from '../shard/stats.ts'
import { listObjects, readAll, writeObject } from '../storage/store.ts'
import { log, parse, UsageError } from './args.ts'

const USAGE = `
dsmath shards stats <dir|s3://...> [--plot FILE.svg] [--json]
Reads every .parquet shard under the location and prints rows, words, the math_score histogram and the
top domains; --plot writes the histogram as an SVG bar chart (default <location>/score-histogram.svg
for local directories).
`

export async function shardsStats(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { plot: { type: 'string' }, json: { type: 'boolean' } }, USAGE)
  if (positionals.length !== 1) throw new UsageError('give one directory or s3:// prefix')
  const where = positionals[0]
  const files = (await listObjects(where)).filter((p) => p.endsWith('.parquet') && !p.includes('/_staging/'))
  if (files.length === 0) throw new Error(`${where}: no .parquet shards`)
  const shards = (await Promise.all(files.map(readShardOrWarn))).filter((rows) => rows !== null)
  const unreadable = files.length - shards.length
  if (unreadable) log(`${unreadable} of ${files.length} shards could not be read; the stats leave them out (exit 1)`)
  if (shards.length === 0) throw new Error(`${where}: none of the ${files.length} .parquet shards could be read`)
  const stats = shardStats(shards)
  const plot = (values.plot as string | undefined) ?? (where.startsWith('s3://') ? undefined : `${where.replace(/\/$/, '')}/score-histogram.svg`)
  if (plot) {
    await writeObject(plot, barChartSvg(`math_score of ${stats.rows} documents`, stats.score_histogram.map((h) => `${h.from.toFixed(1)}-${h.to.toFixed(1)}`), stats.score_histogram.map((h) => h.count), 'math_score', 'documents'))
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...stats, plot }, null, 2) + '\n')
    return unreadable ? 1 : 0
  }
  const lines = [`${stats.shards} shards, ${stats.rows} rows, ${stats.words} words`, 'math_score histogram:']
  for (const h of stats.score_histogram) lines.push(`  ${h.from.toFixed(1)}-${h.to.toFixed(1)}  ${h.count}`)
  lines.push('top domains (rows, mean score):')
  for (const d of stats.top_domains) lines.push(`  ${d.domain || '(none)'}  ${d.rows}  ${d.mean_score.toFixed(3)}`)
  process.stdout.write(lines.join('\n') + '\n')
  if (plot) log(`wrote ${plot}`)
  return unreadable ? 1 : 0
}

async function readShardOrWarn(path: string): Promise<ReturnType<typeof decodeParquet> | null> {
  try {
    return decodeParquet(await readAll(path))
  } catch (err) {
    log(`${path}: not a readable Parquet shard (${(err as Error).message}); skipped`)
    return null
  }
}
