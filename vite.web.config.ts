import { defineConfig } from 'vite';

// The web app (sim/web) builds into dist/web, which `engram serve` serves.
export default defineConfig({
  root: 'sim/web',
  base: './',
  build: { outDir: '../../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  logLevel: 'warn',
});
