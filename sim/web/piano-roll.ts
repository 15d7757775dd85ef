import type { Performance } from '../perform.js';
import { pitchName } from '../../src/music/pitch.js';
import { fitCanvas } from './hidpi.js';

/** Seconds shown across the roll, and how far behind the playhead it starts. */
const SPAN = 8;
const BEHIND = 2;
const LEFT = 38;
const BOTTOM = 18;

/** The window of time shown around playhead `t`. */
export function rollWindow(t: number, duration: number): { t0: number; t1: number } {
  const t0 = Math.max(0, Math.min(t - BEHIND, duration - SPAN + BEHIND));
  return { t0: Math.max(0, t0), t1: Math.max(0, t0) + SPAN };
}

/**
 * The piano roll around the playhead: the recalled score as grey outlines, what the keys played filled
 * (green in time, red extra), pitch names up the left (every C, and the lowest and highest pitch) and
 * seconds along the bottom.
 */
export function drawRoll(canvas: HTMLCanvasElement, p: Pick<Performance, 'score' | 'played' | 'report'>, t: number, duration: number): void {
  const { g, w, h } = fitCanvas(canvas);
  g.clearRect(0, 0, w, h);
  if (p.score.length === 0) return;
  const { t0, t1 } = rollWindow(t, duration);
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of p.score) (lo = Math.min(lo, n.pitch)), (hi = Math.max(hi, n.pitch));
  for (const n of p.played) (lo = Math.min(lo, n.pitch)), (hi = Math.max(hi, n.pitch));
  lo -= 1;
  hi += 1;
  const pw = w - LEFT;
  const ph = h - BOTTOM;
  const x = (s: number) => LEFT + ((s - t0) / (t1 - t0)) * pw;
  const rowH = ph / (hi - lo + 1);
  const y = (pitch: number) => ph - (pitch - lo + 1) * rowH;
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  // pitch axis: a line and a name at every C, names at the ends
  for (let pitch = lo; pitch <= hi; pitch++) {
    const isC = pitch % 12 === 0;
    if (isC) {
      g.fillStyle = '#1c252e';
      g.fillRect(LEFT, y(pitch) + rowH - 0.5, pw, 1);
    }
    if (isC || pitch === lo + 1 || pitch === hi - 1) {
      const nearC = pitch % 12 <= 2 || pitch % 12 >= 10;
      if (!isC && nearC && rowH * 3 < 13) continue; // would overlap a C's label
      g.fillStyle = isC ? '#c9d4dc' : '#8a9aa8';
      g.fillText(pitchName(pitch), 4, y(pitch) + rowH / 2);
    }
  }
  // time axis: a tick every second, labelled
  g.textBaseline = 'alphabetic';
  g.textAlign = 'center';
  for (let s = Math.ceil(t0); s <= t1; s++) {
    const xs = x(s);
    g.fillStyle = '#1c252e';
    g.fillRect(xs, 0, 1, ph);
    g.fillStyle = '#8a9aa8';
    if (xs < w - 10) g.fillText(`${s}s`, xs, h - 4); // (a label cut by the edge is left out)
  }
  g.textAlign = 'left';
  const nh = Math.max(2, rowH - 1);
  g.save();
  g.beginPath();
  g.rect(LEFT, 0, pw, ph);
  g.clip();
  g.strokeStyle = '#6b7a88';
  g.lineWidth = 1;
  for (const n of p.score) if (n.time + n.duration > t0 && n.time < t1) g.strokeRect(x(n.time) + 0.5, y(n.pitch) + 0.5, Math.max(2, (n.duration / (t1 - t0)) * pw), nh);
  const extra = new Set(p.report.extra);
  p.played.forEach((n, i) => {
    if (n.time > t || n.time + n.duration < t0) return;
    g.fillStyle = extra.has(i) ? '#ff6b6b' : '#6fd3a8';
    g.fillRect(x(n.time), y(n.pitch), Math.max(2, (Math.min(n.duration, t - n.time) / (t1 - t0)) * pw), nh);
  });
  g.restore();
  g.fillStyle = '#e8eef2';
  g.fillRect(x(t), 0, 1.5, ph);
}
