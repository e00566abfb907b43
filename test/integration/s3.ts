import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { CreateBucketCommand } from '@aws-sdk/client-s3'
import { s3Client } from '../../src/storage/s3.ts'
import { writeObject } from '../../src/storage/store.ts'

export async function freshBucket(prefix: string): Promise<string> {
  const bucket = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`
  await s3Client().send(new CreateBucketCommand({ Bucket: bucket }))
  return bucket
}

export async function upload(files: string[], dest: string): Promise<string[]> {
  const out: string[] = []
  for (const f of files) {
    const uri = `${dest.replace(/\/$/, '')}/${basename(f)}`
    await writeObject(uri, await readFile(f))
    out.push(uri)
  }
  return out
}
