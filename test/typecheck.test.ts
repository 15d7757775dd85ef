import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The tests are TypeScript the build does not compile (vitest strips their types): tsconfig.test.json
 * checks them, with the code they drive and the page's globals (sim/web), so a test that calls an API
 * wrongly or reads a field that is not there fails here instead of passing by accident.
 */
describe('types', () => {
  it('the tests, the code and the page type-check together (tsconfig.test.json)', async () => {
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
    const run = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.test.json'], { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(run.split('\n').filter((l) => l.includes('error TS')).slice(0, 20)).toEqual([]);
  }, 120_000);
});
