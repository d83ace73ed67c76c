import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `pnpm --filter @socklab/web dev` talks to a gateway started separately on :8080 (REST and the event WebSocket).
export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
})
