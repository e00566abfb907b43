import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { writeObject } from '../storage/store.ts'
import { trainFromFiles, type TrainReport } from '../tokenizer/corpus.ts'
import { SPECIAL_TOKENS, Tokenizer } from '../tokenizer/tokenizer.ts'
import { intFlag, log, parse, required, UsageError } from './args.ts'

const TRAIN_USAGE = `
dsmath tokenizer train --input FILE... --vocab-size N --out tokenizer.json [--min-frequency K] [--json]
Trains a byte-level BPE tokenizer (Hugging Face tokenizer.json) on the corpus: every number character is its
own token (DeepSeek's digit split), the rest is pre-tokenized with GPT-2's regex over UTF-8 bytes (256 base
tokens, so any text encodes). Ids 0-2 are ${SPECIAL_TOKENS.join(' ')}.
  --input FILE...   JSON lines (.jsonl, .jsonl.gz; the "text" field), Parquet shards (the text column) or
                    plain text (one sequence per line); repeat the flag or list several files after it
  --vocab-size N    total vocabulary, special tokens included; training stops earlier only if the text has
                    no pair left to merge (reported)
  --min-frequency K never merge a pair seen fewer than K times (default 0)
  --json            print the training report as JSON on stdout
`

const ENCODE_USAGE = `
dsmath tokenizer encode --tokenizer tokenizer.json
Reads text lines on stdin, writes one JSON array of token ids per line (the newline itself is not encoded).
Special tokens written literally in the text become their id.
`

const DECODE_USAGE = `
dsmath tokenizer decode --tokenizer tokenizer.json [--skip-special] [--json]
Reads JSON arrays of token ids on stdin, one per line, and writes the text of each on its own line
(--json: as a JSON string, so texts holding newlines stay one line).
`

export async function tokenizerTrain(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    input: { type: 'string', multiple: true }, 'vocab-size': { type: 'string' }, out: { type: 'string' },
    'min-frequency': { type: 'string' }, json: { type: 'boolean' },
  }, TRAIN_USAGE)
  const inputs = [...((values.input as unknown as string[] | undefined) ?? []), ...positionals]
  if (inputs.length === 0) throw new UsageError('missing required flag --input')
  const vocabSize = intFlag(values, 'vocab-size', 0, SPECIAL_TOKENS.length + 256)
  if (values['vocab-size'] === undefined) throw new UsageError('missing required flag --vocab-size')
  const out = required(values, 'out')
  const { json, report } = await trainFromFiles(inputs, {
    vocabSize, specialTokens: SPECIAL_TOKENS, minFrequency: intFlag(values, 'min-frequency', 0),
  })
  await writeObject(out, JSON.stringify(json))
  if (report.vocab_size < vocabSize) log(`tokenizer train: the text ran out of pairs to merge at ${report.vocab_size} tokens (asked ${vocabSize})`)
  if (values.json) process.stdout.write(JSON.stringify({ out, ...report }) + '\n')
  else log(summary(report, out))
  return 0
}

function summary(r: TrainReport, out: string): string {
  return `tokenizer train: ${r.sequences} sequences (${(r.bytes / 1e6).toFixed(2)} MB, ${r.distinct_pieces} distinct pre-tokens) ` +
    `-> ${r.vocab_size} tokens, ${r.merges} merges in ${((r.count_ms + r.merge_ms) / 1000).toFixed(2)} s -> ${out}`
}

export async function tokenizerEncode(argv: string[]): Promise<number> {
  const { values } = parse(argv, { tokenizer: { type: 'string' } }, ENCODE_USAGE)
  const tok = await loadTokenizer(required(values, 'tokenizer'))
  await mapStdinLines((line) => JSON.stringify(tok.encode(line)))
  return 0
}

export async function tokenizerDecode(argv: string[]): Promise<number> {
  const { values } = parse(argv, { tokenizer: { type: 'string' }, 'skip-special': { type: 'boolean' }, json: { type: 'boolean' } }, DECODE_USAGE)
  const tok = await loadTokenizer(required(values, 'tokenizer'))
  const skipSpecial = values['skip-special'] === true
  await mapStdinLines((line, n) => {
    const text = tok.decode(parseIds(line, n), { skipSpecial })
    return values.json ? JSON.stringify(text) : text
  })
  return 0
}

async function loadTokenizer(path: string): Promise<Tokenizer> {
  return Tokenizer.fromString(await readFile(path, 'utf8'))
}

function parseIds(line: string, n: number): number[] {
  let ids: unknown
  try {
    ids = JSON.parse(line)
  } catch {
    throw new Error(`stdin line ${n}: not JSON`)
  }
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`stdin line ${n}: not an array of token ids`)
  return ids as number[]
}

/** Writes f(line) for each stdin line, in batches so a large input is not one write per line. */
async function mapStdinLines(f: (line: string, lineNo: number) => string): Promise<void> {
  let batch = '', n = 0
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    batch += f(line, ++n) + '\n'
    if (batch.length > 1 << 16) {
      if (!process.stdout.write(batch)) await new Promise((r) => process.stdout.once('drain', r))
      batch = ''
    }
  }
  process.stdout.write(batch)
}
