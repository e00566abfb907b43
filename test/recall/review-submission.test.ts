import { describe, expect, it } from 'vitest'
import { buildSubmission } from '../../src/cli/review.ts'
import type { PendingReview } from '../../workflows/recall-types.ts'

const pending = { iteration: 2, deadline: '', domains: [{ domain: 'planetmath.org' }, { domain: 'uni.edu' }] } as unknown as PendingReview

describe('buildSubmission', () => {
  it('groups paths under their domains, every domain present', () => {
    expect(buildSubmission('r', pending, ['planetmath.org/encyclopedia/', 'www.uni.edu/math/'])).toEqual({
      runId: 'r', iteration: 2, domains: [{ domain: 'planetmath.org', mathPaths: ['planetmath.org/encyclopedia/'] }, { domain: 'uni.edu', mathPaths: ['www.uni.edu/math/'] }],
    })
  })

  it('asks for HOST/PATH when a path has no slash, instead of cutting the host', () => {
    expect(() => buildSubmission('r', pending, ['planetmath.org'])).toThrow("path 'planetmath.org' must be HOST/PATH, such as planetmath.org/ (the whole site) or planetmath.org/math/")
  })
})
