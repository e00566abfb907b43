// One graded pair: the response's final answer, normalised, against the reference's.
import { answersEqual } from './equivalent.ts'
import { extractAnswer, extractReference } from './extract.ts'
import { normalizeAnswer } from './normalize.ts'

export interface Grade {
  /** The extracted, normalised answer of the response, or null when it has none. */
  answer: string | null
  correct: boolean
}

export function gradeResponse(response: string, reference: string): Grade {
  const raw = extractAnswer(response)
  const answer = raw === null ? null : normalizeAnswer(raw)
  const rawReference = extractReference(reference)
  if (answer === null || answer === '' || rawReference === null) return { answer, correct: false }
  return { answer, correct: answersEqual(answer, normalizeAnswer(rawReference)) }
}

/** Equivalence of two bare answers (no extraction): what the bench and the reward service compare. */
export function equivalentAnswers(answer: string, reference: string): boolean {
  return answersEqual(normalizeAnswer(answer), normalizeAnswer(reference))
}
