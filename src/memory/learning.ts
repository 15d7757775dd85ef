import type { Network } from '../snn/network.js';
import type { Rng } from '../snn/rng.js';
import type { Simulator } from '../snn/simulator.js';
import { DURATION, DURATION_GATE, FEEDBACK, INTERVAL, INTERVAL_GATE, RELATIVE, RELATIVE_LINK, RELATIVE_OFFSET, SEQUENCE, SPATIAL, relativeLinkDelay } from './model.js';
import type { MemoryParams } from './params.js';
import type { SequenceNote } from './types.js';

/**
 * Recruits the chain of one track: goal -> offset counter -> notes (chord order) -> interval counter
 * -> ... Each note gets its own spatial neuron (its context), a duration neuron it gates, and a
 * feedback link to the track's goal neuron. Every note after the first also gets an interval neuron,
 * in the minicolumn of its pitch step from the note before it in the chain, linked to its note
 * (recruited at full strength, like the gates): the chain in relative pitch follows the notes' chain. Returns the number of events (onsets).
 */
export function recruitTrack(net: Network, p: MemoryParams, rng: Rng, goal: number, notes: SequenceNote[]): number {
  let counter = net.addNeuron(INTERVAL, notes[0]!.tick);
  net.addSynapse(goal, counter, p.wGate, p.delayGate, INTERVAL_GATE);
  let events = 0;
  let prevSymbol = -1;
  for (let i = 0; i < notes.length; ) {
    let j = i;
    while (j < notes.length && notes[j]!.tick === notes[i]!.tick) j++;
    let prev = counter;
    for (let k = i; k < j; k++) {
      const note = notes[k]!;
      const n = net.addNeuron(SPATIAL, note.symbol);
      const w = p.wInit + rng.uniform(-p.wInitJitter, p.wInitJitter);
      net.addSynapse(prev, n, w, k === i ? p.delayRelease : p.delayChord, SEQUENCE);
      const d = net.addNeuron(DURATION, note.duration);
      net.addSynapse(n, d, p.wGate, p.delayGate, DURATION_GATE);
      net.addSynapse(n, goal, p.wFeedback, p.delayFeedback, FEEDBACK);
      if (prevSymbol >= 0) {
        const r = net.addNeuron(RELATIVE, note.symbol - prevSymbol + RELATIVE_OFFSET);
        net.addSynapse(r, n, p.wGate, relativeLinkDelay(p, note.symbol), RELATIVE_LINK);
      }
      prevSymbol = note.symbol;
      prev = n;
    }
    events++;
    if (j < notes.length) {
      counter = net.addNeuron(INTERVAL, notes[j]!.tick - notes[i]!.tick);
      net.addSynapse(prev, counter, p.wGate, p.delayGate, INTERVAL_GATE);
    }
    i = j;
  }
  return events;
}

/**
 * The learning episode: pacemaker at one pulse per tick, the heard symbols' columns biased during their
 * tick (teacher), every track's goal neuron started; STDP strengthens the links whose spikes arrive as
 * their targets fire.
 */
export function train(sim: Simulator, p: MemoryParams, pacemaker: readonly number[], goalFirst: number, tracks: SequenceNote[][]): void {
  sim.reset();
  sim.stdp = p.stdp;
  sim.counterMode = 'count';
  sim.gain.fill(1);
  sim.gain[FEEDBACK] = 0;
  sim.coincidenceOnly.fill(0);
  sim.recorder.groups.fill(0);
  const P = p.learnTickNs;
  const start = P;
  sim.startClock({ neurons: pacemaker, startTime: start, segments: [{ fromPulse: 0, periodNs: P }] });
  // heard symbols per tick (all tracks), in time order
  // (one typed array, sorted numerically in place: a piece has thousands of notes)
  let total = 0;
  for (const notes of tracks) total += notes.length;
  const heard = new Float64Array(total);
  let h = 0;
  for (const notes of tracks) for (const n of notes) heard[h++] = n.tick * 2048 + n.symbol;
  heard.sort();
  let pendingOffTime = -1;
  let pendingOff: number[] = [];
  for (let i = 0; i < heard.length; ) {
    const tick = Math.floor(heard[i]! / 2048);
    const centre = start + tick * P;
    const on = centre - P / 2;
    if (pendingOffTime >= 0 && pendingOffTime <= on) {
      for (const c of pendingOff) sim.scheduleBias(pendingOffTime, SPATIAL, c, 0);
      pendingOff = [];
    }
    let last = -1;
    for (; i < heard.length && Math.floor(heard[i]! / 2048) === tick; i++) {
      const c = heard[i]! % 2048;
      if (c === last) continue;
      last = c;
      sim.scheduleBias(on, SPATIAL, c, p.teacherBias);
      pendingOff.push(c);
    }
    pendingOffTime = centre + P / 2;
  }
  for (const c of pendingOff) sim.scheduleBias(pendingOffTime, SPATIAL, c, 0);
  for (let ti = 0; ti < tracks.length; ti++) sim.stimulate(goalFirst + ti, start, p.wDrive);
  sim.run();
  sim.stdp = null;
}
