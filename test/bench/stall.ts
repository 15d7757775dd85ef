/**
 * The stall load (issue 8, acceptance 3): the agent as `engram serve` runs it (runAgent, ports picked
 * free) drives its simulated arm sim-left through a long skill over MQTT while it learns corpus files,
 * runs browser performances (/api/perform: recall and physics) and answers identify calls. Measured:
 * the gaps between the agent's handling of that robot's joint states (performance.now() at each 'state'
 * event its safety gate hears), and whether any watchdog stopped the robot. With threads 'main' the same
 * work runs on the agent's own thread (the memory in-thread, the physics in-thread): the comparison.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { bundledMelodies } from '../../src/music/notation.js';
import { runAgent } from '../../src/agent/run-agent.js';

export interface StallOptions {
  threads: 'workers' | 'main';
  /** MIDI files the agent learns while the robot moves. */
  files: string[];
  identifies?: number;
  browserPerformances?: number;
  /** Seconds of the skill the robot performs (it must outlast the load; the result says if it did). */
  skillSeconds?: number;
}

export interface StallResult {
  threads: 'workers' | 'main';
  /** Gaps between consecutive joint states handled while the robot performed (or the load ran, if longer), ms, in time order. */
  gapsMs: number[];
  /** That window, performance.now() ms. */
  window: [number, number];
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  /** The skill's answer (perform on sim-left). */
  performed: { stopped: boolean; keyframes: number; reached: number } | { error: string };
  /** Why the agent's safety gate stopped the robot, if it did (its watchdog: "no joint state for 600 ms"). */
  gateStop: string | null;
  /** Stops the simulated robot's own watchdog made (the agent's heartbeats stopped coming). */
  robotWatchdogStops: number;
  /** The load: what was done, and whether all of it happened while the robot was still performing. */
  learned: number;
  identified: number;
  browserPerformances: number;
  loadSeconds: number;
  loadWhilePerforming: boolean;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** A slow demonstration around `q0`: each joint sweeps +-0.15 rad, out of phase, for `seconds`. */
function sweep(q0: number[], seconds: number): Array<{ time: number; positions: number[] }> {
  const samples = [];
  for (let k = 0; k <= seconds * 50; k++) {
    const t = k / 50;
    const fade = Math.min(1, t / 1.5, (seconds - t) / 1.5); // rest at both ends
    samples.push({ time: t, positions: q0.map((q, j) => q + 0.15 * fade * Math.sin((2 * Math.PI * t) / (4 + j))) });
  }
  return samples;
}

/** 6-note fragments from the bundled melodies, as a listener would play them (pitches only). */
function fragments(count: number): Array<Array<{ symbol: number }>> {
  const tracks = bundledMelodies().flatMap((m) => m.sequence.tracks.map((t) => t.notes.map((n) => n.symbol)));
  const out: Array<Array<{ symbol: number }>> = [];
  for (let i = 0; out.length < count; i++) {
    const t = tracks[i % tracks.length]!;
    const at = (i * 7) % Math.max(1, t.length - 6);
    out.push(t.slice(at, at + 6).map((symbol) => ({ symbol })));
  }
  return out;
}

export async function stallTest(o: StallOptions): Promise<StallResult> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-stall-'));
  const agent = await runAgent({ memoryFile: join(dir, 'memory.engram'), threads: o.threads, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 1, mqttRobots: [], log: () => undefined });
  try {
    const core = agent.core;
    const gate = agent.fleet.member('sim-left').gate;
    const sims = agent.simRobots!;
    const addr = agent.http.address() as { port: number };
    const api = `http://127.0.0.1:${addr.port}/api`;
    const run = (command: Record<string, unknown> & { command: string }) => core.run(command, 'stall');
    // each command of the load arrives as its own event, as from a channel (on the agent's own thread the
    // memory answers at once, and a loop of awaits would otherwise never give the event loop a turn)
    const arrive = () => new Promise<void>((resolve) => setImmediate(resolve));

    // what the load sends, made before the robot moves; the HTTP client loaded (Node loads fetch on first use)
    const fragmentList = fragments(o.identifies ?? 1000);
    await (await fetch(`${api}/titles`)).json();

    // a skill long enough to outlast the load, taught from samples around where the arm rests
    const skillSeconds = o.skillSeconds ?? 40;
    await run({ command: 'teach', skill: 'sweep', robot: 'sim-left', samples: sweep(gate.state().positions, skillSeconds) });

    const stamps: number[] = [];
    const offState = gate.events.on('state', () => stamps.push(performance.now()));
    const t0 = performance.now();
    const performing = run({ command: 'perform', title: 'sweep', robots: ['sim-left'] }).then(
      (r) => r as { stopped: boolean; keyframes: number; reached: number },
      (err: Error) => ({ error: err.message }),
    );
    // the load starts once the robot moves
    await new Promise<void>((resolve) => {
      const off = core.events.on('event', (e) => {
        if (e.type === 'performing' && e.title === 'sweep') (off(), resolve());
      });
      void performing.then(() => (off(), resolve()));
    });

    // the load, all at once: learning a folder file by file, browser performances, identify calls
    const learning = (async () => {
      let n = 0;
      for (const file of o.files) {
        const midi = readFileSync(file).toString('base64');
        await arrive();
        await run({ command: 'learn', title: basename(file, extname(file)), midi });
        n++;
      }
      return n;
    })();
    const browser = (async () => {
      const titles = ['Ode to Joy', 'Twinkle, Twinkle, Little Star'];
      let n = 0;
      for (let i = 0; i < (o.browserPerformances ?? 2); i++) {
        const res = await fetch(`${api}/perform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: titles[i % titles.length], tempo: 1, seconds: 60 }) });
        const body = (await res.json()) as { recording?: { frames: unknown[] } };
        if (res.status === 200 && body.recording && body.recording.frames.length > 0) n++;
      }
      return n;
    })();
    const identifying = (async () => {
      const all = fragmentList;
      let n = 0;
      // a few callers at a time, as several users would
      await Promise.all(
        Array.from({ length: 8 }, async (_, c) => {
          for (let i = c; i < all.length; i += 8) {
            await arrive();
            const matches = (await run({ command: 'identify', notes: all[i]!, limit: 3 })) as unknown[];
            if (Array.isArray(matches)) n++;
          }
        }),
      );
      return n;
    })();
    const [learned, browserPerformances, identified] = await Promise.all([learning, browser, identifying]);
    const loadEnd = performance.now();
    const loadWhilePerforming = agent.fleet.list().find((r) => r.id === 'sim-left')?.activity === 'performing sweep';
    const performed = await performing;
    // the whole time the robot performed or the load ran, whichever was longer
    const t1 = Math.max(performance.now(), loadEnd);
    offState();

    const window = stamps.filter((t) => t >= t0 && t <= t1);
    const gapsMs = window.slice(1).map((t, i) => t - window[i]!);
    const sorted = [...gapsMs].sort((a, b) => a - b);
    return {
      threads: o.threads,
      gapsMs,
      window: [t0, t1],
      medianMs: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1] ?? NaN,
      performed,
      gateStop: gate.lastStopReason,
      robotWatchdogStops: await sims.watchdogStops('sim-left'),
      learned,
      identified,
      browserPerformances,
      loadSeconds: (loadEnd - t0) / 1000,
      loadWhilePerforming,
    };
  } finally {
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
