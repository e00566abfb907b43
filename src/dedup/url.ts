// URL normalisation for URL-level deduplication: two URLs that normalise equally are taken to name the same page.

/** Query parameters that track a visit rather than select content (compared lower-cased), besides any utm_*. */
export const TRACKING_PARAMS: ReadonlySet<string> = new Set([
  // ad click ids
  'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'yclid', 'ysclid', 'twclid', 'ttclid',
  'li_fat_id', 'igshid', 'srsltid', 'rb_clickid', 'zanpid',
  // mail and marketing automation
  'mc_cid', 'mc_eid', 'mkt_tok', '_hsenc', '_hsmi', '__hstc', '__hssc', '__hsfp', 'hsctatrack', 'vero_id',
  'vero_conv', 'oly_anon_id', 'oly_enc_id', 'sr_share', 'ncid', 'cmpid', 's_cid', 'wt_mc', 'trk', 'trkcampaign',
  // analytics and share attribution
  '_ga', '_gl', '_openstat', 'spm', 'scid', 'soc_src', 'soc_trk', 'fb_action_ids', 'fb_action_types', 'fb_ref',
  'fb_source', 'action_object_map', 'action_type_map', 'action_ref_map',
  // referrers and session ids
  'ref', 'ref_src', 'ref_url', 'referrer', 'phpsessid', 'jsessionid', 'sessionid',
])

export function isTrackingParam(name: string): boolean {
  const lower = name.toLowerCase()
  return lower.startsWith('utm_') || TRACKING_PARAMS.has(lower)
}

/**
 * Lower-cased scheme and host with IDN hosts in punycode and no trailing dot, no default port, no fragment, no
 * tracking parameters (see TRACKING_PARAMS), the other parameters sorted by name, then value,
 * duplicate slashes collapsed, no trailing slash except on the root path, percent-escapes upper-cased
 * and `;jsessionid=` path parameters removed. A string `new URL()` cannot parse comes back trimmed, as it was.
 */
export function normalizeUrl(url: string): string {
  const trimmed = url.trim()
  let u: URL
  try {
    u = new URL(trimmed) // lower-cases scheme and host, punycodes IDN hosts, drops the scheme's default port
  } catch {
    return trimmed
  }
  u.hash = ''
  if (u.hostname.endsWith('.')) u.hostname = u.hostname.slice(0, -1)
  u.search = normalizedQuery(u.searchParams)
  u.pathname = normalizedPath(u.pathname)
  return u.href
}

function normalizedQuery(params: URLSearchParams): string {
  const kept = [...params].filter(([name]) => !isTrackingParam(name))
  kept.sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
  return new URLSearchParams(kept).toString()
}

function normalizedPath(path: string): string {
  const p = path
    .replace(/;jsessionid=[^/]*/gi, '')
    .replace(/\/{2,}/g, '/')
    // RFC 3986 6.2.2: escapes in upper case, and unreserved characters (/%7E/ is ~) decoded
    .replace(/%[0-9a-f]{2}/gi, (escape) => {
      const c = String.fromCharCode(parseInt(escape.slice(1), 16))
      return /[A-Za-z0-9\-._~]/.test(c) ? c : escape.toUpperCase()
    })
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p
}
