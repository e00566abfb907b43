// A location is a local path or an s3://bucket/key URI. Every storage call takes one, so the
// pipeline treats local disk and S3 the same way (DataTrove's DataFolder idea).
import { posix } from 'node:path'
import { resolve } from 'node:path'

export type Location =
  | { kind: 'file'; path: string }
  | { kind: 's3'; bucket: string; key: string }

export function parseLocation(uri: string): Location {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice(5)
    const slash = rest.indexOf('/')
    const bucket = slash < 0 ? rest : rest.slice(0, slash)
    if (!bucket) throw new Error(`invalid S3 location '${uri}': no bucket`)
    return { kind: 's3', bucket, key: slash < 0 ? '' : rest.slice(slash + 1) }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://')) {
    throw new Error(`unsupported location '${uri}': use a local path or s3://bucket/key`)
  }
  return { kind: 'file', path: resolve(uri.startsWith('file://') ? uri.slice(7) : uri) }
}

export function formatLocation(loc: Location): string {
  return loc.kind === 's3' ? `s3://${loc.bucket}/${loc.key}` : loc.path
}

/** Joins path parts onto a location (local paths and S3 keys alike use '/'). */
export function joinLocation(base: string, ...parts: string[]): string {
  const loc = parseLocation(base)
  if (loc.kind === 's3') {
    const key = posix.join(loc.key, ...parts).replace(/^\/+/, '')
    return `s3://${loc.bucket}/${key}`
  }
  return posix.join(loc.path, ...parts)
}

export function basename(uri: string): string {
  const loc = parseLocation(uri)
  return posix.basename(loc.kind === 's3' ? loc.key : loc.path)
}
