import type { Network } from '../snn/network.js';
import type { ClockSegment, Simulator } from '../snn/simulator.js';
import { DURATION, FEEDBACK, GOAL, INTERVAL, SPATIAL, type TitleEntry } from './model.js';
import { longestTickNs, type MemoryParams } from './params.js';
import type { RecalledNote, RecallResult } from './types.js';
import { MemoryInputError } from './validate.js';

/** Pacemaker segments for recall: each tick lasts secondsPerTick / tempo. */
export function clockSegments(e: TitleEntry, tempo: number, p: MemoryParams): ClockSegment[] {
  const segs: ClockSegment[] = [];
  let minPeriod = Infinity;
  for (let i = 0; i < e.timingTick.length; i++) {
    const periodNs = (e.timingSpt[i]! * 1e9) / tempo;
    const last = segs[segs.length - 1];
    if (last && last.periodNs === periodNs) continue;
    if (last && last.fromPulse === e.timingTick[i]) segs.pop();
    segs.push({ fromPulse: e.timingTick[i]!, periodNs });
    minPeriod = Math.min(minPeriod, periodNs);
  }
  const maxPeriod = segs.reduce((m, s) => Math.max(m, s.periodNs), 0);
  if (maxPeriod > longestTickNs(p)) {
    throw new MemoryInputError(
      'tempo',
      `${tempo} is too slow for '${e.title}': a tick would last ${(maxPeriod / 1e6).toFixed(1)} ms, the pacemaker keeps at most ${longestTickNs(p) / 1e6} ms`,
    );
  }
  if (minPeriod < p.minTickNs) {
    throw new MemoryInputError(
      'tempo',
      `${tempo} is too fast for '${e.title}': a tick would last ${(minPeriod / 1000).toFixed(1)} us, the network needs >= ${p.minTickNs / 1000} us`,
    );
  }
  return segs;
}

/** Sets the simulator up for recall: learned gains, counters counting pulses, note spikes recorded. */
export function recallMode(sim: Simulator): void {
  sim.reset();
  sim.stdp = null;
  sim.counterMode = 'count';
  sim.gain.fill(1);
  sim.gain[FEEDBACK] = 0;
  sim.coincidenceOnly.fill(0);
  const rec = sim.recorder.groups;
  rec.fill(0);
  rec[SPATIAL] = rec[DURATION] = rec[INTERVAL] = rec[GOAL] = 1;
}

/** The recorded spikes of the last run: time (s), neuron and group (the pacemaker is not recorded). */
export function raster(sim: Simulator, net: Network): NonNullable<RecallResult['raster']> {
  const rec = sim.recorder;
  const time: number[] = [];
  const neuron: number[] = [];
  const group: number[] = [];
  for (let i = 0; i < rec.count; i++) {
    time.push(rec.time[i]! / 1e9);
    neuron.push(rec.neuron[i]!);
    group.push(net.neuronGroup[rec.neuron[i]!]!);
  }
  // the pacemaker's pulses, thinned to at most ~4000 marks: enough to see its rate at any zoom a view has
  const pulseEvery = Math.max(1, Math.ceil(sim.pulseCount / 4000));
  const pulses: number[] = [];
  for (let k = 0; k <= sim.pulseCount; k += pulseEvery) pulses.push(sim.pulseTime(k)! / 1e9);
  return { time, neuron, group, groups: net.groups.map((g) => g.name), pulses, pulseEvery };
}

/**
 * Reads notes from the recorded spikes. Each spike's cause links it to a root (a goal neuron, or the
 * neuron a continuation starts from); a spatial spike is a note onset at the current pulse count, the
 * spike of the duration neuron it gated is its end.
 */
export function decodeNotes(sim: Simulator, net: Network, roots: Map<number, number>, t0: number): Map<number, RecalledNote[]> {
  const rec = sim.recorder;
  const trackOf = new Map<number, number>(roots);
  const open = new Map<number, RecalledNote>();
  const out = new Map<number, RecalledNote[]>();
  for (let i = 0; i < rec.count; i++) {
    const n = rec.neuron[i]!;
    const g = net.neuronGroup[n]!;
    let track = roots.get(n);
    if (track === undefined) {
      track = trackOf.get(rec.source[i]!);
      if (track === undefined) continue;
      trackOf.set(n, track);
    }
    if (g === SPATIAL) {
      const note: RecalledNote = { symbol: net.neuronColumn[n]!, tick: rec.pulse[i]!, duration: -1, time: (rec.time[i]! - t0) / 1e9, seconds: NaN };
      let list = out.get(track);
      if (!list) out.set(track, (list = []));
      list.push(note);
      open.set(n, note);
    } else if (g === DURATION) {
      const note = open.get(rec.source[i]!);
      if (note) {
        note.duration = rec.pulse[i]! - note.tick;
        note.seconds = (rec.time[i]! - t0) / 1e9 - note.time;
      }
    }
  }
  return out;
}
