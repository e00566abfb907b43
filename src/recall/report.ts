// The recall run's report: report.json (the summary `recall run --json` prints) and report.html with plots
// (SVG, no dependencies).
import { barChartSvg } from '../shard/plot.ts'
import { joinLocation } from '../storage/location.ts'
import { writeObject } from '../storage/store.ts'
import type { IterationReport, RecallResult } from './loop.ts'
import { collectionPath } from './steps.ts'

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

export interface RecallSummary {
  run_id: string
  pages_in_pool: number
  converged: boolean
  seconds: number
  iterations: IterationReport[]
  pages_collected: number
  collection: string
  report: string
}

export async function writeRecallReport(out: string, runId: string, result: RecallResult, seconds: number): Promise<RecallSummary> {
  const summary: RecallSummary = {
    run_id: runId, pages_in_pool: result.pool, converged: result.converged, seconds, iterations: result.iterations,
    pages_collected: result.iterations.at(-1)?.pages_collected ?? 0,
    collection: collectionPath(out, result.finalIteration), report: joinLocation(out, 'report.html'),
  }
  await writeObject(joinLocation(out, 'report.json'), JSON.stringify(summary, null, 2) + '\n')
  await writeObject(summary.report, reportHtml(runId, result.iterations))
  return summary
}

export function reportHtml(runId: string, iterations: IterationReport[]): string {
  const its = iterations.map((i) => `#${i.iteration}`)
  const charts = [
    barChartSvg('pages collected per iteration', its, iterations.map((i) => i.pages_collected), 'iteration', 'pages'),
    barChartSvg('tokens collected per iteration', its, iterations.map((i) => i.tokens_collected), 'iteration', 'tokens'),
    barChartSvg('seed size (positives) per iteration', its, iterations.map((i) => i.seed_positives), 'iteration', 'documents'),
    barChartSvg('overlap with the previous iteration (%)', its, iterations.map((i) => Math.round((i.overlap_with_previous ?? 0) * 100)), 'iteration', '%'),
    ...(iterations[0]?.recall !== undefined
      ? [barChartSvg('recall (%) against labels', its, iterations.map((i) => Math.round((i.recall ?? 0) * 100)), 'iteration', '%'),
        barChartSvg('precision (%) against labels', its, iterations.map((i) => Math.round((i.precision ?? 0) * 100)), 'iteration', '%')]
      : []),
    ...(iterations.length > 0
      ? [barChartSvg(`top domains by pages collected, iteration ${iterations.length}`, iterations.at(-1)!.top_domains.map((d) => d.domain), iterations.at(-1)!.top_domains.map((d) => d.collected), 'domain', 'pages')]
      : []),
    ...iterations.map((i) => barChartSvg(`math_score histogram, iteration ${i.iteration}`, i.score_histogram.map((_, b) => `${(b / 10).toFixed(1)}`), i.score_histogram, 'math_score', 'pages')),
  ]
  const rows = iterations.map((i) => `<tr><td>${i.iteration}</td><td>${i.seed_positives}</td><td>${i.seed_added}</td><td>${i.pages_collected}</td><td>${i.tokens_collected}</td><td>${i.overlap_with_previous === null ? '-' : i.overlap_with_previous.toFixed(3)}</td><td>${esc(i.domains_to_review.join(', '))}</td><td>${i.recall?.toFixed(3) ?? ''}</td><td>${i.precision?.toFixed(3) ?? ''}</td></tr>`)
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>dsmath recall ${esc(runId)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}svg{margin:8px}</style></head><body>
<h1>Domain-level recall: ${esc(runId)}</h1>
<table><tr><th>iteration</th><th>seed</th><th>seed added</th><th>pages</th><th>tokens</th><th>overlap</th><th>domains reviewed</th><th>recall</th><th>precision</th></tr>${rows.join('')}</table>
<div>${charts.join('\n')}</div></body></html>
`
}
