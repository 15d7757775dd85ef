import type { Network } from '../snn/network.js';
import { FEEDBACK, GOAL, SPATIAL, type SequenceMemory } from './sequence-memory.js';
import { MemoryInputError } from './validate.js';

/** Bytes per neuron and per synapse in the structure arrays (as Network.structureBytes counts them). */
const NEURON_BYTES = 1 + 4 + 4 + 4;
const SYNAPSE_BYTES = 4 + 4 + 4 + 1 + 4;

/** One area (neuron group) of the network: its neurons, the synapses leaving them, and their bytes. */
export interface AreaAnatomy {
  name: string;
  neurons: number;
  /** Synapses whose presynaptic neuron is in this area. */
  synapses: number;
  bytes: number;
}

/** The network as it is: per area, and per projection (kind of synapse). */
export interface MemoryAnatomy {
  neurons: number;
  synapses: number;
  bytes: number;
  areas: AreaAnatomy[];
  projections: Array<{ name: string; synapses: number }>;
}

/** A neuron of a chain: its index in the network, its area and its minicolumn (a pitch, a duration or interval in ticks). */
export interface ChainNeuron {
  id: number;
  area: string;
  column: number;
}

/** A synapse of a chain, between two of its neurons (indexes into the network, as the spike raster has them). */
export interface ChainSynapse {
  pre: number;
  post: number;
  kind: string;
  weight: number;
}

/** A title's chain as the network holds it: read from its neurons and synapses, never from the score. */
export interface TitleChain {
  title: string;
  track: number;
  tracks: number;
  /** The track's goal neuron: where recall starts. */
  goal: number;
  neurons: ChainNeuron[];
  synapses: ChainSynapse[];
  /** Spatial (note) neurons in the whole chain, and how many of them are given (the first ones). */
  notes: number;
  notesShown: number;
}

/** Neurons, synapses and bytes per area and per projection, counted over the network's arrays. */
export function memoryAnatomy(memory: SequenceMemory): MemoryAnatomy {
  const net = memory.net;
  const areas = net.groups.map((g) => ({ name: g.name, neurons: 0, synapses: 0, bytes: 0 }));
  const projections = net.projections.map((p) => ({ name: p.name, synapses: 0 }));
  for (let n = 0; n < net.neuronCount; n++) {
    const area = areas[net.neuronGroup[n]!]!;
    area.neurons++;
    for (let s = net.firstOut[n]!; s >= 0; s = net.synNext[s]!) {
      area.synapses++;
      projections[net.synKind[s]!]!.synapses++;
    }
  }
  for (const a of areas) a.bytes = a.neurons * NEURON_BYTES + a.synapses * SYNAPSE_BYTES;
  return { neurons: net.neuronCount, synapses: net.synapseCount, bytes: net.structureBytes(), areas, projections };
}

/**
 * One track of a title as the network holds it: from the track's goal neuron along the synapses that
 * leave each neuron (interval gates, sequence links, duration gates; the feedback synapses back to the goal
 * are given but not followed), in the order recall runs through them. Up to `maxNotes` note neurons,
 * with their counters; `notes` says how many the whole chain has.
 */
export function titleChain(memory: SequenceMemory, title: string, options: { track?: number; maxNotes?: number } = {}): TitleChain {
  const entry = memory.entry(title);
  const track = options.track ?? 0;
  if (!Number.isInteger(track) || track < 0 || track >= entry.tracks) throw new MemoryInputError('track', `'${title}' has tracks 0..${entry.tracks - 1}, got ${track}`);
  const maxNotes = options.maxNotes ?? 96;
  const net: Network = memory.net;
  const goal = entry.goalFirst + track;
  const neurons: ChainNeuron[] = [];
  const synapses: ChainSynapse[] = [];
  const seen = new Set<number>([goal]);
  const area = (n: number) => net.groups[net.neuronGroup[n]!]!.name;
  neurons.push({ id: goal, area: area(goal), column: net.neuronColumn[goal]! });
  // breadth first from the goal: the chain is a path with side branches (each note's duration counter)
  const shown = new Set<number>([goal]);
  const queue = [goal];
  let notes = 0;
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q]!;
    for (let s = net.firstOut[n]!; s >= 0; s = net.synNext[s]!) {
      const post = net.synPost[s]!;
      const kind = net.synKind[s]!;
      const synapse = () => synapses.push({ pre: n, post, kind: net.projections[kind]!.name, weight: net.synWeight[s]! });
      if (kind === FEEDBACK || net.neuronGroup[post] === GOAL) {
        if (shown.has(n) && shown.has(post)) synapse();
        continue;
      }
      if (seen.has(post)) continue;
      seen.add(post);
      queue.push(post);
      const isNote = net.neuronGroup[post] === SPATIAL;
      if (isNote) notes++;
      // the first maxNotes notes with their counters; past that, only counted
      if (shown.has(n) && (isNote ? notes <= maxNotes : true)) {
        shown.add(post);
        neurons.push({ id: post, area: area(post), column: net.neuronColumn[post]! });
        synapse();
      }
    }
  }
  const notesShown = Math.min(notes, maxNotes);
  return { title, track, tracks: entry.tracks, goal, neurons, synapses, notes, notesShown };
}
