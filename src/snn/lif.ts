/**
 * Neuron models and their parameters.
 *
 * `lif` — leaky integrate-and-fire with delta (instantaneous) synapses, after NEST's iaf_psc_delta:
 *   dv/dt = -(v - 0) / tauM                       (resting potential 0 mV)
 *   on a synaptic event of weight w (mV):  v <- v + gain * w + b
 *     where b is the input bias of the neuron's minicolumn (dendritic input that only counts together
 *     with a synaptic event: coincidence detection, see docs/MODEL.md)
 *   if v >= theta and the neuron is not refractory: spike, v <- vReset, refractory for tRef.
 * Between events v decays exactly: v(t) = v(t0) * exp(-(t - t0) / tauM), so no step is simulated.
 *
 * `counter` — a gated pulse integrator (the temporal area's duration neurons): a gate event opens it,
 * then each pacemaker pulse adds the pacemaker population size to v; it fires when v reaches
 * theta * column (its minicolumn is its duration class in pulses), and closes. With the clock in
 * `relay` mode (recognition) it fires as soon as it is gated.
 *
 * Pacemaker neurons are `lif` neurons driven by a constant current I (iaf with R = 1):
 *   dv/dt = (-v + I) / tauM  =>  period T = tauM * ln(I / (I - theta))  (for I > theta)
 * so the drive sets the firing rate; `driveForPeriod` inverts that.
 *
 * Times are integer nanoseconds; potentials and weights are mV.
 */
export type NeuronModel = 'lif' | 'counter';

export interface NeuronParams {
  model: NeuronModel;
  /** Membrane time constant, ns (lif only). */
  tauM: number;
  /** Spike threshold, mV (lif); pulses-per-class multiplier for counters. */
  theta: number;
  /** Reset potential after a spike, mV. */
  vReset: number;
  /** Absolute refractory period, ns. */
  tRef: number;
}

export function validateNeuronParams(name: string, p: NeuronParams): void {
  if (p.model !== 'lif' && p.model !== 'counter') {
    throw new TypeError(`neuron group '${name}': model must be 'lif' or 'counter', got ${String(p.model)}`);
  }
  const positive: Array<keyof NeuronParams> = ['tauM', 'theta'];
  for (const k of positive) {
    const v = p[k];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new RangeError(`neuron group '${name}': ${k} must be a positive finite number, got ${String(v)}`);
    }
  }
  if (!Number.isFinite(p.vReset) || p.vReset >= p.theta) {
    throw new RangeError(`neuron group '${name}': vReset must be finite and below theta (${p.theta}), got ${p.vReset}`);
  }
  if (!Number.isInteger(p.tRef) || p.tRef < 0) {
    throw new RangeError(`neuron group '${name}': tRef must be a non-negative integer (ns), got ${p.tRef}`);
  }
}

/** Constant drive (mV, R = 1) that makes a LIF neuron starting at 0 fire every `periodNs`. */
export function driveForPeriod(p: NeuronParams, periodNs: number): number {
  if (!(periodNs > 0)) throw new RangeError(`pacemaker period must be positive, got ${periodNs} ns`);
  return p.theta / (1 - Math.exp(-periodNs / p.tauM));
}

/** Exact inter-spike interval (ns, real-valued) of a LIF neuron under constant drive `drive`. */
export function periodForDrive(p: NeuronParams, drive: number): number {
  if (!(drive > p.theta)) {
    throw new RangeError(`pacemaker drive ${drive} mV does not reach threshold ${p.theta} mV: it would never fire`);
  }
  return p.tauM * Math.log(drive / (drive - p.theta));
}
