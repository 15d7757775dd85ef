import type { NeuronParams } from '../snn/lif.js';
import type { MemoryParams } from './params.js';
import type { Sequence } from './types.js';

/** Neuron groups (areas and clusters) of the model. */
export const SPATIAL = 0;
export const DURATION = 1;
export const INTERVAL = 2;
export const GOAL = 3;
export const PACEMAKER = 4;
/** Interval area: minicolumns selective to the pitch step from the previous note (relative pitch). */
export const RELATIVE = 5;
/** Projections. */
export const SEQUENCE = 0;
export const DURATION_GATE = 1;
export const INTERVAL_GATE = 2;
export const FEEDBACK = 3;
/**
 * Interval neuron -> the next interval neuron of its chain (no longer recruited: the interval chain
 * follows the notes' chain; kept so memories saved with it load), and interval neuron -> its note.
 */
export const RELATIVE_SEQUENCE = 4;
export const RELATIVE_LINK = 5;
/** Interval column of a step of s symbols: s + RELATIVE_OFFSET (steps of -1023..1023). */
export const RELATIVE_OFFSET = 1024;
/**
 * Keys (transpositions, in symbols either way) the interval area can tell apart: the MIDI range. A
 * note reached through its interval neuron fires at the phase of its recognition step that says its
 * key: its link's delay grows with its pitch and the heard note arrives earlier the higher it is, so
 * the two meet KEY_PHASE ns later for every symbol the note lies above the heard one (a delay line).
 */
export const KEY_SPAN = 127;
/** ns between two keys' phases within a recognition step. */
export const KEY_PHASE = 3;
/**
 * Keys a fragment is heard in besides its own: up to two octaves either way (as a melody is played an
 * octave or two from where it was learned; further off, chance matches of short fragments outnumber it).
 */
export const KEY_RANGE = 24;

/** Delay of an interval neuron's link to its note of `symbol`: a step of the delay line per symbol (KEY_SPAN). */
export function relativeLinkDelay(p: MemoryParams, symbol: number): number {
  return p.delayGate + KEY_PHASE * Math.min(Math.max(symbol, 0), KEY_SPAN);
}

/** What the memory keeps per title: its goal neurons, its tempo map and descriptive metadata. */
export interface TitleEntry {
  title: string;
  /** First goal neuron; one goal neuron per track, consecutive. */
  goalFirst: number;
  tracks: number;
  trackNames: string[];
  /** Tempo map as parallel arrays (tick, seconds per tick). */
  timingTick: Float64Array;
  timingSpt: Float64Array;
  meta: NonNullable<Sequence['meta']>;
}

/** The neuron groups of a memory's network, in the order of the constants above. */
export function groupSpecs(p: MemoryParams): Array<{ name: string; params: NeuronParams }> {
  const counter = { model: 'counter' as const, tauM: 1, theta: p.pacemakerSize, vReset: 0, tRef: 0 };
  return [
    { name: 'spatial', params: p.spatial },
    { name: 'duration', params: counter },
    { name: 'interval', params: counter },
    { name: 'goal', params: p.goal },
    { name: 'pacemaker', params: p.pacemaker },
    { name: 'relative', params: p.spatial },
  ];
}

/** The projections (synapse kinds), in the order of the constants above. */
export const PROJECTIONS = [
  { name: 'sequence', plastic: true },
  { name: 'duration-gate', plastic: false },
  { name: 'interval-gate', plastic: false },
  { name: 'feedback', plastic: false },
  { name: 'relative-sequence', plastic: false },
  { name: 'relative-link', plastic: false },
];
