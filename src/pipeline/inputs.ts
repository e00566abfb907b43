// Resolves --input into a sorted list of WARC locations: a file, a directory, a glob, an s3:// prefix,
// or a Common Crawl listing (warc.paths.gz) whose lines are resolved against --base.
import { glob, stat } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { joinLocation } from '../storage/location.ts'
import { listObjects, readAll } from '../storage/store.ts'

const WARC_NAME = /\.(warc|arc)(\.gz)?$/i
const LISTING = /\.paths(\.gz)?$/i

/** Common Crawl's public bucket: where warc.paths.gz entries live unless --base says otherwise. */
export const COMMON_CRAWL_BASE = 's3://commoncrawl/'

export async function resolveInputs(input: string, base = COMMON_CRAWL_BASE): Promise<string[]> {
  if (LISTING.test(input)) return readListing(input, base)
  if (input.startsWith('s3://')) {
    const objects = await listObjects(input)
    const warcs = objects.filter((k) => WARC_NAME.test(k))
    if (objects.length === 0) throw new Error(`--input ${input}: no objects under this S3 prefix`)
    if (warcs.length === 0) throw new Error(`--input ${input}: none of the ${objects.length} objects is a .warc/.warc.gz file`)
    return warcs
  }
  if (/[*?[]/.test(input)) {
    const matched: string[] = []
    for await (const p of glob(input)) matched.push(String(p))
    if (matched.length === 0) throw new Error(`--input ${input}: the pattern matches no file`)
    const out: string[] = []
    for (const p of matched) if (WARC_NAME.test(p) && (await stat(p).catch(() => null))?.isFile()) out.push(p)
    if (out.length === 0) throw new Error(`--input ${input}: none of the ${matched.length} matches is a .warc/.warc.gz file`)
    return out.sort()
  }
  const st = await stat(input).catch(() => null)
  if (!st) throw new Error(`--input ${input}: no such file or directory`)
  if (st.isFile()) return [input]
  const files = (await listObjects(input)).filter((p) => WARC_NAME.test(p))
  if (files.length === 0) throw new Error(`--input ${input}: the directory holds no .warc/.warc.gz file`)
  return files
}

async function readListing(path: string, base: string): Promise<string[]> {
  const raw = await readAll(path)
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8')
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  if (lines.length === 0) throw new Error(`--input ${path}: the listing is empty`)
  return lines.map((l) => (/^(s3:\/\/|\/)/.test(l) ? l : joinLocation(base, l)))
}
