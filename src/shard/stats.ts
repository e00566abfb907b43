import type { ShardRow } from './schema.ts'

/** A text histogram of math_score in ten bins, and the top pages, for run summaries. */
export function scoreReport(rows: ShardRow[], top = 5): string {
  const bins = new Array(10).fill(0) as number[]
  for (const r of rows) bins[Math.min(9, Math.floor(r.math_score * 10))]++
  const max = Math.max(1, ...bins)
  const lines = ['math_score histogram:']
  bins.forEach((n, i) => lines.push(`  ${(i / 10).toFixed(1)}-${((i + 1) / 10).toFixed(1)} ${'#'.repeat(Math.round((n / max) * 40)).padEnd(40)} ${n}`))
  lines.push(`top ${top} pages by math_score:`)
  for (const r of [...rows].sort((a, b) => b.math_score - a.math_score).slice(0, top)) lines.push(`  ${r.math_score.toFixed(3)}  ${r.url}`)
  return lines.join('\n') + '\n'
}
