/**
 * The long run (issue 11): the agent as `engram serve` sets it up (runAgent: memory and physics in
 * worker threads, the embedded broker, two simulated piano arms and the simulated industrial arm over
 * MQTT), in this process, commanded through its HTTP API in a loop: a piece on the piano arms and a
 * taught skill on the industrial arm (at the same time), a new piece learned, a fragment identified.
 * Sampled: RSS, open file descriptors (/proc/self/fd), listeners (the process's, the agent's emitters,
 * the HTTP server's), the memory file and its journal; the event-loop delay (perf_hooks) throughout.
 */
import { readdirSync, rmSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MemoryWorker } from '../../src/agent/memory-service.js';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { encodeMidi } from '../../src/music/midi-writer.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { Rng } from '../../src/snn/rng.js';

export interface LongRunSample {
  /** Seconds since the first sample. */
  t: number;
  rss: number;
  fds: number;
  listeners: number;
  journalBytes: number;
  memoryBytes: number;
  /** Files beside the memory file (snapshot, journal segments, temporary files). */
  files: number;
  notes: number;
  /** The memory worker's compactions so far, and its last compaction error. */
  compactions: number;
  compactionError: string | null;
}

export interface LongRunResult {
  cycles: number;
  performed: number;
  learned: number;
  identified: number;
  failures: number;
  /** Performances refused or ended because a robot's watchdog had stopped it (then resumed, as an operator would). */
  watchdogStops: number;
  /** The first failures' messages (short). */
  failureMessages: string[];
  samples: LongRunSample[];
  start: LongRunSample;
  end: LongRunSample;
  rssGrowthPerHour: number;
  /** Least-squares slope of RSS over the second half of the run, bytes per hour. */
  rssSlopeSecondHalf: number;
  lagP99Ms: number;
  lagMaxMs: number;
  journalLimit: number;
  /** What grows (empty: no growth trend). */
  trend: string[];
}

export interface LongRunOptions {
  minutes: number;
  /** Seconds between samples (default 10, at least 20 samples). */
  sampleSeconds?: number;
  /** The memory's journal limit (default: the agent's own). */
  journalLimit?: number;
  log?: (line: string) => void;
}

/** Everything listening in this process that a leak would grow. */
function listenerCount(agent: RunningAgent): number {
  let n = 0;
  for (const e of process.eventNames()) n += process.listenerCount(e);
  for (const e of agent.http.eventNames()) n += agent.http.listenerCount(e);
  n += agent.core.events.listenerCount('event');
  n += agent.memory.events.listenerCount('error') + agent.memory.events.listenerCount('restarted');
  return n;
}

const slope = (xs: number[], ys: number[]) => {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) (num += (xs[i]! - mx) * (ys[i]! - my)), (den += (xs[i]! - mx) ** 2);
  return den === 0 ? 0 : num / den;
};

export async function longRun(o: LongRunOptions): Promise<LongRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-long-run-'));
  const memoryFile = join(dir, 'memory.engram');
  const agent = await runAgent({ memoryFile, journalLimit: o.journalLimit, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 2, mqttRobots: [], log: () => undefined });
  const rng = new Rng(2026);
  const api = `http://127.0.0.1:${(agent.http.address() as { port: number }).port}/api/command`;
  const failureMessages: string[] = [];
  let failures = 0;
  const post = async (body: Record<string, unknown>): Promise<unknown> => {
    try {
      const res = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { ok: boolean; result?: unknown; error?: string };
      if (!json.ok) throw new Error(json.error);
      return json.result;
    } catch (err) {
      failures++;
      if (failureMessages.length < 5) failureMessages.push(`${String(body.command)}: ${(err as Error).message.slice(0, 200)}`);
      return null;
    }
  };
  const melodies = bundledMelodies();
  const sample = async (t0: number): Promise<LongRunSample> => {
    let journalBytes = 0;
    const names = readdirSync(dir);
    for (const n of names) if (n.startsWith('memory.engram.journal.')) journalBytes += statSync(join(dir, n), { throwIfNoEntry: false })?.size ?? 0;
    const { notes } = await agent.memory.stats();
    const storage = agent.memory instanceof MemoryWorker ? await agent.memory.storage() : null;
    return {
      t: (performance.now() - t0) / 1000,
      rss: process.memoryUsage().rss,
      fds: readdirSync('/proc/self/fd').length,
      listeners: listenerCount(agent),
      journalBytes,
      memoryBytes: statSync(memoryFile).size,
      files: names.length,
      notes,
      compactions: storage?.compactions ?? 0,
      compactionError: storage?.lastError ?? null,
    };
  };
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let cycles = 0;
  let performed = 0;
  let learned = 0;
  let identified = 0;
  let watchdogStops = 0;
  const samples: LongRunSample[] = [];
  try {
    // a skill for the industrial arm: small sweeps of every joint around where it rests
    const q0 = agent.fleet.member('sim-arm').gate.state().positions;
    const skill = Array.from({ length: 151 }, (_, k) => {
      const t = k / 50;
      const fade = Math.min(1, t / 0.8, (3 - t) / 0.8);
      return { time: t, positions: q0.map((q, j) => q + 0.1 * fade * Math.sin((2 * Math.PI * t) / (2 + j))) };
    });
    await post({ command: 'teach', skill: 'long-run sweep', robot: 'sim-arm', samples: skill });
    const cycle = async () => {
      const melody = melodies[cycles % melodies.length]!;
      const notes = melody.sequence.tracks[0]!.notes;
      const at = rng.int(Math.max(1, notes.length - 6));
      const pitches = Array.from({ length: 24 }, () => 48 + rng.int(36));
      const midi = encodeMidi([{ name: 'm', notes: pitches.map((p, i) => ({ pitch: p, tick: i * 240, duration: 240 })) }], 480, [{ tick: 0, secondsPerTick: 0.5 / 480 }]);
      const results = await Promise.all([
        post({ command: 'perform', title: melody.title, robots: ['sim-left', 'sim-right'], seconds: 3 }),
        post({ command: 'perform', title: 'long-run sweep', robots: ['sim-arm'] }),
        post({ command: 'learn', title: `long-run ${cycles}`, midi: Buffer.from(midi).toString('base64') }).then((r) => (r && learned++, r)),
        post({ command: 'identify', notes: notes.slice(at, at + 6).map((n) => ({ symbol: n.symbol })), limit: 3 }).then((r) => (r && identified++, r)),
      ]);
      performed += results.slice(0, 2).filter(Boolean).length;
      // a robot its watchdog stopped (joint states late on a loaded machine) is resumed, as an operator would
      const stopped = agent.fleet.list().filter((r) => r.stopped);
      if (stopped.length > 0) {
        watchdogStops += stopped.length;
        await post({ command: 'resume', robots: stopped.map((r) => r.id) });
      }
      cycles++;
    };
    // warm-up: code compiled, connections and pools made
    for (let i = 0; i < 2; i++) await cycle();
    const t0 = performance.now();
    const every = (o.sampleSeconds ?? Math.min(10, (o.minutes * 60) / 20)) * 1000;
    samples.push(await sample(t0));
    lag.enable();
    let nextSample = t0 + every;
    const end = t0 + o.minutes * 60_000;
    while (performance.now() < end) {
      await cycle();
      if (performance.now() >= nextSample) {
        samples.push(await sample(t0));
        nextSample += every;
        if (o.log && samples.length % 30 === 0) {
          const s = samples.at(-1)!;
          o.log(`  ${(s.t / 60).toFixed(1)} min: RSS ${(s.rss / 1e6).toFixed(0)} MB, fds ${s.fds}, listeners ${s.listeners}, ${cycles} cycles`);
        }
      }
    }
    samples.push(await sample(t0));
    lag.disable();
  } finally {
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const start = samples[0]!;
  const last = samples.at(-1)!;
  const hours = Math.max(1e-9, (last.t - start.t) / 3600);
  const second = samples.slice(Math.floor(samples.length / 2));
  const rssSlopeSecondHalf = slope(second.map((s) => s.t / 3600), second.map((s) => s.rss));
  const journalLimit = o.journalLimit ?? Math.max(1 << 20, last.memoryBytes / 16);
  const trend: string[] = [];
  const firstHalf = samples.slice(0, Math.floor(samples.length / 2));
  const maxOf = (xs: LongRunSample[], k: 'fds' | 'listeners' | 'files') => Math.max(...xs.map((s) => s[k]));
  if (maxOf(second, 'fds') > maxOf(firstHalf, 'fds') + 4) trend.push(`file descriptors ${maxOf(firstHalf, 'fds')} -> ${maxOf(second, 'fds')}`);
  if (last.listeners !== start.listeners) trend.push(`listeners ${start.listeners} -> ${last.listeners}`);
  if (maxOf(second, 'files') > maxOf(firstHalf, 'files') + 1) trend.push(`files beside the memory ${maxOf(firstHalf, 'files')} -> ${maxOf(second, 'files')}`);
  // the journal is folded past its limit: it may exceed it by the last batch's records only
  if (Math.max(...samples.map((s) => s.journalBytes)) > journalLimit + 64 * 1024) trend.push(`journal ${Math.max(...samples.map((s) => s.journalBytes))} bytes past its limit ${journalLimit}`);
  // RSS: the memory grows by what is learned (small pieces: a few MB an hour); more than 50 MB/h over the second half is a leak
  if (rssSlopeSecondHalf > 50e6) trend.push(`RSS ${(rssSlopeSecondHalf / 1e6).toFixed(0)} MB/h over the second half`);
  return {
    cycles, performed, learned, identified, failures, watchdogStops, failureMessages, samples, start, end: last,
    rssGrowthPerHour: (last.rss - start.rss) / hours,
    rssSlopeSecondHalf,
    lagP99Ms: lag.percentile(99) / 1e6,
    lagMaxMs: lag.max / 1e6,
    journalLimit,
    trend,
  };
}
