import { defineConfig } from 'vitest/config'

// One root config; each package is a project so `vitest run --project gateway` etc. work.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'shared', root: './packages/shared', include: ['test/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'gateway', root: './apps/gateway', include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 20_000 } },
      // The panel's plain modules (live model, log ring, formatting); the UI itself is tested in Chromium by e2e.
      { test: { name: 'web', root: './apps/web', include: ['test/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'e2e',
          root: './test',
          include: ['**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Browser and interop tests start real gateways and Chromium: keep them from starving each other on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
})
