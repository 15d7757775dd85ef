import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared piano-midi corpus beside the repo (../shared/data/piano-midi), or null if absent. */
export function corpusDir(): string | null {
  const candidates = [
    process.env.ENGRAM_CORPUS,
    resolve(process.cwd(), '../shared/data/piano-midi'),
    resolve(new URL('.', import.meta.url).pathname, '../../../shared/data/piano-midi'),
    resolve(new URL('.', import.meta.url).pathname, '../../../../shared/data/piano-midi'),
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'midis'))) return c;
  return null;
}

/** Every .mid file of the corpus, sorted (deterministic order). */
export function corpusFiles(dir: string): string[] {
  const root = join(dir, 'midis');
  const out: string[] = [];
  for (const d of readdirSync(root).sort()) {
    for (const f of readdirSync(join(root, d)).sort()) if (/\.midi?$/i.test(f)) out.push(join(root, d, f));
  }
  return out;
}
