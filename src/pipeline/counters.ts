/** Per-WARC and per-run counters; every number in a manifest comes from here. */
export interface Counters {
  records_read: number
  responses: number
  html_pages: number
  docs_written: number
  skipped: Record<string, number>
  bad_records: Record<string, number>
  /** HTML pages dropped by a stage: language, dedup_url, dedup_exact, dedup_near, decontam. */
  dropped: Record<string, number>
  digest_mismatches: number
}

export function emptyCounters(): Counters {
  return { records_read: 0, responses: 0, html_pages: 0, docs_written: 0, skipped: {}, bad_records: {}, dropped: {}, digest_mismatches: 0 }
}

export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by
}

export function addCounters(into: Counters, from: Counters): Counters {
  into.records_read += from.records_read
  into.responses += from.responses
  into.html_pages += from.html_pages
  into.docs_written += from.docs_written
  into.digest_mismatches += from.digest_mismatches
  for (const [k, v] of Object.entries(from.skipped)) bump(into.skipped, k, v)
  for (const [k, v] of Object.entries(from.bad_records)) bump(into.bad_records, k, v)
  for (const [k, v] of Object.entries(from.dropped)) bump(into.dropped, k, v)
  return into
}

export function badTotal(c: Counters): number {
  return Object.values(c.bad_records).reduce((a, b) => a + b, 0)
}
