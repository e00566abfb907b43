// Whether a review rule (host/path prefix, `*` for one host label) lies under a registered domain. No imports:
// the recall workflow's review validator uses it too, inside Temporal's deterministic bundle.

export function ruleInDomain(rule: string, domain: string): boolean {
  const slash = rule.indexOf('/')
  if (slash < 0) return false
  let host = rule.slice(0, slash).toLowerCase()
  if (host.startsWith('*.')) host = host.slice(2)
  return host === domain || host.endsWith(`.${domain}`)
}
