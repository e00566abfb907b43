// make k8s-dry-run: the server-side dry-run test alone (kube-apiserver + etcd built by k8s/check/dry-run.sh).
// The default config (vitest.config.ts, make test) leaves this file out: its first build takes tens of minutes.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: { name: 'k8s-dry-run', include: ['test/k8s/dry-run.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 },
})
