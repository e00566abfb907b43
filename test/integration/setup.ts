// Integration tests talk to the real services started by infra/up.sh; their addresses come from .infra/env.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const envFile = fileURLToPath(new URL('../../.infra/env', import.meta.url))
let text: string
try {
  text = readFileSync(envFile, 'utf8')
} catch {
  throw new Error(`${envFile} is missing: start the dev services first (make infra-up), or run make test`)
}
for (const line of text.split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
  if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2]
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
