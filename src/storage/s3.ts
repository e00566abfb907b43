import { S3Client } from '@aws-sdk/client-s3'

/**
 * One S3 client per process, configured from the environment:
 * DSMATH_S3_ENDPOINT (an S3-compatible server; unset means AWS), AWS_REGION,
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the SDK's usual credential chain).
 */
let client: S3Client | undefined

export function s3Client(): S3Client {
  if (client) return client
  const endpoint = process.env.DSMATH_S3_ENDPOINT
  client = new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // Portable across S3-compatible servers; integrity is checked by our own sha256 in manifests.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: Number(process.env.DSMATH_S3_MAX_ATTEMPTS ?? 5),
  })
  return client
}

export function s3Endpoint(): string {
  return process.env.DSMATH_S3_ENDPOINT ?? 'AWS S3'
}

/** Turns SDK errors (often bare 'UnknownError' or ECONNREFUSED) into one line naming the object. */
export function describeS3Error(err: unknown, what: string): Error {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } }
  const status = e.$metadata?.httpStatusCode
  const reason = e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(e.message))
    ? `S3 endpoint ${s3Endpoint()} is unreachable (connection refused)`
    : `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`
  const out = new Error(`${what}: ${reason}`)
  ;(out as Error & { status?: number; cause?: unknown }).cause = err
  ;(out as Error & { status?: number }).status = status
  return out
}
