import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ruleInDomain } from '../../src/recall/rule-domain.ts'
import { isMathUrl, loadReviewRules, ruleMatches, rulesForDomains } from '../../src/recall/rules.ts'
import { collectionOverlap } from '../../src/recall/steps.ts'

describe('review rules', () => {
  it('match host plus path prefix, with * for one host label', () => {
    expect(ruleMatches('math.stackexchange.com/questions/', 'https://math.stackexchange.com/questions/12/why')).toBe(true)
    expect(ruleMatches('math.stackexchange.com/questions/', 'https://math.stackexchange.com/users/12')).toBe(false)
    expect(ruleMatches('*.example.edu/math/', 'https://www.example.edu/math/calc/1')).toBe(true)
    expect(ruleMatches('*.example.edu/math/', 'https://example.edu/math/calc/1')).toBe(false)
    expect(ruleMatches('*.example.edu/math/', 'https://a.b.example.edu/math/')).toBe(false)
    expect(ruleMatches('Planetmath.org/', 'https://PLANETMATH.org/prime')).toBe(true)
    expect(isMathUrl(['a.org/x/', 'b.org/'], 'https://b.org/anything')).toBe(true)
    expect(isMathUrl(['a.org/x/'], 'not a url')).toBe(false)
  })

  it('load from YAML and name the file when it is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsmath-rules-'))
    await writeFile(join(dir, 'ok.yaml'), 'math:\n  - math.stackexchange.com/questions/\n  - "*.example.edu/math/"\n')
    expect(await loadReviewRules(join(dir, 'ok.yaml'))).toEqual({ math: ['math.stackexchange.com/questions/', '*.example.edu/math/'] })
    await writeFile(join(dir, 'bad.yaml'), 'math: planetmath.org\n')
    await expect(loadReviewRules(join(dir, 'bad.yaml'))).rejects.toThrow(/bad\.yaml: expected 'math:' with a list/)
    await expect(loadReviewRules(join(dir, 'none.yaml'))).rejects.toThrow(/none\.yaml: cannot read/)
  })
})

describe('rules for the domains under review', () => {
  it('keeps the rules under a domain whether or not its URL sample matches them', () => {
    const rules = ['uni.edu/math/', '*.uni.edu/notes/', 'other.org/math/', 'notuni.edu/x/']
    expect(rulesForDomains(rules, [{ domain: 'uni.edu' }])).toEqual(['uni.edu/math/', '*.uni.edu/notes/'])
    expect(ruleInDomain('www.uni.edu/a/', 'uni.edu')).toBe(true)
    expect(ruleInDomain('uni.edu', 'uni.edu')).toBe(false)
  })
})

describe('collection overlap', () => {
  const set = (...xs: string[]): Set<string> => new Set(xs)
  it('is the share of the larger collection the other holds; two empty collections overlap fully', () => {
    expect(collectionOverlap(set('a', 'b', 'c', 'd'), set('a', 'b', 'c'))).toBe(0.75)
    expect(collectionOverlap(set('a'), set('a', 'b', 'c', 'd'))).toBe(0.25) // a collapse is no overlap
    expect(collectionOverlap(set(), set())).toBe(1)
    expect(collectionOverlap(set('a'), set())).toBe(0)
  })
})
