import type { ShardRow } from './schema.ts'

export interface ShardStats {
  shards: number
  rows: number
  /** Whitespace-separated words of `text`, summed. */
  words: number
  score_histogram: { from: number; to: number; count: number }[]
  top_domains: { domain: string; rows: number; mean_score: number }[]
}

export function shardStats(shards: ShardRow[][], topDomains = 10): ShardStats {
  const rows = shards.flat()
  const bins = new Array(10).fill(0) as number[]
  const domains = new Map<string, { rows: number; score: number }>()
  let words = 0
  for (const r of rows) {
    bins[Math.min(9, Math.max(0, Math.floor(r.math_score * 10)))]++
    words += r.text.split(/\s+/).filter(Boolean).length
    const d = domains.get(r.domain) ?? { rows: 0, score: 0 }
    d.rows++
    d.score += r.math_score
    domains.set(r.domain, d)
  }
  return {
    shards: shards.length, rows: rows.length, words,
    score_histogram: bins.map((count, i) => ({ from: i / 10, to: (i + 1) / 10, count })),
    top_domains: [...domains].sort((a, b) => b[1].rows - a[1].rows || a[0].localeCompare(b[0])).slice(0, topDomains)
      .map(([domain, d]) => ({ domain, rows: d.rows, mean_score: d.score / d.rows })),
  }
}

/** A text histogram of math_score in ten bins, and the top pages, for run summaries. */
export function scoreReport(rows: ShardRow[], top = 5): string {
  const hist = shardStats([rows]).score_histogram
  const max = Math.max(1, ...hist.map((h) => h.count))
  const lines = ['math_score histogram:']
  for (const h of hist) lines.push(`  ${h.from.toFixed(1)}-${h.to.toFixed(1)} ${'#'.repeat(Math.round((h.count / max) * 40)).padEnd(40)} ${h.count}`)
  lines.push(`top ${top} pages by math_score:`)
  for (const r of [...rows].sort((a, b) => b.math_score - a.math_score).slice(0, top)) lines.push(`  ${r.math_score.toFixed(3)}  ${r.url}`)
  return lines.join('\n') + '\n'
}
