import { grow } from './growable.js';

/**
 * Pending spike deliveries, ordered by integer time. Events that share a time go into one FIFO bucket
 * (insertion order is kept, so runs are deterministic); only the distinct times live in a binary heap,
 * so a burst of thousands of spikes at one instant costs O(1) per event.
 */
export class EventQueue {
  // event pool (linked FIFO lists, free list through evNext)
  evTarget = new Int32Array(1024);
  evWeight = new Float32Array(1024);
  evSource = new Int32Array(1024);
  evSyn = new Int32Array(1024);
  evNext = new Int32Array(1024);
  #evUsed = 0;
  #evFree = -1;

  // one bucket per distinct pending time
  #bucketOf = new Map<number, number>();
  #bucketHead = new Int32Array(64);
  #bucketTail = new Int32Array(64);
  #bucketTime = new Float64Array(64);
  #bucketFree: number[] = [];
  #bucketUsed = 0;
  // min-heap of bucket indices by time
  #heap = new Int32Array(64);
  #heapSize = 0;
  // the bucket of the latest push: bursts push many events for one time, this skips the map
  #lastTime = NaN;
  #lastBucket = -1;

  get size(): number {
    return this.#heapSize;
  }

  clear(): void {
    this.#evUsed = 0;
    this.#evFree = -1;
    this.#bucketOf.clear();
    this.#bucketFree.length = 0;
    this.#bucketUsed = 0;
    this.#heapSize = 0;
    this.#lastBucket = -1;
    this.#lastTime = NaN;
  }

  /** Time of the earliest pending event, or Infinity. */
  peekTime(): number {
    return this.#heapSize === 0 ? Infinity : this.#bucketTime[this.#heap[0]!]!;
  }

  push(time: number, target: number, weight: number, source: number, syn: number): void {
    let e = this.#evFree;
    if (e >= 0) this.#evFree = this.evNext[e]!;
    else {
      e = this.#evUsed++;
      if (e >= this.evTarget.length) this.#growEvents(e + 1);
    }
    this.evTarget[e] = target;
    this.evWeight[e] = weight;
    this.evSource[e] = source;
    this.evSyn[e] = syn;
    this.evNext[e] = -1;
    if (time === this.#lastTime && this.#lastBucket >= 0) {
      const b = this.#lastBucket;
      this.evNext[this.#bucketTail[b]!] = e;
      this.#bucketTail[b] = e;
      return;
    }
    let b = this.#bucketOf.get(time);
    if (b === undefined) {
      b = this.#bucketFree.length > 0 ? this.#bucketFree.pop()! : this.#newBucket();
      this.#bucketOf.set(time, b);
      this.#bucketTime[b] = time;
      this.#bucketHead[b] = e;
      this.#bucketTail[b] = e;
      this.#heapPush(b);
    } else {
      this.evNext[this.#bucketTail[b]!] = e;
      this.#bucketTail[b] = e;
    }
    this.#lastTime = time;
    this.#lastBucket = b;
  }

  /**
   * Removes the earliest bucket and returns its first event; follow `evNext` for the rest and give
   * each back with `release` after reading it. Events pushed for the same time while the bucket is
   * being read go into a new bucket, read next.
   */
  popBucket(): number {
    const b = this.#heap[0]!;
    this.#heapPop();
    this.#bucketOf.delete(this.#bucketTime[b]!);
    this.#bucketFree.push(b);
    if (b === this.#lastBucket) this.#lastBucket = -1;
    return this.#bucketHead[b]!;
  }

  release(e: number): void {
    this.evNext[e] = this.#evFree;
    this.#evFree = e;
  }

  #newBucket(): number {
    const b = this.#bucketUsed++;
    if (b >= this.#bucketHead.length) {
      this.#bucketHead = grow(this.#bucketHead, b + 1);
      this.#bucketTail = grow(this.#bucketTail, b + 1);
      this.#bucketTime = grow(this.#bucketTime, b + 1);
      this.#heap = grow(this.#heap, b + 1);
    }
    return b;
  }

  #growEvents(needed: number): void {
    this.evTarget = grow(this.evTarget, needed);
    this.evWeight = grow(this.evWeight, needed);
    this.evSource = grow(this.evSource, needed);
    this.evSyn = grow(this.evSyn, needed);
    this.evNext = grow(this.evNext, needed);
  }

  #heapPush(b: number): void {
    const heap = this.#heap;
    const time = this.#bucketTime;
    let i = this.#heapSize++;
    const t = time[b]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pb = heap[p]!;
      if (time[pb]! <= t) break;
      heap[i] = pb;
      i = p;
    }
    heap[i] = b;
  }

  #heapPop(): void {
    const heap = this.#heap;
    const time = this.#bucketTime;
    const n = --this.#heapSize;
    if (n === 0) return;
    const last = heap[n]!;
    const t = time[last]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && time[heap[r]!]! < time[heap[l]!]! ? r : l;
      if (time[heap[c]!]! >= t) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}
