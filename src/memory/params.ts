import type { NeuronParams } from '../snn/lif.js';
import type { StdpParams } from '../snn/stdp.js';

/**
 * Every parameter of the model, with units. docs/MODEL.md explains each choice.
 * Times in ns, potentials and weights in mV.
 */
export interface MemoryParams {
  /** RNG seed (initial weight jitter). */
  seed: number;
  /** Neurons in the pacemaker cluster (they fire in synchrony; a volley is one pulse). */
  pacemakerSize: number;
  /** Spatial area (symbol minicolumns) and goal cluster neurons. */
  spatial: NeuronParams;
  goal: NeuronParams;
  pacemaker: NeuronParams;
  /** Initial weight of a recruited sequence synapse, mV, and its uniform jitter (+-). */
  wInit: number;
  wInitJitter: number;
  stdp: StdpParams;
  /** Gate synapse weight (opens a duration/interval counter), and feedback (note -> goal) weight. */
  wGate: number;
  wFeedback: number;
  /** External input that makes a neuron fire (goal start, column burst), mV. */
  wDrive: number;
  /** Teacher bias on the heard symbols' minicolumns during learning, mV. */
  teacherBias: number;

  /** Gain of sequence synapses in recognition, and the bias on the heard minicolumn, mV. */
  recognitionGain: number;
  recognitionBias: number;
  /** Synaptic delays, ns. */
  delayRelease: number;
  delayChord: number;
  delayGate: number;
  delayFeedback: number;
  /** Pacemaker period while learning, ns per tick (learning is in ticks; any period > chord spread). */
  learnTickNs: number;
  /** Shortest tick the simulation accepts at recall, ns (the chord spread must fit inside a tick). */
  minTickNs: number;
  /** Most notes in one event of one track. */
  maxChord: number;
  /** Largest symbol id (spatial minicolumns 0..maxSymbol). */
  maxSymbol: number;
  /** Recognition: a path may miss one note (wrong, missing or extra) per this many fragment notes (at least one). */
  notesPerMiss: number;
  /** Recognition: evidence (confirmed - missed notes) a path needs to be carried over an unheard note. */
  carryEvidence: number;
  /** Recognition: how long (notes of weight) the goal cluster's race stays open after its first spike; places further behind name nothing. */
  evidenceMargin: number;
  /** Width (log scale) of the duration fit: a note this far off its place's rhythm fits 0.61. */
  durationSigma: number;
  /** Deviation (log scale) of a note's duration from its place's rhythm that costs nothing. */
  durationFree: number;
  /** Duration fit (0..1) from which a match reports its durations as matched. */
  durationMatched: number;
}

export const DEFAULT_PARAMS: MemoryParams = {
  seed: 20200511,
  pacemakerSize: 4,
  spatial: { model: 'lif', tauM: 20e6, theta: 15, vReset: 0, tRef: 500 },
  // no refractory time: a goal neuron fires once for each place that reaches it, even together
  goal: { model: 'lif', tauM: 20e6, theta: 15, vReset: 0, tRef: 0 },
  pacemaker: { model: 'lif', tauM: 20e6, theta: 15, vReset: 0, tRef: 0 },
  wInit: 4,
  wInitJitter: 0.5,
  stdp: { aPlus: 12, aMinus: 6, tauPlus: 20e6, tauMinus: 20e6, wMax: 20 },
  wGate: 1,
  wFeedback: 1,
  wDrive: 16,
  teacherBias: 12,
  recognitionGain: 0.5,
  recognitionBias: 9,
  delayRelease: 1000,
  delayChord: 2000,
  delayGate: 1000,
  delayFeedback: 1000,
  learnTickNs: 200_000,
  minTickNs: 80_000,
  maxChord: 32,
  maxSymbol: 1023,
  evidenceMargin: 2,
  durationSigma: 0.15,
  durationFree: 0.1,
  durationMatched: 0.8,
  notesPerMiss: 6,
  carryEvidence: 2,
};

/**
 * The longest tick the pacemaker can keep, ns: its drive for a period T exceeds threshold by a factor
 * exp(-T / tauM), which doubles stop resolving past ~36 tauM; 20 tauM keeps the period exact to 1e-7.
 */
export function longestTickNs(p: MemoryParams): number {
  return 20 * p.pacemaker.tauM;
}

/**
 * Checks parameters that size loops and arrays (a snapshot's header carries them): a pacemaker of 2^31
 * neurons or 2^31 symbol columns would exhaust memory or time before any other check ran.
 */
export function validateParams(p: MemoryParams): void {
  const int = (name: keyof MemoryParams, lo: number, hi: number) => {
    const v = p[name];
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) throw new RangeError(`params: ${name} must be an integer in ${lo}..${hi}`);
  };
  int('seed', -(2 ** 31), 2 ** 32);
  int('pacemakerSize', 1, 1024);
  int('maxSymbol', 1, 65535);
  int('maxChord', 1, 1024);
  for (const name of ['delayRelease', 'delayChord', 'delayGate', 'delayFeedback', 'learnTickNs', 'minTickNs'] as const) int(name, 1, 1e9);
  for (const name of ['wInit', 'wInitJitter', 'wGate', 'wFeedback', 'wDrive', 'teacherBias', 'recognitionGain', 'recognitionBias', 'durationSigma', 'durationFree', 'carryEvidence', 'evidenceMargin'] as const) {
    if (typeof p[name] !== 'number' || !Number.isFinite(p[name])) throw new RangeError(`params: ${name} must be a finite number`);
  }
  for (const name of ['spatial', 'goal', 'pacemaker', 'stdp'] as const) {
    const g = p[name] as unknown as Record<string, unknown>;
    if (!g || typeof g !== 'object' || Object.values(g).some((v) => typeof v === 'number' && !Number.isFinite(v))) throw new RangeError(`params: ${name} must be an object of finite numbers`);
  }
  if (p.goal.tRef !== 0) throw new RangeError('params: goal.tRef must be 0 (a goal neuron counts the places that reach it together by firing for each)');
  if (!(p.wFeedback > 0)) throw new RangeError('params: wFeedback must be > 0');
}
