import type { Network } from '../snn/network.js';
import { INTERVAL, INTERVAL_GATE, RELATIVE, RELATIVE_LINK, RELATIVE_OFFSET, SEQUENCE, SPATIAL } from './model.js';

/**
 * Context sub-columns: the neurons of a minicolumn split by what their chain predicts after them (as
 * cells of a cortical minicolumn stand for their column's input in one context). A spatial neuron
 * belongs to the sub-column of (its own note and the three its chain goes on to), and the top note of a
 * chord also to that of (its note and the next three chords' top notes: a melody heard over chords); an
 * interval neuron to the sub-column of (its own interval and the next two). Recognition starts paths by
 * driving the sub-column of the fragment's next notes instead of a whole minicolumn, so starting costs
 * the places that share four notes with the fragment, not every place of its first note: the first
 * step's cost stays flat as the memory grows. The paths then confirm those notes spike by spike.
 *
 * Memberships are derived from the chains (the synapses), so nothing extra is stored in a snapshot;
 * they are hashed into buckets (a collision only adds a start that the next note does not confirm).
 */
/** Notes in a spatial neuron's context (itself included). */
export const NOTE_CONTEXT = 4;
/** Steps in an interval neuron's context (itself included). */
export const STEP_CONTEXT = 3;
/**
 * Notes in a spatial neuron's long contexts: its sub-column membership also carries 8-bit prints of the
 * two and the four notes after its four, so a fragment of six (eight) notes or more starts its first
 * paths only where six (eight) notes agree: the starts a fragment has are its own places, about as
 * few in a memory four times the size as in one.
 */
export const LONG_CONTEXTS = [6, 8] as const;
const [SHORT_LONG, LONGEST] = LONG_CONTEXTS;
/** The print of a membership that takes no part in it (interval neurons). */
const NO_PRINT = 255;
/** The print of a long context the chains do not tell (it branches, or ends): every print matches it. */
const ANY_PRINT = 254;

export class ContextIndex {
  readonly #mask: number;
  /** Bucket b's members are members[start[b] .. start[b + 1]). */
  readonly #start: Int32Array;
  readonly #members: Int32Array;
  /** Each membership's prints of its six- and eight-note contexts (spatial; NO_PRINT elsewhere). */
  readonly #prints6: Uint8Array;
  readonly #prints8: Uint8Array;

  private constructor(mask: number, start: Int32Array, members: Int32Array, prints6: Uint8Array, prints8: Uint8Array) {
    this.#mask = mask;
    this.#start = start;
    this.#members = members;
    this.#prints6 = prints6;
    this.#prints8 = prints8;
  }

  /** Bytes the index holds. */
  get bytes(): number {
    return this.#start.byteLength + this.#members.byteLength + this.#prints6.byteLength + this.#prints8.byteLength;
  }

  /** The print of the notes after a four-note context (two for a six-note context, four for eight). */
  static print(after: readonly number[]): number {
    let x = 0;
    for (const c of after) x = mix(x * 4096 + c) >>> 0;
    return x % ANY_PRINT;
  }

  /** The memberships of every spatial and interval neuron of `net`, read from its chains. */
  static build(net: Network): ContextIndex {
    const N = net.neuronCount;
    // chain predecessor of each spatial neuron (through an interval counter at an event boundary),
    // whether it starts its event, and the chain predecessor of each interval-area neuron
    const pred = new Int32Array(N).fill(-1);
    const firstOfEvent = new Uint8Array(N);
    const hasChordSuccessor = new Uint8Array(N);
    const counterPred = new Int32Array(N).fill(-1);
    const relativeOf = new Int32Array(N).fill(-1);
    const noteOf = new Int32Array(N).fill(-1);
    for (let n = 0; n < N; n++) {
      for (let s = net.firstOut[n]!; s >= 0; s = net.synNext[s]!) {
        const kind = net.synKind[s]!;
        const post = net.synPost[s]!;
        if (kind === INTERVAL_GATE && net.neuronGroup[post] === INTERVAL) counterPred[post] = net.neuronGroup[n] === SPATIAL ? n : -1;
        else if (kind === SEQUENCE && net.neuronGroup[post] === SPATIAL) {
          if (net.neuronGroup[n] === SPATIAL) {
            pred[post] = n;
            hasChordSuccessor[n] = 1;
          } else firstOfEvent[post] = 1;
        } else if (kind === RELATIVE_LINK) {
          relativeOf[post] = n;
          noteOf[n] = post;
        }
      }
    }
    // event-boundary predecessors: counter -> first note; found by scanning the counters' outputs
    const topPred = new Int32Array(N).fill(-1);
    for (let c = 0; c < N; c++) {
      if (net.neuronGroup[c] !== INTERVAL || counterPred[c]! < 0) continue;
      for (let s = net.firstOut[c]!; s >= 0; s = net.synNext[s]!) {
        if (net.synKind[s] === SEQUENCE && net.neuronGroup[net.synPost[s]!] === SPATIAL) pred[net.synPost[s]!] = counterPred[c]!;
      }
    }
    // top of each event: walk each event's chord chain from its first note; the last note is the top
    // and its previous top is the predecessor of the event's first note
    for (let n = 0; n < N; n++) {
      if (!firstOfEvent[n]) continue;
      let top = n;
      while (hasChordSuccessor[top]) {
        let next = -1;
        for (let s = net.firstOut[top]!; s >= 0; s = net.synNext[s]!) if (net.synKind[s] === SEQUENCE && net.neuronGroup[net.synPost[s]!] === SPATIAL) next = net.synPost[s]!;
        if (next < 0) break;
        top = next;
      }
      topPred[top] = pred[n]! >= 0 ? pred[n]! : -1;
    }
    // keys: two passes (count, fill) into power-of-two buckets
    const keys: number[] = [];
    const owners: number[] = [];
    const prints6: number[] = [];
    const prints8: number[] = [];
    const col = net.neuronColumn;
    // chains run forwards from here: the successor of each neuron, and of each chord's top note
    const succ = new Int32Array(N).fill(-1);
    const topSucc = new Int32Array(N).fill(-1);
    for (let n = 0; n < N; n++) {
      if (pred[n]! >= 0) succ[pred[n]!] = n;
      if (topPred[n]! >= 0) topSucc[topPred[n]!] = n;
    }
    // the interval chain follows the note chain: the next interval neuron is that of the next note
    for (let r = 0; r < N; r++) {
      const note = noteOf[r]!;
      if (note >= 0 && succ[note]! >= 0) succ[r] = relativeOf[succ[note]!]!;
    }
    // a neuron's context: itself and the neurons after it along `links`; its key, if complete
    const chain = new Int32Array(Math.max(NOTE_CONTEXT, STEP_CONTEXT));
    const keyAlong = (n: number, links: Int32Array, length: number): number => {
      chain[0] = n;
      for (let i = 1; i < length; i++) {
        const next = links[chain[i - 1]!]!;
        if (next < 0) return -1;
        chain[i] = next;
      }
      let x = 0;
      for (let i = 0; i < length; i++) x = x * 4096 + col[chain[i]!]!;
      return x;
    };
    // how many chain successors each neuron has (a neuron a repeated context shares has several, and
    // `succ` follows one of them)
    const fanOut = new Uint8Array(N);
    const topFanOut = new Uint8Array(N);
    for (let n = 0; n < N; n++) {
      if (pred[n]! >= 0 && fanOut[pred[n]!]! < 255) fanOut[pred[n]!]!++;
      if (topPred[n]! >= 0 && topFanOut[topPred[n]!]! < 255) topFanOut[topPred[n]!]!++;
    }
    // the print of the notes after a neuron's four along `links` up to `length`, where the chain is one path
    const after: number[] = [];
    const printAlong = (n: number, links: Int32Array, fanOut: Uint8Array, length: number): number => {
      after.length = 0;
      let x = n;
      for (let i = 1; i < length; i++) {
        if (fanOut[x]! > 1) return ANY_PRINT;
        x = links[x]!;
        if (x < 0) return ANY_PRINT;
        if (i >= NOTE_CONTEXT) after.push(col[x]!);
      }
      return ContextIndex.print(after);
    };
    const push = (key: number, owner: number, links: Int32Array | null, fan: Uint8Array) => {
      keys.push(key);
      owners.push(owner);
      prints6.push(links ? printAlong(owner, links, fan, SHORT_LONG) : NO_PRINT);
      prints8.push(links ? printAlong(owner, links, fan, LONGEST) : NO_PRINT);
    };
    for (let n = 0; n < N; n++) {
      const g = net.neuronGroup[n];
      if (g === SPATIAL) {
        const own = keyAlong(n, succ, NOTE_CONTEXT);
        if (own >= 0) push(ContextIndex.key(SPATIAL, own), n, succ, fanOut);
        // (the melody over chords may share its first four notes with the chain and part after them)
        const top = keyAlong(n, topSucc, NOTE_CONTEXT);
        if (top >= 0 && (top !== own || printAlong(n, topSucc, topFanOut, LONGEST) !== printAlong(n, succ, fanOut, LONGEST))) push(ContextIndex.key(SPATIAL, top), n, topSucc, topFanOut);
        // the interval neuron of a chord's top note: the steps from the previous top over the next two
        const r = relativeOf[n]!;
        const before = topPred[n]!;
        if (r >= 0 && before >= 0 && keyAlong(n, topSucc, STEP_CONTEXT) >= 0) {
          let x = col[n]! - col[before]! + RELATIVE_OFFSET;
          for (let i = 1; i < STEP_CONTEXT; i++) x = x * 4096 + col[chain[i]!]! - col[chain[i - 1]!]! + RELATIVE_OFFSET;
          const key = ContextIndex.key(RELATIVE, x);
          const ownKey = keyAlong(r, succ, STEP_CONTEXT);
          if (ownKey < 0 || ContextIndex.key(RELATIVE, ownKey) !== key) push(key, r, null, fanOut);
        }
      } else if (g === RELATIVE) {
        const own = keyAlong(n, succ, STEP_CONTEXT);
        if (own >= 0) push(ContextIndex.key(RELATIVE, own), n, null, fanOut);
      }
    }
    // about two members a bucket: a bucket costs 4 bytes, a member 4
    let buckets = 1024;
    while (buckets * 2 < keys.length) buckets *= 2;
    const mask = buckets - 1;
    const start = new Int32Array(buckets + 1);
    for (const k of keys) start[(k & mask) + 1]!++;
    for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
    const fill = start.slice(0, buckets);
    const members = new Int32Array(keys.length);
    const printed6 = new Uint8Array(keys.length);
    const printed8 = new Uint8Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const at = fill[keys[i]! & mask]!++;
      members[at] = owners[i]!;
      printed6[at] = prints6[i]!;
      printed8[at] = prints8[i]!;
    }
    return new ContextIndex(mask, start, members, printed6, printed8);
  }

  /** The sub-column key of the context starting at `columns[k]` in `group` (-1: the fragment ends before it does). */
  static contextKey(group: number, columns: readonly number[], k: number): number {
    const length = group === SPATIAL ? NOTE_CONTEXT : STEP_CONTEXT;
    if (k + length > columns.length) return -1;
    let x = 0;
    for (let i = k; i < k + length; i++) x = x * 4096 + columns[i]!;
    return ContextIndex.key(group, x);
  }

  /** Hash of a group's context code. */
  static key(group: number, code: number): number {
    return mix(code * 8 + group) >>> 0;
  }

  /** Every member of the sub-column `key`'s bucket (other keys' neurons may share it), appended to `out`. */
  bucket(key: number, out: number[]): void {
    const b = key & this.#mask;
    for (let i = this.#start[b]!; i < this.#start[b + 1]!; i++) out.push(this.#members[i]!);
  }

  /**
   * The members of the sub-column `key` whose own minicolumn is `column` (a bucket may hold other
   * keys' neurons too), appended to `out`; with the notes `after` the four (two or four of them), only
   * those whose long context agrees (or cannot tell: it branches or ends; then the shorter one decides).
   */
  members(net: Network, key: number, column: number, out: number[], after?: readonly number[]): void {
    const b = key & this.#mask;
    const long = after && after.length >= 4 ? ContextIndex.print(after.slice(0, 4)) : -1;
    const short = after && after.length >= 2 ? ContextIndex.print(after.slice(0, 2)) : -1;
    for (let i = this.#start[b]!; i < this.#start[b + 1]!; i++) {
      const n = this.#members[i]!;
      if (net.neuronColumn[n] !== column) continue;
      if (long >= 0 && this.#prints8[i] !== ANY_PRINT) {
        if (this.#prints8[i] === long) out.push(n);
      } else if (short < 0 || this.#prints6[i] === short || this.#prints6[i] === ANY_PRINT) out.push(n);
    }
  }
}

/** A 32-bit integer hash (murmur3's finaliser) of a non-negative integer (folded to 32 bits first). */
function mix(x: number): number {
  let h = (x % 4294967296) ^ Math.imul(Math.floor(x / 4294967296) | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
