import { Network } from '../snn/network.js';
import { FEEDBACK, GOAL, RELATIVE, RELATIVE_LINK, type TitleEntry } from './model.js';

/** What forgetting a title freed. */
export interface ForgetStats {
  title: string;
  tracks: number;
  /** Neurons reclaimed: the title's goal neurons and every neuron of its chains. */
  neuronsRemoved: number;
  /** Synapses cut: every one leaving or reaching those neurons. */
  synapsesRemoved: number;
}

/**
 * The neurons a title owns: its goal neurons and, from each, every neuron its chain reaches (interval
 * counters, note neurons, duration counters; feedback links back to a goal are not followed), and the
 * interval neurons of those notes. Each note
 * of each learned context recruited neurons of its own (nothing is shared between titles), so these
 * serve this title's chains and no other.
 */
export function titleNeurons(net: Network, entry: TitleEntry): Uint8Array {
  const owned = new Uint8Array(net.neuronCount);
  const queue: number[] = [];
  for (let t = 0; t < entry.tracks; t++) {
    owned[entry.goalFirst + t] = 1;
    queue.push(entry.goalFirst + t);
  }
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q]!;
    for (let s = net.firstOut[n]!; s >= 0; s = net.synNext[s]!) {
      const post = net.synPost[s]!;
      if (net.synKind[s] === FEEDBACK || net.neuronGroup[post] === GOAL || owned[post]) continue;
      owned[post] = 1;
      queue.push(post);
    }
  }
  // the interval area's neurons point at the notes they belong to, not the other way round
  for (let n = 0; n < net.neuronCount; n++) {
    if (net.neuronGroup[n] !== RELATIVE) continue;
    const link = net.outOfKind(n, RELATIVE_LINK);
    if (link >= 0 && owned[net.synPost[link]!]) owned[n] = 1;
  }
  return owned;
}

/**
 * The network without title `index` of `titles`: its neurons reclaimed and every synapse touching them
 * cut. The other neurons keep their order and every other synapse its weight, delay and place in its
 * neuron's list, so every other title's chain is the same network as before, renumbered. The goal
 * cluster's minicolumns are title numbers: the titles after the forgotten one move down by one.
 * Returns the new network and each old neuron's new index (-1: removed).
 */
export function withoutTitle(net: Network, titles: readonly TitleEntry[], index: number): { net: Network; newIndex: Int32Array; stats: ForgetStats } {
  const entry = titles[index]!;
  const owned = titleNeurons(net, entry);
  const a = net.exportArrays();
  const N = net.neuronCount;
  const newIndex = new Int32Array(N).fill(-1);
  let kept = 0;
  for (let n = 0; n < N; n++) if (!owned[n]) newIndex[n] = kept++;
  const neuronGroup = new Uint8Array(kept);
  const neuronColumn = new Int32Array(kept);
  for (let n = 0; n < N; n++) {
    const k = newIndex[n]!;
    if (k < 0) continue;
    const column = a.neuronColumn[n]!;
    neuronGroup[k] = a.neuronGroup[n]!;
    neuronColumn[k] = a.neuronGroup[n] === GOAL && column > index ? column - 1 : column;
  }
  let S = 0;
  for (let s = 0; s < net.synapseCount; s++) if (!owned[a.synPre[s]!] && !owned[a.synPost[s]!]) S++;
  const synPre = new Int32Array(S);
  const synPost = new Int32Array(S);
  const synWeight = new Float32Array(S);
  const synDelay = new Int32Array(S);
  const synKind = new Uint8Array(S);
  // in index order: replayed by fromArrays, each neuron's list keeps its order
  for (let s = 0, k = 0; s < net.synapseCount; s++) {
    if (owned[a.synPre[s]!] || owned[a.synPost[s]!]) continue;
    synPre[k] = newIndex[a.synPre[s]!]!;
    synPost[k] = newIndex[a.synPost[s]!]!;
    synWeight[k] = a.synWeight[s]!;
    synDelay[k] = a.synDelay[s]!;
    synKind[k] = a.synKind[s]!;
    k++;
  }
  const next = Network.fromArrays(
    net.groups.map((g) => ({ ...g })),
    net.projections.map((p) => ({ ...p })),
    { neuronGroup, neuronColumn, synPre, synPost, synWeight, synDelay, synKind },
  );
  return { net: next, newIndex, stats: { title: entry.title, tracks: entry.tracks, neuronsRemoved: N - kept, synapsesRemoved: net.synapseCount - S } };
}
