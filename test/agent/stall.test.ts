import { describe, expect, it } from 'vitest';
import { corpusDir, corpusFiles } from '../bench/corpus.js';
import { stallTest } from '../bench/stall.js';

const corpus = corpusDir();
if (!corpus) console.warn('stall test skipped: the piano-midi corpus (../shared/data/piano-midi/midis) was not found; set ENGRAM_CORPUS to its folder');

describe.skipIf(!corpus)('the agent never stalls a robot (issue 8, acceptance 3)', () => {
  // A one-off delay from outside the agent (another process taking both cores: seen once in ~10 runs
  // right after the browser suites, at 53 ms) is retried; a stall of the agent's own comes back every run.
  it('while sim-left performs a skill, the agent learns 50 corpus files, plays two browser performances and answers 1,000 identify calls; the robot finishes, never stopped, its joint states handled without a 50 ms gap', { timeout: 180_000, retry: 1 }, async () => {
    const r = await stallTest({ threads: 'workers', files: corpusFiles(corpus!).slice(0, 50), identifies: 1000, browserPerformances: 2, skillSeconds: 40 });
    // the load really happened, and all of it while the robot was moving
    expect({ learned: r.learned, identified: r.identified, browserPerformances: r.browserPerformances }).toEqual({ learned: 50, identified: 1000, browserPerformances: 2 });
    expect(r.loadWhilePerforming).toBe(true);
    // the robot finished its skill: no watchdog (the agent's gate or its own) stopped it
    expect(r.performed).toMatchObject({ stopped: false });
    expect('reached' in r.performed && r.performed.reached).toBe('keyframes' in r.performed && r.performed.keyframes);
    expect(r.gateStop).toBeNull();
    expect(r.robotWatchdogStops).toBe(0);
    // joint states arrive every 20 ms: the agent handled each within 50 ms of the one before
    expect(r.gapsMs.length).toBeGreaterThan(1000);
    expect(r.maxMs).toBeLessThan(50);
  });
});
