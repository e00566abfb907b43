#!/usr/bin/env node
// Entry point for `npx dsmath`: runs the TypeScript CLI through tsx's loader (no build step).
// Under a Node older than the project's 22 (this machine's Node 20), it re-runs itself with the Node 24
// that `make` installs into .tools/node, when that is there.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const toolsNode = new URL('../.tools/node/bin/node', import.meta.url).pathname
if (Number(process.versions.node.split('.')[0]) < 22 && existsSync(toolsNode)) {
  const r = spawnSync(toolsNode, [new URL(import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
const { register } = await import('tsx/esm/api')
register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
