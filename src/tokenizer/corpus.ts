// Training text from the corpus formats dsmath writes: JSON lines (optionally gzipped) or Parquet shards go
// through readDocs (their `text` field/column, one document each); any other file is plain text, one sequence
// per line with its newline kept, as Hugging Face's train_from_files reads text.
import { gunzipSync } from 'node:zlib'
import { readDocs } from '../pipeline/docio.ts'
import { readAll } from '../storage/store.ts'
import { toTokenizerJson, type TokenizerJson } from './tokenizer.ts'
import { PieceCounter, trainBpe, type TrainOptions } from './train.ts'

const DOC_FILE = /\.(jsonl|json|ndjson)(\.gz)?$|\.parquet$/i

export async function readTrainingTexts(path: string): Promise<string[]> {
  if (DOC_FILE.test(path)) return (await readDocs(path)).map((d) => d.text)
  const raw = await readAll(path)
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

export interface TrainReport { files: number; sequences: number; bytes: number; distinct_pieces: number; vocab_size: number; merges: number; count_ms: number; merge_ms: number }

/** Counts pre-tokens file by file (only the counts stay in memory), then learns the merges. */
export async function trainFromFiles(paths: readonly string[], opts: TrainOptions): Promise<{ json: TokenizerJson; report: TrainReport }> {
  const counter = new PieceCounter()
  let sequences = 0, bytes = 0
  const t0 = performance.now()
  for (const path of paths) {
    for (const text of await readTrainingTexts(path)) {
      counter.add(text)
      sequences++
      bytes += Buffer.byteLength(text)
    }
  }
  const t1 = performance.now()
  const model = trainBpe(counter.counts, opts)
  const report: TrainReport = {
    files: paths.length, sequences, bytes, distinct_pieces: counter.counts.size, vocab_size: model.tokens.length,
    merges: model.merges.length, count_ms: Math.round(t1 - t0), merge_ms: Math.round(performance.now() - t1),
  }
  return { json: toTokenizerJson(model, opts.specialTokens), report }
}
