import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isMathUrl, loadReviewRules, ruleMatches } from '../../src/recall/rules.ts'

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
