import { grow } from './growable.js';

/**
 * Records spikes of selected neuron groups: time (ns), neuron, the neuron whose event caused the spike
 * (-1 for external input; for a counter, the neuron that gated it), the record of that cause's latest
 * spike (-1 if none was recorded), and the pacemaker pulse count at that moment. Causes let a reader
 * follow a chain of spikes back to its start.
 */
export class SpikeRecorder {
  count = 0;
  time = new Float64Array(256);
  neuron = new Int32Array(256);
  source = new Int32Array(256);
  pulse = new Int32Array(256);
  parent = new Int32Array(256);
  /** Spikes recorded per group in this run. */
  readonly perGroup = new Int32Array(256);
  /** groups[g] = 1 records group g. */
  readonly groups = new Uint8Array(256);

  clear(): void {
    this.count = 0;
    this.perGroup.fill(0);
  }

  record(time: number, neuron: number, source: number, pulse: number, parent: number, group: number): number {
    const i = this.count++;
    if (i >= this.time.length) {
      this.time = grow(this.time, i + 1);
      this.neuron = grow(this.neuron, i + 1);
      this.source = grow(this.source, i + 1);
      this.pulse = grow(this.pulse, i + 1);
      this.parent = grow(this.parent, i + 1);
    }
    this.parent[i] = parent;
    this.perGroup[group] = this.perGroup[group]! + 1;
    this.time[i] = time;
    this.neuron[i] = neuron;
    this.source[i] = source;
    this.pulse[i] = pulse;
    return i;
  }
}
