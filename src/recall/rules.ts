// Review rules: URL prefixes (host plus path) a reviewer marked as math. `*` may stand for one host label,
// e.g. `*.example.edu/math/`. The YAML file has one list, `math:`.
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { ruleInDomain } from './rule-domain.ts'

export interface ReviewRules { math: string[] }

export async function loadReviewRules(path: string): Promise<ReviewRules> {
  const text = await readFile(path, 'utf8').catch(() => { throw new Error(`--review-rules ${path}: cannot read the file`) })
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw new Error(`--review-rules ${path}: not YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  const math = (doc as { math?: unknown })?.math
  if (!Array.isArray(math) || !math.every((m) => typeof m === 'string' && m.includes('/'))) {
    throw new Error(`--review-rules ${path}: expected 'math:' with a list of host/path prefixes such as math.stackexchange.com/questions/`)
  }
  return { math }
}

/** host + path of a URL, lower-cased host, as rules are written. */
export function hostPath(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname.toLowerCase()}${u.pathname}`
  } catch {
    return ''
  }
}

export function ruleMatches(rule: string, url: string): boolean {
  const target = hostPath(url)
  const slash = rule.indexOf('/')
  const [ruleHost, rulePath] = [rule.slice(0, slash).toLowerCase(), rule.slice(slash)]
  const [host, path] = [target.slice(0, target.indexOf('/')), target.slice(target.indexOf('/'))]
  const a = ruleHost.split('.'), b = host.split('.')
  if (a.length !== b.length || !a.every((label, i) => label === '*' || label === b[i])) return false
  return path.startsWith(rulePath)
}

export function isMathUrl(rules: string[], url: string): boolean {
  return rules.some((r) => ruleMatches(r, url))
}

/** The rules that concern the domains under review: those under one of them (whether or not a URL of the
 * domain's sample matches: the sample is at most 50 pages, and a math path may hold few of the domain's pages). */
export function rulesForDomains(rules: string[], domains: { domain: string }[]): string[] {
  return rules.filter((r) => domains.some((d) => ruleInDomain(r, d.domain)))
}
