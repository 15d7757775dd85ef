import { describe, expect, it } from 'vitest';
import { longRun } from '../bench/long-run.js';

// The long run's short variant (npm run bench -- --long-run gives the figures): the agent as engram serve
// sets it up performs on its simulated robots, learns and identifies in a loop; what a leak would grow is
// counted, not timed.
describe('the agent in a loop (long run, short)', () => {
  it('keeps its file descriptors, listeners, files and journal bounded', { timeout: 240_000 }, async () => {
    const r = await longRun({ minutes: 0.5, sampleSeconds: 2, journalLimit: 1000 });
    expect(r.learned).toBeGreaterThan(3);
    expect(r.identified).toBeGreaterThan(3);
    expect(r.performed + r.watchdogStops).toBeGreaterThan(0);
    // the journal was folded into the memory file again and again, and never grew past its limit by more than a batch
    expect(r.end.memoryBytes).toBeGreaterThan(r.start.memoryBytes);
    expect(r.end.compactions - r.start.compactions).toBeGreaterThan(1);
    expect(r.samples.map((s) => s.compactionError)).toEqual(r.samples.map(() => null));
    expect(Math.max(...r.samples.map((s) => s.journalBytes))).toBeLessThan(1000 + 64 * 1024);
    // snapshot and at most two journal segments (one being folded), never a temporary file left behind
    expect(Math.max(...r.samples.map((s) => s.files))).toBeLessThanOrEqual(4);
    expect(r.end.files).toBeLessThanOrEqual(3);
    expect(r.end.listeners).toBe(r.start.listeners);
    // counts, not RSS (a half-minute RSS slope is noise)
    expect(r.trend.filter((t) => !t.startsWith('RSS'))).toEqual([]);
  });
});
