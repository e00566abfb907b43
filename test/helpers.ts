import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../', import.meta.url))
export const FIXTURES = `${REPO}test/fixtures`

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs the real `dsmath` CLI in a child process. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string, inputEncoding: BufferEncoding = 'utf8'): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${REPO}bin/dsmath.js`, ...args], { env: { ...process.env, ...env }, cwd: REPO })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    if (input !== undefined) child.stdin.end(Buffer.from(input, inputEncoding))
    else child.stdin.end()
  })
}

/** Starts the CLI as a long-running child (a worker, a server); resolves once `readyLine` appears on stderr. */
export function startCli(args: string[], readyLine: RegExp, env: Record<string, string> = {}): Promise<ChildProcess & { output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${REPO}bin/dsmath.js`, ...args], { env: { ...process.env, ...env }, cwd: REPO }) as ChildProcess & { output: () => string }
    let out = ''
    child.output = () => out
    const onData = (d: Buffer): void => {
      out += d
      if (readyLine.test(out)) resolve(child)
    }
    child.stderr!.on('data', onData)
    child.stdout!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`dsmath ${args.join(' ')} exited ${code} before ready:\n${out}`)))
  })
}

export function runPython(script: string, args: string[] = []): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${REPO}.venv/bin/python`, ['-c', script, ...args], { env: process.env })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}
