/**
 * Pair-based STDP with nearest-neighbour pairing and hard bounds (Song, Miller & Abbott 2000;
 * Morrison, Diesmann & Gerstner 2008, "nearest spike" scheme).
 * With dt = t_post - t_arrival (arrival = presynaptic spike + delay):
 *   dt >= 0 (pre before post):  w <- min(wMax, w + aPlus  * exp(-dt / tauPlus))
 *   dt <  0 (post before pre):  w <- max(0,    w - aMinus * exp( dt / tauMinus))
 */
export interface StdpParams {
  /** Potentiation amplitude, mV. */
  aPlus: number;
  /** Depression amplitude, mV. */
  aMinus: number;
  /** Potentiation window, ns. */
  tauPlus: number;
  /** Depression window, ns. */
  tauMinus: number;
  /** Upper weight bound, mV. */
  wMax: number;
}

export function validateStdpParams(p: StdpParams): void {
  for (const k of ['aPlus', 'aMinus', 'tauPlus', 'tauMinus', 'wMax'] as const) {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || ((k === 'tauPlus' || k === 'tauMinus' || k === 'wMax') && v === 0)) {
      throw new RangeError(`STDP: ${k} must be a finite number ${k.startsWith('a') ? '>= 0' : '> 0'}, got ${String(v)}`);
    }
  }
}

/** Weight after a pairing at interval dt = t_post - t_arrival (ns). */
export function stdpUpdate(p: StdpParams, w: number, dt: number): number {
  if (dt >= 0) return Math.min(p.wMax, w + p.aPlus * Math.exp(-dt / p.tauPlus));
  return Math.max(0, w - p.aMinus * Math.exp(dt / p.tauMinus));
}
