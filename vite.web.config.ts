import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes a .br and a .gz beside every built text file worth compressing, at the strongest settings, so
 * engram serve sends them as they are and never spends the agent's CPU compressing (src/agent/static-files.ts).
 */
function precompress(outDir: string): Plugin {
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
  return {
    name: 'engram-precompress',
    apply: 'build',
    closeBundle() {
      for (const file of walk(outDir)) {
        if (!/\.(html|js|css|json|svg)$/.test(file)) continue;
        const plain = readFileSync(file);
        if (plain.length <= 256) continue;
        writeFileSync(`${file}.br`, brotliCompressSync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length } }));
        writeFileSync(`${file}.gz`, gzipSync(plain, { level: 9 }));
      }
    },
  };
}

const outDir = new URL('./dist/web', import.meta.url).pathname;

// The web app (sim/web) builds into dist/web, which `engram serve` serves.
export default defineConfig({
  root: 'sim/web',
  base: './',
  build: { outDir: '../../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  plugins: [precompress(outDir)],
  logLevel: 'warn',
});
