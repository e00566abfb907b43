import { describe, expect, it } from 'vitest'
import { FIXTURES, runCli } from './helpers.ts'

describe('dsmath CLI errors', () => {
  it('rejects an unknown flag with one line and exit 2', async () => {
    const r = await runCli(['corpus', 'run', '--inptu', 'x', '--out', 'y'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--inptu/)
  })

  it('names a missing input file', async () => {
    const r = await runCli(['corpus', 'run', '--input', '/no/such/file.warc.gz', '--out', '/tmp/x'])
    expect(r.code).not.toBe(0)
    expect(r.stderr.trim()).toBe('dsmath corpus run: --input /no/such/file.warc.gz: no such file or directory')
  })

  it('names an unreachable Temporal server', async () => {
    const r = await runCli(['corpus', 'submit', '--input', `${FIXTURES}/warc/cc.warc.gz`, '--out', '/tmp/x', '--model', 'none.bin'], { DSMATH_TEMPORAL_ADDRESS: '127.0.0.1:1' })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/Temporal at 127\.0\.0\.1:1 is unreachable/)
  })

  it('extract --jsonl keeps ids and math', async () => {
    const r = await runCli(['extract', '--jsonl'], {}, '{"id":"a","html":"<p>x is <script type=\\"math/tex\\">x^2</script></p>"}\nnot json\n')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim())).toEqual({ id: 'a', text: 'x is $x^2$' })
    expect(r.stderr).toMatch(/line 2 is not JSON/)
  })

  it('warc ls prints one JSON line per record with offsets', async () => {
    const r = await runCli(['warc', 'ls', `${FIXTURES}/warc/example.warc.gz`])
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.type)).toEqual(['warcinfo', 'warcinfo', 'response', 'request', 'revisit', 'request'])
    expect(lines[2].offset).toBeGreaterThan(0)
  })
})
