import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/integration/**', 'test/k8s/dry-run.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000,
          setupFiles: ['test/integration/setup.ts'], fileParallelism: false,
        },
      },
    ],
  },
})
