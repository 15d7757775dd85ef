import { describe, expect, it } from 'vitest';
import { Network } from '../../src/snn/network.js';
import { Simulator } from '../../src/snn/simulator.js';
import { PacemakerClock } from '../../src/snn/pacemaker-clock.js';
import { driveForPeriod, periodForDrive, NeuronParams } from '../../src/snn/lif.js';
import { Rng } from '../../src/snn/rng.js';
import { EventQueue } from '../../src/snn/event-queue.js';
import { stdpUpdate } from '../../src/snn/stdp.js';

const LIF: NeuronParams = { model: 'lif', tauM: 20e6, theta: 15, vReset: 0, tRef: 2e6 };
const COUNTER: NeuronParams = { model: 'counter', tauM: 1, theta: 4, vReset: 0, tRef: 0 };

function net() {
  return new Network(
    [
      { name: 'a', params: LIF },
      { name: 'c', params: COUNTER },
      { name: 'pm', params: { ...LIF, tRef: 0 } },
    ],
    [
      { name: 'plastic', plastic: true },
      { name: 'fixed', plastic: false },
    ],
  );
}

describe('LIF neurons', () => {
  it('decay exactly between events and sum inputs', () => {
    const n = net();
    const a = n.addNeuron(0, 0);
    const sim = new Simulator(n);
    sim.reset();
    sim.stimulate(a, 0, 10);
    sim.stimulate(a, 10e6, 1);
    sim.run();
    expect(sim.potential(a, 10e6)).toBeCloseTo(10 * Math.exp(-0.5) + 1, 10);
    expect(sim.potential(a, 30e6)).toBeCloseTo((10 * Math.exp(-0.5) + 1) * Math.exp(-1), 10);
  });

  it('spike at threshold, deliver after the synaptic delay, and respect the refractory period', () => {
    const n = net();
    const a = n.addNeuron(0, 0);
    const b = n.addNeuron(0, 0);
    n.addSynapse(a, b, 16, 3000, 1);
    const sim = new Simulator(n);
    sim.reset();
    sim.recorder.groups[0] = 1;
    sim.stimulate(a, 100, 16);
    sim.stimulate(a, 200, 16); // refractory: no second spike
    sim.run();
    const r = sim.recorder;
    expect(r.count).toBe(2);
    expect([r.time[0], r.neuron[0]]).toEqual([100, a]);
    expect([r.time[1], r.neuron[1], r.source[1]]).toEqual([3100, b, a]);
  });

  it('keeps each run to itself across a growing network and after prepare()', () => {
    const n = net();
    const a = n.addNeuron(0, 0);
    const sim = new Simulator(n);
    sim.prepare();
    sim.stimulate(a, 0, 10);
    sim.run();
    expect(sim.potential(a, 0)).toBe(10);
    // the network grows past the run state's room: the next run starts from rest everywhere
    const added = Array.from({ length: 100 }, () => n.addNeuron(0, 0));
    sim.reset();
    expect(sim.potential(a, 0)).toBe(0);
    sim.stimulate(added[99]!, 0, 5);
    sim.stimulate(a, 0, 3);
    sim.run();
    expect(sim.potential(added[99]!, 0)).toBe(5);
    expect(sim.potential(a, 0)).toBe(3);
    expect(sim.potential(added[0]!, 0)).toBe(0);
  });

  it('does not fire below threshold', () => {
    const n = net();
    const a = n.addNeuron(0, 0);
    const sim = new Simulator(n);
    sim.reset();
    sim.recorder.groups[0] = 1;
    sim.stimulate(a, 0, 14.9);
    sim.run();
    expect(sim.recorder.count).toBe(0);
  });

  it('column bias adds to coincident events, and shunting inhibition resets silent neurons', () => {
    const n = net();
    const a = n.addNeuron(0, 7);
    const b = n.addNeuron(0, 8);
    const sim = new Simulator(n);
    sim.reset();
    sim.recorder.groups[0] = 1;
    sim.scheduleBias(0, 0, 7, 9);
    sim.stimulate(a, 10, 8); // 8 + 9 >= 15: fires
    sim.stimulate(b, 10, 8); // no bias on column 8: stays at 8
    sim.scheduleInhibition(20, 0);
    sim.stimulate(b, 30, 8); // inhibition cleared the first 8: stays below threshold
    sim.run();
    expect(Array.from(sim.recorder.neuron.subarray(0, sim.recorder.count))).toEqual([a]);
    expect(sim.potential(b, 30)).toBeCloseTo(8, 6);
  });

  it('validates parameters with the offending name', () => {
    expect(() => new Network([{ name: 'x', params: { ...LIF, tauM: -1 } }], [{ name: 'p', plastic: false }])).toThrow(/'x'.*tauM/);
    const n = net();
    const a = n.addNeuron(0, 0);
    expect(() => n.addSynapse(a, a, 1, 0, 0)).toThrow(/delay/);
  });
});

describe('STDP', () => {
  const p = { aPlus: 12, aMinus: 6, tauPlus: 20e6, tauMinus: 20e6, wMax: 20 };
  it('potentiates causal pairs and depresses acausal ones, within bounds', () => {
    expect(stdpUpdate(p, 4, 0)).toBe(16);
    expect(stdpUpdate(p, 4, 20e6)).toBeCloseTo(4 + 12 * Math.exp(-1), 10);
    expect(stdpUpdate(p, 15, 0)).toBe(20);
    expect(stdpUpdate(p, 10, -1)).toBeCloseTo(10 - 6 * Math.exp(-1 / 20e6), 6);
    expect(stdpUpdate(p, 1, -1)).toBe(0);
  });

  it('runs on simulated spike times', () => {
    const n = net();
    const pre = n.addNeuron(0, 0);
    const post = n.addNeuron(0, 1);
    const s = n.addSynapse(pre, post, 4, 1000, 0);
    const sim = new Simulator(n);
    sim.reset();
    sim.stdp = p;
    sim.scheduleBias(0, 0, 1, 12); // the teacher: post fires when pre's spike arrives
    sim.stimulate(pre, 0, 16);
    sim.run();
    expect(n.synWeight[s]).toBeCloseTo(16, 5);
    // now pre arrives (too weak to make post fire) after post fired: depression
    n.synWeight[s] = 10;
    sim.reset();
    sim.stdp = p;
    sim.stimulate(post, 0, 16);
    sim.stimulate(pre, 5e6, 16);
    sim.run();
    expect(n.synWeight[s]).toBeCloseTo(10 - 6 * Math.exp(-(5e6 + 1000) / 20e6), 4);
  });
});

describe('pacemaker and counters', () => {
  it('drive sets the period and the inverse is exact', () => {
    for (const T of [1e5, 1.0416667e6, 5e6]) expect(periodForDrive(LIF, driveForPeriod(LIF, T))).toBeCloseTo(T, 3);
    expect(driveForPeriod(LIF, 1e5)).toBeGreaterThan(driveForPeriod(LIF, 1e6)); // faster needs more drive
    expect(() => periodForDrive(LIF, 10)).toThrow(/never fire/);
  });

  it('timeOf and pulsesBy agree across tempo segments', () => {
    const clock = new PacemakerClock(LIF, 500, [
      { fromPulse: 0, periodNs: 1000.4 },
      { fromPulse: 10, periodNs: 333.3 },
      { fromPulse: 25, periodNs: 2500 },
    ]);
    const times = Array.from({ length: 40 }, (_, n) => clock.timeOf(n));
    for (let n = 1; n < 40; n++) expect(times[n]).toBeGreaterThan(times[n - 1]!);
    for (let n = 0; n < 40; n++) {
      expect(clock.pulsesBy(times[n]!)).toBe(n);
      expect(clock.pulsesBy(times[n]! - 1)).toBe(Math.max(0, n - 1));
    }
    expect(times[10]! - 500).toBeCloseTo(10 * 1000.4, -1);
  });

  it('a lazily advanced counter fires on the same volley as one fed every volley', () => {
    const n = net();
    const pm = [n.addNeuron(2, 0), n.addNeuron(2, 0), n.addNeuron(2, 0), n.addNeuron(2, 0)];
    const src = n.addNeuron(0, 0);
    const counters = [0, 1, 2, 7, 30].map((k) => n.addNeuron(1, k));
    for (const c of counters) n.addSynapse(src, c, 1, 1000, 1);
    const sim = new Simulator(n);
    sim.reset();
    sim.recorder.groups[1] = 1;
    const segments = [
      { fromPulse: 0, periodNs: 250_000 },
      { fromPulse: 5, periodNs: 100_000 },
    ];
    sim.startClock({ neurons: pm, startTime: 0, segments });
    sim.stimulate(src, 130_000, 16);
    sim.run();
    // reference: explicit volleys, each adding the population size to every open counter
    const ref = new PacemakerClock(n.groups[2]!.params, 0, segments);
    const gateT = 130_000 + 1000;
    const expected = [0, 1, 2, 7, 30].map((k) => {
      if (k === 0) return gateT;
      let v = 0;
      for (let p = 1; ; p++) {
        const t = ref.timeOf(p);
        if (t <= gateT) continue;
        v += pm.length;
        if (v >= COUNTER.theta * k) return t;
      }
    });
    const got = counters.map((c) => {
      for (let i = 0; i < sim.recorder.count; i++) if (sim.recorder.neuron[i] === c) return sim.recorder.time[i];
      return -1;
    });
    expect(got).toEqual(expected);
  });
});

describe('event queue and RNG', () => {
  it('delivers same-time events in insertion order, earlier times first', () => {
    const q = new EventQueue();
    q.push(5, 1, 0, 0, 0);
    q.push(3, 2, 0, 0, 0);
    q.push(5, 3, 0, 0, 0);
    q.push(3, 4, 0, 0, 0);
    const order: number[] = [];
    while (q.size > 0) {
      for (let e = q.popBucket(); e >= 0; ) {
        const next = q.evNext[e]!;
        order.push(q.evTarget[e]!);
        q.release(e);
        e = next;
      }
    }
    expect(order).toEqual([2, 4, 1, 3]);
  });

  it('the same seed gives the same numbers', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
