import { Emitter } from '../../robots/events.js';
import type { DemoSample } from '../../src/skills/demonstration.js';
import type { Keyframe } from '../../src/skills/keyframes.js';
import { fitCanvas } from './hidpi.js';

/** What the curves show: samples (times from the first), keyframes on them, the trim window and a playhead. */
export interface CurvesContent {
  /** The recording as it came from the robot (drawn faint when the keyframes were edited). */
  samples: DemoSample[];
  /** What will be taught when it differs from the samples (edited keyframes), else null. */
  path: DemoSample[] | null;
  keyframes: Keyframe[];
  /** Where the keyframes' times count from, s on the samples' time. */
  keyframeOrigin: number;
  joints: string[];
  /** The part kept, s; null: no trimming (a skill shown from the memory). */
  trim: { from: number; to: number } | null;
  selected: number | null;
  playhead: number | null;
  /** Gripper events (0 open .. 1 closed), s from the first sample: drawn as marks across the lanes. */
  gripper?: ReadonlyArray<{ time: number; closure: number }>;
}

/** What was drawn last, for the tests and people poking at the page. */
export interface CurvesShown {
  joints: number;
  points: number;
  keyframes: Array<{ x: number; time: number }>;
  trim: { fromX: number; toX: number } | null;
  playheadX: number | null;
  /** The gripper events drawn: where (viewport px), when and to what. */
  gripper: Array<{ x: number; time: number; closure: number }>;
  /** The canvas's box in the viewport, CSS px. */
  box: { x: number; y: number; width: number; height: number };
}

const COLOURS = ['#6fd3a8', '#7fb0ff', '#ffb86b', '#ff8ad8', '#ffd866', '#b39dff', '#80deea', '#ff8a80'];
const PAD_X = 58;
const PAD_TOP = 12;
const PAD_BOTTOM = 16;
const GRAB = 7;
/** The gripper's marks. */
const GRIPPER = '#ff9e57';

/** A joint's name short enough for its lane: without '_joint', and without its first word when long (shoulder_pan_joint: pan). */
export function shortName(name: string): string {
  const s = name.replace(/_joint$/, '');
  return s.length > 7 && s.includes('_') ? s.slice(s.indexOf('_') + 1).slice(0, 7) : s.slice(0, 7);
}

/**
 * A recording drawn as joint curves, one lane per joint scaled to what that joint did, with the
 * keyframes as lines and dots across the lanes, the trim window's handles and a playhead. Dragging a
 * trim handle trims; pressing a keyframe selects it, dragging it moves it in time.
 */
export class JointCurves {
  readonly canvas: HTMLCanvasElement;
  readonly events = new Emitter<{ trim: { from: number; to: number }; select: { index: number | null }; move: { index: number; time: number } }>();
  content: CurvesContent | null = null;
  shown: CurvesShown | null = null;
  #drag: { kind: 'from' | 'to' | 'keyframe'; index: number } | null = null;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', () => (this.#drag = null));
    canvas.addEventListener('pointercancel', () => (this.#drag = null));
    window.addEventListener('resize', () => this.draw());
  }

  set(content: CurvesContent | null): void {
    this.content = content;
    this.draw();
  }

  /** The samples' duration, s. */
  get duration(): number {
    const s = this.content?.samples;
    return s && s.length > 1 ? s[s.length - 1]!.time - s[0]!.time : 1;
  }

  #x(t: number, w: number): number {
    return PAD_X + (t / Math.max(1e-6, this.duration)) * (w - PAD_X - 8);
  }

  #t(x: number, w: number): number {
    return ((x - PAD_X) / (w - PAD_X - 8)) * this.duration;
  }

  draw(): void {
    const { g, w, h } = fitCanvas(this.canvas);
    g.clearRect(0, 0, w, h);
    const c = this.content;
    const r = this.canvas.getBoundingClientRect();
    if (!c || c.samples.length === 0) {
      g.fillStyle = '#9aa9b6';
      g.font = '13px system-ui, sans-serif';
      // one line where it fits, else one phrase a line
      const words = ['no recording yet:', 'jog the arm, press Record,', 'move it, press Stop'];
      const whole = words.join(' ');
      const lines = g.measureText(whole).width <= w - 24 ? [whole] : words;
      lines.forEach((line, i) => g.fillText(line, 12, h / 2 + (i - (lines.length - 1) / 2) * 18));
      this.shown = { joints: 0, points: 0, keyframes: [], trim: null, playheadX: null, gripper: [], box: { x: r.left, y: r.top, width: r.width, height: r.height } };
      return;
    }
    const n = c.joints.length;
    const lane = (h - PAD_TOP - PAD_BOTTOM) / n;
    const t0 = c.samples[0]!.time;
    const all = c.path ? [...c.samples, ...c.path] : c.samples;
    g.font = '11px system-ui, sans-serif';
    let points = 0;
    for (let j = 0; j < n; j++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of all) (lo = Math.min(lo, s.positions[j]!)), (hi = Math.max(hi, s.positions[j]!));
      const mid = (lo + hi) / 2;
      const span = Math.max(0.1, hi - lo) * 1.15; // a joint that barely moved stays a flat line, not noise blown up
      const top = PAD_TOP + j * lane;
      const y = (q: number) => top + lane / 2 - ((q - mid) / span) * lane;
      g.strokeStyle = '#26323c';
      g.beginPath();
      g.moveTo(PAD_X, top + lane);
      g.lineTo(w - 8, top + lane);
      g.stroke();
      g.fillStyle = COLOURS[j % COLOURS.length]!;
      g.fillText(`${j + 1} ${shortName(c.joints[j]!)}`, 2, top + lane / 2 + 4);
      const curve = (samples: DemoSample[], origin: number, alpha: number, width: number) => {
        g.globalAlpha = alpha;
        g.strokeStyle = COLOURS[j % COLOURS.length]!;
        g.lineWidth = width;
        g.beginPath();
        samples.forEach((s, i) => {
          const x = this.#x(s.time - origin, w);
          if (i === 0) g.moveTo(x, y(s.positions[j]!));
          else g.lineTo(x, y(s.positions[j]!));
        });
        g.stroke();
        g.globalAlpha = 1;
        g.lineWidth = 1;
        points += samples.length;
      };
      curve(c.samples, t0, c.path ? 0.3 : 1, 1.5);
      if (c.path) curve(c.path, -c.keyframeOrigin, 1, 1.5);
      for (const [i, k] of c.keyframes.entries()) {
        const x = this.#x(c.keyframeOrigin + k.time, w);
        g.fillStyle = i === c.selected ? '#ffffff' : COLOURS[j % COLOURS.length]!;
        g.beginPath();
        g.arc(x, y(k.positions[j]!), i === c.selected ? 4.5 : 3, 0, Math.PI * 2);
        g.fill();
      }
    }
    const keyframes = c.keyframes.map((k, i) => {
      const x = this.#x(c.keyframeOrigin + k.time, w);
      if (k.dwell > 0) {
        // a pause: a band along the top as long as it lasts
        g.fillStyle = i === c.selected ? '#ffffffcc' : '#ffffff66';
        g.fillRect(x, 2, Math.max(2, this.#x(c.keyframeOrigin + k.time + k.dwell, w) - x), 5);
      }
      g.strokeStyle = i === c.selected ? '#ffffff' : '#ffffff55';
      g.setLineDash([3, 3]);
      g.beginPath();
      g.moveTo(x, PAD_TOP - 4);
      g.lineTo(x, h - PAD_BOTTOM + 2);
      g.stroke();
      g.setLineDash([]);
      return { x: r.left + x, time: k.time };
    });
    const gripper = (c.gripper ?? []).map((e) => {
      // a gripper event: a solid mark across the lanes, labelled with what the gripper does there
      const x = this.#x(e.time, w);
      g.strokeStyle = GRIPPER;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x, PAD_TOP - 4);
      g.lineTo(x, h - PAD_BOTTOM + 2);
      g.stroke();
      g.lineWidth = 1;
      const label = e.closure >= 0.95 ? 'close' : e.closure <= 0.05 ? 'open' : `${Math.round(100 * e.closure)}%`;
      g.fillStyle = GRIPPER;
      g.fillText(label, Math.min(x + 3, w - 8 - g.measureText(label).width), h - PAD_BOTTOM - 3);
      return { x: r.left + x, time: e.time, closure: e.closure };
    });
    let trim: CurvesShown['trim'] = null;
    if (c.trim) {
      const a = this.#x(c.trim.from, w);
      const b = this.#x(c.trim.to, w);
      g.fillStyle = '#000000aa';
      g.fillRect(PAD_X, 0, a - PAD_X, h);
      g.fillRect(b, 0, w - 8 - b, h);
      g.fillStyle = '#6fd3a8';
      for (const x of [a, b]) {
        g.fillRect(x - 1.5, 0, 3, h);
        g.fillRect(x - 5, h / 2 - 12, 10, 24);
      }
      trim = { fromX: r.left + a, toX: r.left + b };
    }
    let playheadX: number | null = null;
    if (c.playhead !== null) {
      const x = this.#x(c.playhead, w);
      g.strokeStyle = '#ff6b6b';
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, h);
      g.stroke();
      g.lineWidth = 1;
      playheadX = r.left + x;
    }
    g.fillStyle = '#9aa9b6';
    g.fillText('0 s', PAD_X, h - 3);
    const end = `${this.duration.toFixed(1)} s`;
    g.fillText(end, w - 8 - g.measureText(end).width, h - 3);
    this.shown = { joints: n, points, keyframes, trim, playheadX, gripper, box: { x: r.left, y: r.top, width: r.width, height: r.height } };
  }

  #down(e: PointerEvent): void {
    const c = this.content;
    if (!c || c.samples.length === 0) return;
    const w = this.canvas.clientWidth;
    const x = e.offsetX;
    if (c.trim) {
      for (const kind of ['from', 'to'] as const) {
        if (Math.abs(x - this.#x(c.trim[kind], w)) <= GRAB) {
          this.#drag = { kind, index: -1 };
          this.canvas.setPointerCapture(e.pointerId);
          return;
        }
      }
    }
    let best = -1;
    let bestDist = GRAB + 1;
    c.keyframes.forEach((k, i) => {
      const d = Math.abs(x - this.#x(c.keyframeOrigin + k.time, w));
      if (d < bestDist) (best = i), (bestDist = d);
    });
    this.events.emit('select', { index: best >= 0 ? best : null });
    if (best >= 0) {
      this.#drag = { kind: 'keyframe', index: best };
      this.canvas.setPointerCapture(e.pointerId);
    }
  }

  #move(e: PointerEvent): void {
    const c = this.content;
    const d = this.#drag;
    if (!c) return;
    const w = this.canvas.clientWidth;
    const t = Math.max(0, Math.min(this.duration, this.#t(e.offsetX, w)));
    if (!d) {
      // say what can be grabbed here
      const near = (c.trim && (Math.abs(e.offsetX - this.#x(c.trim.from, w)) <= GRAB || Math.abs(e.offsetX - this.#x(c.trim.to, w)) <= GRAB)) || c.keyframes.some((k) => Math.abs(e.offsetX - this.#x(c.keyframeOrigin + k.time, w)) <= GRAB);
      this.canvas.style.cursor = near ? 'ew-resize' : 'default';
      return;
    }
    if (d.kind === 'keyframe') this.events.emit('move', { index: d.index, time: t - c.keyframeOrigin });
    else if (c.trim) {
      const trim = d.kind === 'from' ? { from: Math.min(t, c.trim.to - 0.1), to: c.trim.to } : { from: c.trim.from, to: Math.max(t, c.trim.from + 0.1) };
      this.events.emit('trim', trim);
    }
  }
}
