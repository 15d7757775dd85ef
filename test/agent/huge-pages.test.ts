import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HUGE_PAGES_TUNABLE, hugePagesReport, hugePagesRequested, residentPages } from '../../src/agent/huge-pages.js';

/** The kernel's THP mode ('always', 'madvise', 'never'), or null where there is none. */
function thpMode(): string | null {
  const file = '/sys/kernel/mm/transparent_hugepage/enabled';
  return existsSync(file) ? (/\[(\w+)\]/.exec(readFileSync(file, 'utf8'))?.[1] ?? null) : null;
}

describe('huge pages for the memory', () => {
  it('reads the tunable among others in GLIBC_TUNABLES', () => {
    expect(hugePagesRequested({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })).toBe(true);
    expect(hugePagesRequested({ GLIBC_TUNABLES: `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}` })).toBe(true);
    expect(hugePagesRequested({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toBe(false);
    expect(hugePagesRequested({})).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('says where the memory is and how to move it', () => {
    expect(residentPages()!.residentMB).toBeGreaterThan(0);
    expect(hugePagesReport({})).toMatch(/4 KiB pages \(GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1 puts them on huge pages/);
    expect(hugePagesReport({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })).toMatch(/on transparent huge pages .* MB resident on them now/);
  });

  // what the tunable does to a large typed array, as the memory's are
  it.skipIf(process.platform !== 'linux' || !['madvise', 'always'].includes(thpMode() ?? 'never'))('a typed array of 256 MB lands on huge pages with the tunable, not without it (THP madvise)', () => {
    const probe = `const a = new Float64Array(32e6); a.fill(1); const t = require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8'); process.stdout.write(/AnonHugePages:\\s+(\\d+)/.exec(t)[1]);`;
    const hugeKB = (env: Record<string, string>) => Number(spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, GLIBC_TUNABLES: '', ...env } }).stdout);
    expect(hugeKB({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })).toBeGreaterThan(128 * 1024);
    if (thpMode() === 'madvise') expect(hugeKB({})).toBeLessThan(16 * 1024);
  });
});
