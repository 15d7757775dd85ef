import { configDefaults, defineConfig } from 'vitest/config';

/** Timing acceptance tests: they run after every other file, alone, so what they measure is the agent and not the other suites. */
const TIMING = ['test/agent/stall.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'engram', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...TIMING], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'timing', include: TIMING, sequence: { groupOrder: 1 } } },
    ],
  },
});
