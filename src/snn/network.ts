import { grow, trim } from './growable.js';
import { NeuronParams, validateNeuronParams } from './lif.js';

const EMPTY = new Int32Array(0);

/** A neuron group: neurons sharing one model and parameter set (an area or a cluster). */
export interface GroupSpec {
  name: string;
  params: NeuronParams;
}

/** A projection: a kind of synapse (its plasticity and, at run time, its gain). */
export interface ProjectionSpec {
  name: string;
  /** Whether STDP changes its weights. */
  plastic: boolean;
}

/** The arrays that define a network's structure; what a snapshot stores. */
export interface NetworkArrays {
  neuronGroup: Uint8Array;
  neuronColumn: Int32Array;
  synPost: Int32Array;
  synWeight: Float32Array;
  synDelay: Int32Array;
  synKind: Uint8Array;
}

/**
 * Network structure: neurons and synapses in growable typed arrays, no object per element.
 *
 * Neurons belong to a group and to a minicolumn (an integer label inside the group). Synapses are
 * appended; each neuron's outgoing synapses form a linked list (firstOut/nextOut) so the network can
 * grow while it learns. Column members are kept in one array per minicolumn so a whole minicolumn can be
 * driven at once. Both are derived from the arrays and rebuilt on load.
 */
export class Network {
  readonly groups: readonly GroupSpec[];
  readonly projections: readonly ProjectionSpec[];

  neuronCount = 0;
  synapseCount = 0;

  neuronGroup = new Uint8Array(0);
  neuronColumn = new Int32Array(0);
  firstOut = new Int32Array(0);

  synPost = new Int32Array(0);
  synWeight = new Float32Array(0);
  synDelay = new Int32Array(0);
  synKind = new Uint8Array(0);
  synNext = new Int32Array(0);

  /** Per group, column -> members in recruitment order (contiguous, so a drive streams); keyed by the
   * column alone so the key stays a small integer (a combined key would be a heap number, slow to hash). */
  readonly #columns: Map<number, { members: Int32Array; count: number }>[];

  constructor(groups: GroupSpec[], projections: ProjectionSpec[]) {
    if (groups.length === 0 || groups.length > 255) throw new RangeError(`Network: 1..255 groups needed, got ${groups.length}`);
    if (projections.length === 0 || projections.length > 255) {
      throw new RangeError(`Network: 1..255 projections needed, got ${projections.length}`);
    }
    for (const g of groups) validateNeuronParams(g.name, g.params);
    this.groups = groups.map((g) => ({ name: g.name, params: { ...g.params } }));
    this.#columns = groups.map(() => new Map());
    this.projections = projections.map((p) => ({ ...p }));
  }

  groupIndex(name: string): number {
    const i = this.groups.findIndex((g) => g.name === name);
    if (i < 0) throw new RangeError(`Network: no neuron group named '${name}'`);
    return i;
  }

  projectionIndex(name: string): number {
    const i = this.projections.findIndex((p) => p.name === name);
    if (i < 0) throw new RangeError(`Network: no projection named '${name}'`);
    return i;
  }

  /** Recruits a neuron into `column` of `group`; returns its index. */
  addNeuron(group: number, column: number): number {
    if (!(group >= 0 && group < this.groups.length)) throw new RangeError(`addNeuron: no group ${group}`);
    if (!Number.isInteger(column) || column < 0) throw new RangeError(`addNeuron: column must be a non-negative integer, got ${column}`);
    const n = this.neuronCount++;
    if (n >= this.neuronGroup.length) this.#growNeurons(n + 1);
    this.neuronGroup[n] = group;
    this.neuronColumn[n] = column;
    this.firstOut[n] = -1;
    const columns = this.#columns[group]!;
    let col = columns.get(column);
    if (!col) columns.set(column, (col = { members: new Int32Array(4), count: 0 }));
    if (col.count >= col.members.length) col.members = grow(col.members, col.count + 1);
    col.members[col.count++] = n;
    return n;
  }

  /** Adds a synapse pre -> post; returns its index. `delay` is an integer number of ns (>= 1). */
  addSynapse(pre: number, post: number, weight: number, delay: number, kind: number): number {
    if (!(pre >= 0 && pre < this.neuronCount) || !(post >= 0 && post < this.neuronCount)) {
      throw new RangeError(`addSynapse: neurons ${pre} -> ${post} out of range (0..${this.neuronCount - 1})`);
    }
    if (!Number.isInteger(delay) || delay < 1) throw new RangeError(`addSynapse: delay must be an integer >= 1 ns, got ${delay}`);
    if (!(kind >= 0 && kind < this.projections.length)) throw new RangeError(`addSynapse: no projection ${kind}`);
    const s = this.synapseCount++;
    if (s >= this.synPost.length) this.#growSynapses(s + 1);
    this.synPost[s] = post;
    this.synWeight[s] = weight;
    this.synDelay[s] = delay;
    this.synKind[s] = kind;
    this.synNext[s] = this.firstOut[pre]!;
    this.firstOut[pre] = s;
    return s;
  }

  /** The neurons of a minicolumn, in recruitment order (a view: do not keep it across additions). */
  columnMembers(group: number, column: number): Int32Array {
    const col = this.#columns[group]?.get(column);
    return col ? col.members.subarray(0, col.count) : EMPTY;
  }

  /** The first outgoing synapse of `pre` of projection `kind`, or -1. */
  outOfKind(pre: number, kind: number): number {
    for (let s = this.firstOut[pre]!; s >= 0; s = this.synNext[s]!) if (this.synKind[s] === kind) return s;
    return -1;
  }

  /** Bytes held by the structure arrays (without growth slack). */
  structureBytes(): number {
    return this.neuronCount * (1 + 4 + 4 + 4) + this.synapseCount * (4 + 4 + 4 + 1 + 4);
  }

  /** Exact-length copies of the defining arrays (pre of each synapse is implied by firstOut/synNext). */
  exportArrays(): NetworkArrays & { synPre: Int32Array } {
    const synPre = new Int32Array(this.synapseCount);
    for (let n = 0; n < this.neuronCount; n++) {
      for (let s = this.firstOut[n]!; s >= 0; s = this.synNext[s]!) synPre[s] = n;
    }
    return {
      neuronGroup: trim(this.neuronGroup, this.neuronCount),
      neuronColumn: trim(this.neuronColumn, this.neuronCount),
      synPost: trim(this.synPost, this.synapseCount),
      synWeight: trim(this.synWeight, this.synapseCount),
      synDelay: trim(this.synDelay, this.synapseCount),
      synKind: trim(this.synKind, this.synapseCount),
      synPre,
    };
  }

  /** Rebuilds a network from exported arrays, replaying additions in index order (same lists as before). */
  static fromArrays(groups: GroupSpec[], projections: ProjectionSpec[], a: NetworkArrays & { synPre: Int32Array }): Network {
    const net = new Network(groups, projections);
    const n = a.neuronGroup.length;
    const s = a.synPost.length;
    net.#growNeurons(n);
    net.#growSynapses(s);
    for (let i = 0; i < n; i++) net.addNeuron(a.neuronGroup[i]!, a.neuronColumn[i]!);
    for (let i = 0; i < s; i++) net.addSynapse(a.synPre[i]!, a.synPost[i]!, a.synWeight[i]!, a.synDelay[i]!, a.synKind[i]!);
    return net;
  }

  /**
   * A copy with the neurons renumbered: new neuron i is old neuron order[i]. Synapses are regrouped by
   * their new presynaptic neuron (keeping their order), so a neuron's synapses sit together in memory.
   * Returns the copy and newIndex (old -> new).
   */
  permuted(order: Int32Array): { net: Network; newIndex: Int32Array } {
    const N = this.neuronCount;
    const S = this.synapseCount;
    if (order.length !== N) throw new RangeError(`permuted: order has ${order.length} entries for ${N} neurons`);
    const newIndex = new Int32Array(N).fill(-1);
    for (let i = 0; i < N; i++) {
      const old = order[i]!;
      if (!(old >= 0 && old < N) || newIndex[old] !== -1) throw new RangeError(`permuted: order is not a permutation (at ${i})`);
      newIndex[old] = i;
    }
    const out = new Network(this.groups.map((g) => ({ ...g })), this.projections.map((p) => ({ ...p })));
    out.#growNeurons(N);
    for (let i = 0; i < N; i++) out.addNeuron(this.neuronGroup[order[i]!]!, this.neuronColumn[order[i]!]!);
    // counting sort of synapses by new pre, stable in old index
    const pre = new Int32Array(S);
    for (let n = 0; n < N; n++) for (let s = this.firstOut[n]!; s >= 0; s = this.synNext[s]!) pre[s] = newIndex[n]!;
    const start = new Int32Array(N + 1);
    for (let s = 0; s < S; s++) start[pre[s]! + 1]!++;
    for (let i = 0; i < N; i++) start[i + 1]! += start[i]!;
    const sorted = new Int32Array(S);
    const fill = start.slice(0, N);
    for (let s = 0; s < S; s++) sorted[fill[pre[s]!]!++] = s;
    out.#growSynapses(S);
    for (let i = 0; i < S; i++) {
      const s = sorted[i]!;
      out.addSynapse(pre[s]!, newIndex[this.synPost[s]!]!, this.synWeight[s]!, this.synDelay[s]!, this.synKind[s]!);
    }
    return { net: out, newIndex };
  }

  /**
   * Makes room for `neurons` more neurons and `synapses` more synapses (a learner that knows how much
   * is coming): one allocation each instead of the copies of doubling as the network grows, each of
   * which touches fresh pages and leaves the old arrays to the collector (the same growth: at least
   * the room asked for, at least double when it grows at all). Growing past the room doubles as before.
   */
  reserve(neurons: number, synapses: number): void {
    if (!(Number.isInteger(neurons) && neurons >= 0 && Number.isInteger(synapses) && synapses >= 0)) throw new RangeError('reserve: counts must be non-negative integers');
    this.#growNeurons(this.neuronCount + neurons);
    this.#growSynapses(this.synapseCount + synapses);
  }

  #growNeurons(needed: number): void {
    this.neuronGroup = grow(this.neuronGroup, needed);
    this.neuronColumn = grow(this.neuronColumn, needed);
    this.firstOut = grow(this.firstOut, needed);
  }

  #growSynapses(needed: number): void {
    this.synPost = grow(this.synPost, needed);
    this.synWeight = grow(this.synWeight, needed);
    this.synDelay = grow(this.synDelay, needed);
    this.synKind = grow(this.synKind, needed);
    this.synNext = grow(this.synNext, needed);
  }
}
