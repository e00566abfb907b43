// Hostile programs in the program-of-thought sandbox: each is stopped or refused, and the result says so.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { extractProgram, programOfThoughtAnswer, runSandboxed } from '../../src/sandbox/sandbox.ts'

const LIM = { wallMs: 20_000, cpuSec: 1, memoryBytes: 256 << 20 } // wall generous: the machine may be loaded

describe('sandbox', () => {
  it('runs a benign program: stdout, writes inside its scratch dir, not root, no inherited secrets', async () => {
    process.env.DSMATH_SANDBOX_TEST_SECRET = 'hunter2'
    try {
      const r = await runSandboxed([
        'import os, math',
        'open("notes.txt", "w").write("scratch ok")',
        'print(open("notes.txt").read())',
        'print(math.comb(10, 3))',
        'print(os.getuid(), "DSMATH_SANDBOX_TEST_SECRET" in os.environ)',
      ].join('\n'), LIM)
      expect(r.status).toBe('ok')
      expect(r.stdout.trim().split('\n')).toEqual(['scratch ok', '120', `${process.getuid?.() === 0 ? 65534 : process.getuid?.()} False`])
      expect(r.applied).toHaveProperty('rlimits')
      expect(r.applied).toHaveProperty('seccomp')
    } finally {
      delete process.env.DSMATH_SANDBOX_TEST_SECRET
    }
  })

  it('an infinite loop is stopped by the CPU limit', async () => {
    // A wall limit far above the CPU limit: on a loaded machine 1 s of CPU can take several seconds.
    const r = await runSandboxed('while True:\n    pass', { ...LIM, wallMs: 60_000 })
    expect(r.status).toBe('cpu_limit')
    expect(r.signal).toMatch(/SIGXCPU|SIGKILL/)
  })

  it('a sleeping program is stopped by the wall-clock limit', async () => {
    const r = await runSandboxed('import time\ntime.sleep(60)', { ...LIM, wallMs: 1500 })
    expect(r.status).toBe('timeout')
    expect(r.signal).toBe('SIGKILL')
  })

  it('a memory bomb is stopped by the memory limit', async () => {
    for (const bomb of ['x = bytearray(1 << 34)', 'a = []\nwhile True:\n    a.append(bytearray(1 << 20))']) {
      const r = await runSandboxed(bomb, LIM)
      expect(r.status, bomb).toBe('memory_limit')
    }
  })

  it('a network connection is refused and reported', async () => {
    const r = await runSandboxed('import socket\ns = socket.create_connection(("1.1.1.1", 80), timeout=2)\nprint("connected")', LIM)
    expect(r.status).toBe('error')
    expect(r.stdout).not.toContain('connected')
    expect(r.stderr).toMatch(/PermissionError|Operation not permitted|Network is unreachable/)
    expect(r.refused.some((x) => x.kind === 'network')).toBe(true)
  })

  it('writing outside the scratch dir is refused and reported; reading the service tree is refused', async () => {
    const target = `${tmpdir()}/dsmath-sandbox-escape-${process.pid}`
    const r = await runSandboxed(`open(${JSON.stringify(target)}, "w").write("pwned")\nprint("wrote")`, LIM)
    expect(r.status).toBe('error')
    expect(r.stderr).toMatch(/PermissionError/)
    expect(existsSync(target)).toBe(false)
    expect(r.refused).toContainEqual(expect.objectContaining({ kind: 'write_outside_scratch', detail: target }))
    const read = await runSandboxed(`print(open(${JSON.stringify(`${process.cwd()}/package.json`)}).read())`, LIM)
    expect(read.status).toBe('error')
    expect(read.stderr).toMatch(/PermissionError/)
  })

  it('a fork bomb gets no process, and subprocess cannot exec', async () => {
    const r = await runSandboxed('import os\nwhile True:\n    os.fork()', LIM)
    expect(r.status).toBe('error')
    expect(r.stderr).toMatch(/PermissionError|BlockingIOError|Resource temporarily unavailable/)
    expect(r.refused.some((x) => x.kind === 'process')).toBe(true)
    // Nothing of that run is left: no process has its scratch directory on its command line.
    const cmdlines = readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map((pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8') } catch { return '' } })
    expect(cmdlines.filter((c) => c.includes(r.scratch))).toEqual([])
    const sub = await runSandboxed('import subprocess\nprint(subprocess.run(["id"], capture_output=True).stdout)', LIM)
    expect(sub.status).toBe('error')
    expect(sub.refused.some((x) => x.kind === 'process')).toBe(true)
  })

  it('many small files past the disk limit are stopped (one file\'s limit alone would not)', async () => {
    const r = await runSandboxed('for i in range(200):\n    open(f"f{i}", "wb").write(b"x" * 200_000)\nimport time\ntime.sleep(5)\nprint("done")', { diskBytes: 4 << 20, wallMs: 8000 })
    expect(r.status).toBe('disk_limit')
    expect(r.stdout).not.toContain('done')
  })

  it('a program writing to the report pipe can neither forge the status nor the layers, nor pass the output limit', async () => {
    const forge = 'import os\nos.write(3, b\'{"applied":{"landlock":"fake"},"error":"MemoryError"}\\n\')\nos._exit(0)'
    const forged = await runSandboxed(forge)
    expect(forged.status).toBe('ok')
    expect(forged.applied.landlock).not.toBe('fake')
    const flood = await runSandboxed('import os\nfor _ in range(100):\n    os.write(3, b"x" * 65536)', { outputBytes: 64 << 10 })
    expect(flood.status).toBe('output_limit')
  })

  it('endless output is cut off', async () => {
    const r = await runSandboxed('while True:\n    print("x" * 1000)', { ...LIM, outputBytes: 10_000 })
    expect(r.status).toBe('output_limit')
    expect(r.stdout.length).toBeLessThanOrEqual(10_000)
  })

  it('program-of-thought: the last ```python block runs, its last printed line is the answer', async () => {
    const text = 'We compute it.\n```python\nx = 12 * 7\nx = x - 5\nprint(x)\n```\nSo the answer follows.'
    expect(extractProgram(text)).toBe('x = 12 * 7\nx = x - 5\nprint(x)\n')
    expect((await programOfThoughtAnswer(text, LIM)).answer).toBe('79')
    expect((await programOfThoughtAnswer('no code here', LIM)).answer).toBeNull()
    expect((await programOfThoughtAnswer('```python\nwhile True: pass\n```', { ...LIM, wallMs: 60_000 })).result?.status).toBe('cpu_limit')
  })
})
