// WarcRecord -> ShardRow: the per-record steps (HTTP decoding, HTML detection, extraction, scoring).
import { classifierText } from '../fasttext/tokenize.ts'
import type { FastTextModel } from '../fasttext/model.ts'
import { extractText } from '../extract/html.ts'
import { identifyLanguage, loadLanguageModel } from '../extract/langid.ts'
import { mathPrefilter } from '../extract/prefilter.ts'
import type { ShardRow } from '../shard/schema.ts'
import { DecodeError, decodeText, detectCharset, entityBody, isHtml, parseHttpResponse } from '../warc/http.ts'
import { type WarcRecord, digestMatches, recordId, recordType, targetUri } from '../warc/record.ts'
import { bump, type Counters } from './counters.ts'

export const MATH_LABEL = '__label__math'

export function domainOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '')
  } catch {
    return ''
  }
}

function fetchTime(r: WarcRecord): number | null {
  const t = Date.parse(r.headers.get('WARC-Date') ?? '')
  return Number.isNaN(t) ? null : t
}

/** The models the per-record steps need: the math classifier and the language identifier. */
export interface Models {
  math: FastTextModel
  lid: FastTextModel
}

/** The paper kept English and Chinese pages. */
export const DEFAULT_LANGUAGES = ['en', 'zh']

export async function loadModels(math: FastTextModel): Promise<Models> {
  return { math, lid: await loadLanguageModel() }
}

/**
 * Turns one record into a scored row, or null when it is not a 2xx HTML page (counted in `skipped`) or its
 * language is not wanted (counted in `dropped.language`).
 */
export interface StageOptions {
  /** Languages to keep (lid.176 codes); empty keeps all. */
  languages: string[]
  /** Skip pages the cheap math prefilter rejects (see extract/prefilter.ts). */
  prefilter: boolean
}

export const DEFAULT_STAGE_OPTIONS: StageOptions = { languages: DEFAULT_LANGUAGES, prefilter: false }

export function recordToRow(r: WarcRecord, warcPath: string, models: Models, c: Counters, opts: StageOptions = DEFAULT_STAGE_OPTIONS): ShardRow | null {
  c.records_read++
  if (digestMatches(r.headers.get('WARC-Block-Digest'), r.block) === false) c.digest_mismatches++
  if (recordType(r) !== 'response') { bump(c.skipped, `type_${recordType(r) || 'none'}`); return null }
  c.responses++
  const res = parseHttpResponse(r.block)
  if (!res) { bump(c.skipped, 'not_http'); return null }
  if (res.status < 200 || res.status >= 300) { bump(c.skipped, 'http_status_not_2xx'); return null }
  let body: Buffer
  try {
    body = entityBody(res)
  } catch (err) {
    if (err instanceof DecodeError) { bump(c.skipped, 'content_encoding_error'); return null }
    throw err
  }
  const contentType = res.headers.get('content-type')
  if (!isHtml(contentType, body)) { bump(c.skipped, 'not_html'); return null }
  c.html_pages++
  const charset = detectCharset(body, contentType)
  const html = decodeText(body, charset)
  if (opts.prefilter && !mathPrefilter(html)) { bump(c.dropped, 'prefilter'); return null }
  const { title, text } = extractText(html)
  if (text.length === 0) { bump(c.skipped, 'empty_text'); return null }
  const { lang, score: langScore } = identifyLanguage(models.lid, text)
  if (opts.languages.length > 0 && !opts.languages.includes(lang)) { bump(c.dropped, 'language'); return null }
  const url = targetUri(r)
  const score = models.math.probability(classifierText(text), MATH_LABEL)
  c.docs_written++
  return {
    url, domain: domainOf(url), warc_path: warcPath, warc_record_id: recordId(r), warc_offset: r.offset,
    warc_length: r.length, fetch_time: fetchTime(r), http_status: res.status, charset, title, text, lang, lang_score: langScore,
    math_score: score,
  }
}
