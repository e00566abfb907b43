// The classifier used when no --model is given: trained once from the seed kept in the repo
// (sample/seed: PlanetMath + Stack Exchange positives, Common Crawl/news negatives) and cached in models/.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { FastTextModel, trainSupervised, type TrainParams } from './model.ts'
import { buildSeedLines } from './seed.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const DEFAULT_MODEL_PATH = `${REPO}models/math-classifier.bin`
const SEED_DIR = `${REPO}sample/seed`
/** The paper's parameters with a smaller hash table, so the demo model is 100 MB rather than 2 GB. */
export const DEFAULT_MODEL_PARAMS: Partial<TrainParams> = { bucket: 100_000 }

export function readSeed(name: string): string[] {
  return gunzipSync(readFileSync(`${SEED_DIR}/${name}`)).toString('utf8').split('\n').filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text)
}

/** Seed examples in fastText format: the repo's seed, unbalanced (all of it), shuffled. */
export function seedTrainingLines(): string[] {
  return buildSeedLines(readSeed('positives.jsonl.gz'), readSeed('negatives.jsonl.gz'), 12345, false).lines
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
