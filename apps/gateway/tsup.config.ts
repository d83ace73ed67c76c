import { defineConfig } from 'tsup'

// One file to run with `node dist/server.js`; the shared package (TypeScript source) is bundled in.
export default defineConfig({
  entry: ['src/server.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  noExternal: ['@socklab/shared'],
})
