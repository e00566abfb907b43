import { describe, expect, it } from 'vitest'
import { isTrackingParam, normalizeUrl } from '../../src/dedup/url.ts'

describe('normalizeUrl', () => {
  it.each([
    ['HTTP://Example.COM/a', 'http://example.com/a'],
    ['http://example.com:80/a', 'http://example.com/a'],
    ['https://example.com:443/a', 'https://example.com/a'],
    ['http://example.com:8080/a', 'http://example.com:8080/a'],
    ['https://example.com:80/a', 'https://example.com:80/a'],
    ['https://example.com/a#section-2', 'https://example.com/a'],
    ['https://example.com/a?utm_source=x&UTM_Medium=y&gclid=1&fbclid=2&mc_cid=3&mc_eid=4&ref=hn', 'https://example.com/a'],
    ['https://example.com/a?b=2&utm_campaign=z&a=1', 'https://example.com/a?a=1&b=2'],
    ['https://example.com/a?a=2&a=1', 'https://example.com/a?a=1&a=2'],
    ['https://example.com/a/', 'https://example.com/a'],
    ['https://example.com/', 'https://example.com/'],
    ['https://example.com', 'https://example.com/'],
    ['https://example.com//a///b//', 'https://example.com/a/b'],
    ['https://bücher.example/Straße', 'https://xn--bcher-kva.example/Stra%C3%9Fe'],
    ['https://example.com./a', 'https://example.com/a'],
    ['https://example.com/%7ea', 'https://example.com/~a'], ['https://example.com/%7Euser/%2fx', 'https://example.com/~user/%2Fx'],
    ['https://example.com/a;jsessionid=0A1B?x=1', 'https://example.com/a?x=1'],
    ['  https://example.com/a  ', 'https://example.com/a'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeUrl(input)).toBe(expected)
  })

  it('keeps the path case (paths are case-sensitive)', () => {
    expect(normalizeUrl('https://example.com/Wiki/Euler')).toBe('https://example.com/Wiki/Euler')
  })

  it('returns what new URL() cannot parse trimmed, as it was', () => {
    expect(normalizeUrl('  not a url ')).toBe('not a url')
    expect(normalizeUrl('/relative/Path/')).toBe('/relative/Path/')
    expect(normalizeUrl('')).toBe('')
  })

  it('gives equal keys for the same page reached by different links', () => {
    const variants = [
      'https://Math.Example.org/proof/?utm_source=twitter#comments',
      'https://math.example.org:443/proof?fbclid=abc',
      'https://math.example.org//proof/',
    ]
    expect(new Set(variants.map(normalizeUrl)).size).toBe(1)
  })

  it('tells tracking parameters from content parameters', () => {
    expect(['utm_term', 'gclid', 'MSCLKID', '_hsenc', 'ref'].every(isTrackingParam)).toBe(true)
    expect(['id', 'page', 'q', 'title', 'action'].some(isTrackingParam)).toBe(false)
  })
})
