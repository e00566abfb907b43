// The tokenizer of a pretraining run: a given tokenizer.json, or one trained (byte-level BPE, digits split)
// on a deterministic sample of the run's own sources and written beside its checkpoints.
import { readFile } from 'node:fs/promises'
import { EOS, SPECIAL_TOKENS, Tokenizer, toTokenizerJson } from '../tokenizer/tokenizer.ts'
import { PieceCounter, trainBpe } from '../tokenizer/train.ts'
import { writeObject } from '../storage/store.ts'
import { arithmeticDocument, parseGeneratedUri } from './arithmetic.ts'
import { expandUris, readTexts, type SourceSpec } from './data.ts'

export async function sampleTexts(specs: readonly SourceSpec[], seed: number, bytesPerSource = 400_000): Promise<string[]> {
  const out: string[] = []
  for (const s of specs) {
    if (!(s.weight > 0)) continue
    let bytes = 0
    const files = await expandUris(s.uris)
    const limits = files[0] === undefined ? null : parseGeneratedUri(files[0])
    if (limits) {
      for (let i = 0; bytes < bytesPerSource; i++) { const t = arithmeticDocument(seed, i, limits); out.push(t); bytes += t.length }
      continue
    }
    for (const f of files) {
      if (bytes >= bytesPerSource) break
      for (const t of await readTexts(f, s.textColumn || 'text')) {
        out.push(t.slice(0, bytesPerSource - bytes))
        bytes += Math.min(t.length, bytesPerSource - bytes)
        if (bytes >= bytesPerSource) break
      }
    }
  }
  return out
}

export interface RunTokenizer { tokenizer: Tokenizer; eosId: number; path: string; trained: boolean }

/** Loads `given`, or the run's tokenizer at `runPath` if an earlier attempt wrote it, or trains one there. */
export async function runTokenizer(given: string | undefined, runPath: string, specs: readonly SourceSpec[], vocabSize: number, seed: number): Promise<RunTokenizer> {
  const load = async (p: string): Promise<Tokenizer | null> => readFile(p, 'utf8').then((t) => Tokenizer.fromString(t), () => null)
  let tok = given ? await load(given) : await load(runPath)
  if (given && !tok) throw new Error(`tokenizer: cannot read ${given}`)
  let trained = false
  if (!tok) {
    const counter = new PieceCounter()
    for (const t of await sampleTexts(specs, seed)) counter.add(t)
    const json = toTokenizerJson(trainBpe(counter.counts, { vocabSize, specialTokens: SPECIAL_TOKENS }), SPECIAL_TOKENS)
    await writeObject(runPath, JSON.stringify(json))
    tok = new Tokenizer(json)
    trained = true
  }
  const eosId = tok.tokenId(EOS)
  if (eosId === undefined) throw new Error(`tokenizer: no ${EOS} token`)
  return { tokenizer: tok, eosId, path: given ?? runPath, trained }
}
