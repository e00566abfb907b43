// Executes untrusted Python (program-of-thought and tool-integrated model outputs) in a sandbox: its own
// process (own session and process group) running services/sandbox/runner.py, which locks itself down with
// rlimits (memory, CPU, file size, processes), a dropped uid when started as root, a network namespace,
// Landlock (writes only under a fresh scratch directory, reads only of the interpreter's files, no TCP) and
// seccomp (no sockets, no new processes, no exec) before the program runs. This side enforces wall-clock
// time, output size and the scratch directory's total size by SIGKILLing the process group, removes the scratch
// directory, and classifies the
// outcome. See runner.py for exactly what each layer covers; `applied` in the result says which layers this
// kernel actually gave.
import { spawn } from 'node:child_process'
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const RUNNER = join(REPO_ROOT, 'services', 'sandbox', 'runner.py')

export interface SandboxLimits {
  /** Wall-clock limit, enforced here (SIGKILL of the process group). */
  wallMs: number
  /** CPU seconds (RLIMIT_CPU). */
  cpuSec: number
  /** Address space in bytes (RLIMIT_AS); Python itself needs ~30-60 MB, numpy/sympy more. */
  memoryBytes: number
  /** Largest file the program may write (RLIMIT_FSIZE). */
  fileBytes: number
  /** stdout + stderr kept (and what the program writes to the report pipe); more kills the program (status output_limit). */
  outputBytes: number
  /** Bytes the program may leave in its scratch directory, all files together (RLIMIT_FSIZE bounds one file); more kills it (status disk_limit). */
  diskBytes: number
  /** RLIMIT_NPROC (binds for the dropped uid; seccomp refuses new processes anyway). */
  processes: number
}

export const DEFAULT_LIMITS: SandboxLimits = {
  wallMs: 10_000, cpuSec: 5, memoryBytes: 512 << 20, fileBytes: 1 << 20, outputBytes: 64 << 10, diskBytes: 16 << 20, processes: 16,
}

export type SandboxStatus =
  | 'ok' // exited 0
  | 'error' // the program raised or exited non-zero
  | 'timeout' // wall-clock limit: killed here
  | 'cpu_limit' // RLIMIT_CPU: SIGXCPU / SIGKILL from the kernel
  | 'memory_limit' // MemoryError (RLIMIT_AS) or killed for memory
  | 'output_limit' // wrote more than outputBytes: killed here
  | 'disk_limit' // left more than diskBytes in its scratch directory: killed here
  | 'killed' // another signal
  | 'setup_error' // a sandbox layer could not be applied: the program did not run

export interface RefusedAttempt { kind: 'network' | 'process' | 'write_outside_scratch'; event: string; detail: string }

export interface SandboxResult {
  status: SandboxStatus
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  wallMs: number
  /** Layers applied inside the sandbox (rlimits, uid, netns, landlock, seccomp), as the runner reported. */
  applied: Record<string, unknown>
  /** What the program tried that the sandbox refused (seen by an audit hook; the kernel did the refusing). */
  refused: RefusedAttempt[]
  /** The exception type that ended the program, if any. */
  error?: string
  /** The scratch directory the program had (removed by the time the result is returned). */
  scratch: string
}

/** Runs `code` with Python (the repo's .venv unless DSMATH_PYTHON is set) in a fresh scratch directory. */
export async function runSandboxed(code: string, limits: Partial<SandboxLimits> = {}): Promise<SandboxResult> {
  const lim = { ...DEFAULT_LIMITS, ...limits }
  const python = process.env.DSMATH_PYTHON || join(REPO_ROOT, '.venv', 'bin', 'python')
  const scratch = await mkdtemp(join(tmpdir(), 'dsmath-sandbox-'))
  const t0 = performance.now()
  try {
    return await new Promise<SandboxResult>((resolve, reject) => {
      const child = spawn(python, ['-I', '-B', RUNNER, scratch, String(lim.memoryBytes), String(lim.cpuSec), String(lim.fileBytes), String(lim.processes)], {
        cwd: scratch,
        // A scrubbed environment: nothing of the service's (tokens, credentials, paths) reaches the program.
        env: { PATH: '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch, LANG: 'C.UTF-8', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        detached: true, // own session and process group: the kill below takes everything it started
      })
      const out: Buffer[] = [], err: Buffer[] = []
      let outBytes = 0, reportText = ''
      let why: 'timeout' | 'output_limit' | 'disk_limit' | null = null
      const killGroup = (): void => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }
      const timer = setTimeout(() => { why ??= 'timeout'; killGroup() }, lim.wallMs)
      const diskWatch = setInterval(() => {
        void scratchBytes(scratch).then((n) => { if (n > lim.diskBytes && !why) { why = 'disk_limit'; killGroup() } })
      }, DISK_POLL_MS)
      const take = (into: Buffer[]) => (d: Buffer): void => {
        const room = lim.outputBytes - outBytes
        if (room > 0) into.push(d.subarray(0, room))
        outBytes += d.length
        if (outBytes > lim.outputBytes && !why) { why = 'output_limit'; killGroup() }
      }
      child.stdout!.on('data', take(out))
      child.stderr!.on('data', take(err))
      const report = child.stdio[3] as NodeJS.ReadableStream
      // The program can write to the report pipe too: it counts towards the output limit.
      report.on('data', (d: Buffer) => {
        if (reportText.length < 1 << 20) reportText += d.toString()
        outBytes += d.length
        if (outBytes > lim.outputBytes && !why) { why = 'output_limit'; killGroup() }
      })
      report.on('error', () => {})
      child.stdin!.on('error', () => {})
      child.stdin!.end(code)
      child.on('error', (e) => { clearTimeout(timer); clearInterval(diskWatch); reject(e) })
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer)
        clearInterval(diskWatch)
        killGroup() // anything left behind in the group (there should be nothing: no fork)
        const stdout = Buffer.concat(out).toString('utf8'), stderr = Buffer.concat(err).toString('utf8')
        // The first line was written before the program ran: its `applied` is the runner's. The last line may be
        // the program's own, so it only adds detail; the status rests on the exit code and the signal.
        const lines = reportText.trim().split('\n')
        const first = parseReport(lines[0]), rep = parseReport(lines.at(-1))
        let status: SandboxStatus
        if (why) status = why
        else if (exitCode === 70 && (rep.setup_error || /^sandbox: /m.test(stderr))) status = 'setup_error'
        else if (signal === 'SIGXCPU' || (signal === 'SIGKILL' && cpuExhausted(lim, performance.now() - t0))) status = 'cpu_limit'
        else if (exitCode !== 0 && (rep.error === 'MemoryError' || /\bMemoryError\b/.test(stderr.split('\n').slice(-3).join('\n')))) status = 'memory_limit'
        else if (signal) status = 'killed'
        else status = exitCode === 0 ? 'ok' : 'error'
        resolve({
          status, exitCode, signal, stdout, stderr, wallMs: performance.now() - t0, applied: first.applied ?? rep.applied ?? {}, scratch,
          refused: rep.refused ?? [], ...(rep.error ? { error: rep.error } : rep.setup_error ? { error: rep.setup_error } : {}),
        })
      })
    })
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => {})
  }
}

const DISK_POLL_MS = 50

type Report = { applied?: Record<string, unknown>; refused?: RefusedAttempt[]; error?: string; setup_error?: string }

function parseReport(line: string | undefined): Report {
  if (!line) return {}
  try {
    const r = JSON.parse(line) as unknown
    return typeof r === 'object' && r !== null && !Array.isArray(r) ? (r as Report) : {}
  } catch {
    return {} // not the runner's
  }
}

/** Bytes of the files under `dir` (0 once it is gone). */
async function scratchBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await lstat(join(e.parentPath, e.name)).catch(() => null))?.size ?? 0))
  return sizes.reduce((a, b) => a + b, 0)
}

// SIGKILL with no request from here and at least the CPU limit elapsed: the kernel's hard RLIMIT_CPU.
function cpuExhausted(lim: SandboxLimits, elapsedMs: number): boolean {
  return elapsedMs >= lim.cpuSec * 1000
}

/** The Python code of a program-of-thought response: the last ```python fenced block (or the whole text
 * when it has no fence and parses as a program is the caller's call). */
export function extractProgram(text: string): string | null {
  const blocks = [...text.matchAll(/```(?:python|py)?[ \t]*\n([\s\S]*?)```/g)].map((m) => m[1]!)
  return blocks.length ? blocks.at(-1)! : null
}

/** Runs a program-of-thought response: its program's last non-empty stdout line is the answer. */
export async function programOfThoughtAnswer(text: string, limits: Partial<SandboxLimits> = {}): Promise<{ answer: string | null; result: SandboxResult | null }> {
  const prog = extractProgram(text)
  if (prog === null) return { answer: null, result: null }
  const result = await runSandboxed(prog, limits)
  const last = result.status === 'ok' ? result.stdout.trim().split('\n').at(-1)?.trim() : undefined
  return { answer: last ? last : null, result }
}
