// The classifier used when no --model is given: trained once from the seed kept in the repo
// (sample/seed: PlanetMath + Stack Exchange positives, Common Crawl/news negatives) and cached in models/.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { FastTextModel, trainSupervised, type TrainParams } from './model.ts'
import { classifierText } from './tokenize.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const DEFAULT_MODEL_PATH = `${REPO}models/math-classifier.bin`
const SEED_DIR = `${REPO}sample/seed`
/** The paper's parameters with a smaller hash table, so the demo model is 100 MB rather than 2 GB. */
export const DEFAULT_MODEL_PARAMS: Partial<TrainParams> = { bucket: 100_000 }

function readSeed(name: string): string[] {
  return gunzipSync(readFileSync(`${SEED_DIR}/${name}`)).toString('utf8').split('\n').filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text)
}

/**
 * A few hundred seed documents give too few updates for three epochs, so documents are cut into
 * passages of PASSAGE_TOKENS tokens, each one training example (the paper trained on 500K + 500K pages).
 */
const PASSAGE_TOKENS = 128

function passages(tokens: string): string[] {
  const words = tokens.split(' ')
  const out: string[] = []
  for (let i = 0; i < words.length; i += PASSAGE_TOKENS) out.push(words.slice(i, i + PASSAGE_TOKENS).join(' '))
  return out.filter((p) => p.length > 0)
}

/** Seed examples in fastText format, shuffled deterministically. */
export function seedTrainingLines(): string[] {
  const lines = [
    ...readSeed('positives.jsonl.gz').flatMap((t) => passages(classifierText(t)).map((p) => `__label__math ${p}`)),
    ...readSeed('negatives.jsonl.gz').flatMap((t) => passages(classifierText(t)).map((p) => `__label__other ${p}`)),
  ]
  let s = 12345
  for (let i = lines.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    const j = s % (i + 1)
    ;[lines[i], lines[j]] = [lines[j], lines[i]]
  }
  return lines
}

export async function ensureDefaultModel(log: (msg: string) => void = () => {}): Promise<string> {
  if (existsSync(DEFAULT_MODEL_PATH)) return DEFAULT_MODEL_PATH
  const t0 = Date.now()
  const lines = seedTrainingLines()
  log(`training the default math classifier from sample/seed (${lines.length} examples) ...`)
  const model = await trainSupervised(lines.join('\n') + '\n', DEFAULT_MODEL_PARAMS)
  await model.save(DEFAULT_MODEL_PATH)
  log(`trained in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${DEFAULT_MODEL_PATH}`)
  return DEFAULT_MODEL_PATH
}

export async function loadModel(path: string | undefined, log?: (msg: string) => void): Promise<{ model: FastTextModel; path: string }> {
  const p = path ?? (await ensureDefaultModel(log))
  return { model: await FastTextModel.load(p), path: p }
}
