import { readFileSync } from 'node:fs';

/**
 * Transparent huge pages for the memory. A large memory's arrays (neurons, synapses, run state) span
 * hundreds of MB to GB, and recognition touches a few hundred scattered places in them per query: on
 * 4 KiB pages nearly each of those is a TLB miss whose page walk itself misses the cache, so a query's
 * latency grows with the memory although its work does not. On 2 MiB pages the walks stay cached.
 *
 * Node allocates typed arrays with glibc's malloc, which backs large blocks with huge pages when the
 * process starts with this tunable (glibc >= 2.35; the kernel's THP mode 'madvise' or 'always').
 * It must be in the environment when the process starts. It is an option, not the default: on this
 * project's VM it made a large memory's p95 latency steadier but a first learn of the corpus about
 * 0.3 s slower (each first touch maps 2 MiB), and the memory already prepares its run state
 * (Simulator.prepare), which removed most of what huge pages had won.
 */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** Whether this process was started with the tunable (in GLIBC_TUNABLES, among others). */
export function hugePagesRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.GLIBC_TUNABLES ?? '').split(':').includes(HUGE_PAGES_TUNABLE);
}

/** Resident memory of this process, and how much of it is on huge pages (MB); null where Linux does not say. */
export function residentPages(): { residentMB: number; hugeMB: number } | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps_rollup', 'utf8');
  } catch {
    return null;
  }
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const rss = kB('Rss');
  const huge = kB('AnonHugePages');
  return Number.isFinite(rss) && Number.isFinite(huge) ? { residentMB: rss / 1024, hugeMB: huge / 1024 } : null;
}

/** One line for a log: whether the memory is on huge pages, and how to have it where it is not. */
export function hugePagesReport(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null;
  const pages = residentPages();
  const on = hugePagesRequested(env);
  const held = pages ? `, ${pages.hugeMB.toFixed(0)} of ${pages.residentMB.toFixed(0)} MB resident on them now` : '';
  return on
    ? `memory arrays on transparent huge pages (GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}${held})`
    : `memory arrays on 4 KiB pages (GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE} puts them on huge pages: README, Benchmark)`;
}
