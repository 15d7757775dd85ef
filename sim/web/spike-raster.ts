import type { PerformanceRecording } from '../perform.js';
import { fitCanvas } from './hidpi.js';
import { rollWindow } from './piano-roll.js';

type Raster = NonNullable<PerformanceRecording['raster']>;

const LEFT = 92;
const BOTTOM = 16;
/** Areas top to bottom, with the share of the height each band gets and its colour. */
const BANDS: Array<{ area: string; label: string; share: number; colour: string }> = [
  { area: 'goal', label: 'goal', share: 0.1, colour: '#ffd866' },
  { area: 'spatial', label: 'spatial (notes)', share: 0.36, colour: '#7fb0ff' },
  { area: 'duration', label: 'duration', share: 0.22, colour: '#ffb86b' },
  { area: 'interval', label: 'interval', share: 0.18, colour: '#c792ea' },
  { area: 'pacemaker', label: 'pacemaker', share: 0.14, colour: '#6fd3a8' },
];

/** First index with time >= t in an ascending array. */
function lowerBound(a: readonly number[], t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the raster drew last, for the test hook: spikes and neurons per area in view. */
export interface RasterShown {
  spikes: Record<string, number>;
  neurons: Record<string, number>;
  pulses: number;
}

/**
 * The recall's spikes around the playhead, one band per area (labelled, with how many of its neurons fire
 * in view) and the pacemaker's pulses at the bottom. Within a band, only the neurons that fire in view
 * get a row (ordered by when they first fire), so the spikes that matter stay large enough to read.
 */
export function drawRaster(canvas: HTMLCanvasElement, r: Raster | undefined, t: number, duration: number): RasterShown {
  const { g, w, h } = fitCanvas(canvas);
  g.clearRect(0, 0, w, h);
  const shown: RasterShown = { spikes: {}, neurons: {}, pulses: 0 };
  if (!r) return shown;
  const { t0, t1 } = rollWindow(t, duration);
  const pw = w - LEFT;
  const ph = h - BOTTOM;
  const x = (s: number) => LEFT + ((s - t0) / (t1 - t0)) * pw;
  const from = lowerBound(r.time, t0);
  const to = lowerBound(r.time, Math.min(t, t1) + 1e-9);
  g.font = '11px system-ui, sans-serif';
  let top = 0;
  let marksPer = 1;
  for (const band of BANDS) {
    const bh = band.share * ph;
    const group = r.groups.indexOf(band.area);
    // the band's rows: its neurons firing in view, by first spike
    const rows = new Map<number, number>();
    let spikes = 0;
    if (band.area !== 'pacemaker') {
      for (let i = from; i < to; i++) if (r.group[i] === group && !rows.has(r.neuron[i]!)) rows.set(r.neuron[i]!, rows.size);
      const rowH = bh / Math.max(rows.size, 1);
      const dotH = Math.max(1.5, Math.min(6, rowH - 0.5));
      g.fillStyle = band.colour;
      for (let i = from; i < to; i++) {
        if (r.group[i] !== group) continue;
        spikes++;
        g.fillRect(x(r.time[i]!) - 2, top + rows.get(r.neuron[i]!)! * rowH + (rowH - dotH) / 2, 4, dotH);
      }
    } else if (r.pulses) {
      const p0 = lowerBound(r.pulses, t0);
      const p1 = lowerBound(r.pulses, Math.min(t, t1) + 1e-9);
      // one mark per `every` recorded pulse times, at least 4 px apart, so the rate can be read
      const perMark = r.pulseEvery ?? 1;
      const span = r.pulses.length > 1 ? (r.pulses[r.pulses.length - 1]! - r.pulses[0]!) / (r.pulses.length - 1) : 1;
      const every = Math.max(1, Math.ceil(4 / ((span / (t1 - t0)) * pw)));
      marksPer = every * perMark;
      g.fillStyle = band.colour;
      for (let i = p0 - (p0 % every); i < p1; i += every) if (i >= p0) g.fillRect(x(r.pulses[i]!), top + 3, 1, bh - 6);
      spikes = (p1 - p0) * perMark;
    }
    shown.spikes[band.area] = spikes;
    shown.neurons[band.area] = rows.size;
    if (band.area === 'pacemaker') shown.pulses = spikes;
    // the band's label and a rule under it
    g.fillStyle = '#1c252e';
    g.fillRect(0, top + bh - 0.5, w, 1);
    g.fillStyle = band.colour;
    g.textBaseline = 'middle';
    g.fillText(band.label, 4, top + bh / 2 - (bh > 26 ? 6 : 0));
    if (bh > 26) {
      g.fillStyle = '#8a9aa8';
      const detail = band.area === 'pacemaker' ? (marksPer > 1 ? `1 mark / ${marksPer} pulses` : 'each pulse') : `${rows.size} firing`;
      g.fillText(detail, 4, top + bh / 2 + 7);
    }
    top += bh;
  }
  g.textBaseline = 'alphabetic';
  g.textAlign = 'center';
  g.fillStyle = '#8a9aa8';
  for (let s = Math.ceil(t0); s <= t1; s++) if (x(s) < w - 10) g.fillText(`${s}s`, x(s), h - 3);
  g.textAlign = 'left';
  g.fillStyle = '#e8eef2';
  g.fillRect(x(t), 0, 1.5, ph);
  return shown;
}
