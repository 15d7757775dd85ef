import { isBlack, keyCentre, type KeyboardDescription, type PianoArm } from '../description.js';
import { inverse } from '../planar.js';
import { moveTime } from './spline.js';

/** A note to play: MIDI pitch, onset and duration in seconds (from recall: spike times). */
export interface TimedNote {
  /** Index in the performance's note list (for reports). */
  index: number;
  pitch: number;
  time: number;
  duration: number;
}

/**
 * A hand move from one window to the next: the hand travels in a straight line along x with a
 * smoothstep profile, lifted by `lift` at mid-way so no finger brushes a key; joints follow by inverse
 * kinematics.
 */
export interface HandMove {
  start: number;
  duration: number;
  fromX: number;
  toX: number;
  y: number;
  lift: number;
  fromQ: number[];
  toQ: number[];
}

/** The hand position (x, y) along a move at fraction u of its duration. */
export function movePoint(m: HandMove, u: number): { x: number; y: number } {
  const c = Math.min(1, Math.max(0, u));
  const s = c * c * (3 - 2 * c);
  // the lift starts and ends with zero vertical speed, so the hand lands softly over the keys
  const w = 2 * c - 1;
  return { x: m.fromX + (m.toX - m.fromX) * s, y: m.y + m.lift * (1 - w * w) * (1 - w * w) };
}

/**
 * Shortest duration for a move under the joint speed and acceleration limits: the joint path is sampled
 * along the Cartesian path and the duration scaled until the peak joint speed and acceleration fit.
 */
export function moveDuration(robot: PianoArm, m: Omit<HandMove, 'start' | 'duration'>): number {
  const N = 24;
  const qs: number[][] = [];
  for (let i = 0; i <= N; i++) {
    const p = movePoint({ ...m, start: 0, duration: 1 }, i / N);
    const q = inverse(robot, p.x, p.y);
    if (!q) return Infinity;
    qs.push(q);
  }
  let T = moveTime(robot, m.fromQ, m.toQ);
  for (let j = 0; j < 3; j++) {
    const { maxSpeed, maxAccel } = robot.joints[j]!;
    for (let i = 1; i < N; i++) {
      const dq = (qs[i + 1]![j]! - qs[i - 1]![j]!) / (2 / N); // per unit u
      const ddq = (qs[i + 1]![j]! - 2 * qs[i]![j]! + qs[i - 1]![j]!) * N * N;
      T = Math.max(T, Math.abs(dq) / maxSpeed, Math.sqrt(Math.abs(ddq) / maxAccel));
    }
  }
  // the hand starts and stops at rest, accelerating hardest there: the second derivative at both ends
  const eps = 1e-3;
  for (const [u0, du] of [[0, eps], [1, -eps]] as const) {
    const e = [0, 1, 2, 3].map((k) => inverse(robot, movePoint({ ...m, start: 0, duration: 1 }, u0 + k * du).x, movePoint({ ...m, start: 0, duration: 1 }, u0 + k * du).y));
    if (e.some((q) => !q)) return Infinity;
    for (let j = 0; j < 3; j++) {
      const q = (k: number) => e[k]![j]!;
      const ddq = (2 * q(0) - 5 * q(1) + 4 * q(2) - q(3)) / (eps * eps);
      T = Math.max(T, Math.sqrt(Math.abs(ddq) / robot.joints[j]!.maxAccel));
    }
  }
  return T;
}

/** One finger stroke: extend at `down`, retract at `up`, reaching `depth` below the key's top. */
export interface Strike {
  finger: number;
  pitch: number;
  note: number;
  down: number;
  up: number;
  /** Finger extension at full stroke, m. */
  extension: number;
}

export type PlanIssueKind = 'out-of-reach' | 'out-of-span' | 'too-fast';

export interface PlanIssue {
  kind: PlanIssueKind;
  /** Indices of the notes concerned. */
  notes: number[];
  message: string;
}

export interface ArmPlan {
  robot: PianoArm;
  /** Joint angles at the start (hand over the first window). */
  startQ: number[];
  moves: HandMove[];
  strikes: Strike[];
  issues: PlanIssue[];
  /** Notes the plan strikes. */
  planned: number;
}

/** Geometry shared by planner and physics: hover height and stroke timing of the fingers. */
export interface HandGeometry {
  /** Height of the finger tips above the white key tops while hovering, m. */
  hover: number;
  /** How deep a finger pushes a key, m (between the keyboard's pressDepth and travel). */
  pressTo: number;
  /** Time the hand must be still before a finger strikes, s (settling of the joint controller). */
  settle: number;
  /** Shortest time a key is held before the hand may leave, s. */
  minHold: number;
  /** How far the hand rises at mid-move, m. */
  lift: number;
}

export function handGeometry(kb: KeyboardDescription): HandGeometry {
  return { hover: kb.blackRaise + 0.008, pressTo: (kb.pressDepth + kb.travel) / 2, settle: 0.012, minHold: 0.03, lift: 0.02 };
}

/**
 * Time for a released key to rise from the stroke depth back above its release depth, s: the key's
 * spring-mass motion (damping 0.7 of critical, as in the physics), integrated once.
 */
export function keyReturnTime(kb: KeyboardDescription, g: HandGeometry): number {
  const w = Math.sqrt(kb.springStiffness / kb.keyMass);
  let x = g.pressTo;
  let v = 0;
  const dt = 1e-4;
  let t = 0;
  while (x > kb.releaseDepth && t < 1) {
    v += (-w * w * x - 2 * 0.7 * w * v) * dt;
    x += v * dt;
    t += dt;
  }
  return t + 0.005;
}

/**
 * A struck key must come back up past its release depth before it can sound again: the earlier stroke
 * of a repeated key is cut short by the key's return time (and a finger's own retraction when the same
 * finger strikes again). Works across several arms' strike lists, since two hands may share a key.
 * Returns the notes whose key could not come back up in time.
 */
export function separateRepeatedKeys(kb: KeyboardDescription, g: HandGeometry, lists: Strike[][], strokeTime: number): number[] {
  const keyReturn = keyReturnTime(kb, g);
  const byKey = new Map<number, Array<{ s: Strike; arm: number }>>();
  lists.forEach((list, arm) => {
    for (const s of list) (byKey.get(s.pitch) ?? byKey.set(s.pitch, []).get(s.pitch)!).push({ s, arm });
  });
  const tooFast: number[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.s.down - b.s.down);
    for (let k = 0; k + 1 < list.length; k++) {
      const a = list[k]!;
      const b = list[k + 1]!;
      const sameFinger = a.arm === b.arm && a.s.finger === b.s.finger;
      const latestUp = b.s.down - Math.max(keyReturn, sameFinger ? strokeTime : 0);
      if (a.s.up > latestUp) {
        if (latestUp < a.s.down + 0.01) tooFast.push(b.s.note);
        a.s.up = Math.max(a.s.down + 0.01, latestUp);
      }
    }
  }
  return tooFast;
}

/** Plans several arms that share one keyboard: each arm alone, then repeated keys across arms. */
export function planArms(kb: KeyboardDescription, arms: Array<{ robot: PianoArm; notes: TimedNote[] }>): ArmPlan[] {
  const plans = arms.map((a) => planArm(a.robot, kb, a.notes));
  if (plans.length > 1) {
    const g = handGeometry(kb);
    const tooFast = separateRepeatedKeys(kb, g, plans.map((p) => p.strikes), Math.max(...arms.map((a) => a.robot.hand.strokeTime)));
    if (tooFast.length) {
      plans[0]!.issues.push({ kind: 'too-fast', notes: tooFast, message: `${tooFast.length} notes repeat a key the other arm has just struck, too closely for the key to come back up` });
    }
  }
  return plans;
}

/** Height of a key's top above the white key tops, m. */
export function keyTop(kb: KeyboardDescription, pitch: number): number {
  return isBlack(pitch) ? kb.blackRaise : 0;
}

/** Finger extension that pushes `pitch` to `pressTo`, and the time from stroke start until the key sounds. */
export function strokeFor(robot: PianoArm, kb: KeyboardDescription, g: HandGeometry, pitch: number): { extension: number; lead: number } {
  const speed = robot.hand.travel / robot.hand.strokeTime;
  const toTop = g.hover - keyTop(kb, pitch);
  return { extension: Math.min(robot.hand.travel, toTop + g.pressTo), lead: (toTop + kb.pressDepth) / speed };
}

/** The hand's x when finger 0 is over key `base` (fingers on the key slots). */
export function handX(robot: PianoArm, kb: KeyboardDescription, base: number): number {
  return keyCentre(kb, base) + ((robot.hand.fingers - 1) / 2) * robot.hand.spacing;
}

interface Event {
  time: number;
  notes: TimedNote[];
}

/** Move durations between every pair of reachable windows, per robot placement (cached). */
const moveTables = new Map<string, Float64Array>();

function moveTable(robot: PianoArm, kb: KeyboardDescription, minB: number, maxB: number, y: number, lift: number): Float64Array {
  const key = JSON.stringify([robot.piano.base, robot.piano.elbow, robot.piano.links, robot.hand, kb, y, lift]);
  let t = moveTables.get(key);
  if (t) return t;
  const W = maxB - minB + 1;
  t = new Float64Array(W * W);
  const q = (b: number) => inverse(robot, handX(robot, kb, b), y)!;
  for (let a = 0; a < W; a++) {
    for (let c = a + 1; c < W; c++) {
      const fromQ = q(a + minB);
      const toQ = q(c + minB);
      const d = moveDuration(robot, { fromX: handX(robot, kb, a + minB), toX: handX(robot, kb, c + minB), y, lift, fromQ, toQ });
      const back = moveDuration(robot, { fromX: handX(robot, kb, c + minB), toX: handX(robot, kb, a + minB), y, lift, fromQ: toQ, toQ: fromQ });
      t[a * W + c] = d;
      t[c * W + a] = back;
    }
  }
  moveTables.set(key, t);
  return t;
}

/**
 * Plans one arm: groups notes into events, drops what is out of reach, chooses for each event a hand
 * window (which key is under finger 0) by dynamic programming so the arm plays as many notes as its
 * joint limits allow with the fewest moves, times each move to arrive before its event's first stroke,
 * and assigns each note its finger. Everything the arm cannot do is reported with the note indices.
 */
export function planArm(robot: PianoArm, kb: KeyboardDescription, notes: TimedNote[]): ArmPlan {
  const g = handGeometry(kb);
  const F = robot.hand.fingers;
  const issues: PlanIssue[] = [];
  const y = g.hover; // the hand's underside (end of link 3) hovers where the finger tips rest
  // which window bases the arm can reach
  const reachable = (b: number) => inverse(robot, handX(robot, kb, b), y) !== null;
  const lowB = kb.lowest - (F - 1);
  const highB = kb.lowest + kb.keys - 1;
  const okBases: number[] = [];
  for (let b = lowB; b <= highB; b++) if (reachable(b)) okBases.push(b);
  if (okBases.length === 0) {
    issues.push({ kind: 'out-of-reach', notes: notes.map((n) => n.index), message: `${robot.name} cannot reach the keyboard at all` });
    return { robot, startQ: [0, 0, 0], moves: [], strikes: [], issues, planned: 0 };
  }
  const minB = okBases[0]!;
  const maxB = okBases[okBases.length - 1]!;

  const sorted = [...notes].sort((a, b) => a.time - b.time || a.pitch - b.pitch);
  const events: Event[] = [];
  for (const n of sorted) {
    const last = events[events.length - 1];
    if (last && n.time - last.time < 0.001) last.notes.push(n);
    else events.push({ time: n.time, notes: [n] });
  }

  // notes out of reach are dropped first
  const unreach: number[] = [];
  for (const e of events) {
    const kept = e.notes.filter((n) => n.pitch >= minB && n.pitch <= maxB + F - 1);
    for (const n of e.notes) if (!kept.includes(n)) unreach.push(n.index);
    e.notes = kept;
  }
  if (unreach.length) issues.push({ kind: 'out-of-reach', notes: unreach, message: `${unreach.length} notes outside ${robot.name}'s reach` });

  // choose a window per event by dynamic programming: the most notes played, then the fewest and
  // shortest moves, where a move between two events must fit in the time between them (release,
  // finger retraction, the move under the joint limits, settling, the next stroke)
  const W = maxB - minB + 1;
  const dur = moveTable(robot, kb, minB, maxB, y, g.lift);
  const overhead = g.minHold + robot.hand.strokeTime + g.settle + robot.hand.strokeTime;
  const E = events.length;
  const back = new Int16Array(E * W);
  let prev = new Float64Array(W);
  let cur = new Float64Array(W);
  const value = new Float64Array(W);
  const windowValue = (e: Event) => {
    value.fill(0);
    for (const n of e.notes) {
      const lo = Math.max(minB, n.pitch - F + 1);
      const hi = Math.min(maxB, n.pitch);
      for (let c = lo; c <= hi; c++) value[c - minB]! += 1e6;
    }
  };
  for (let i = 0; i < E; i++) {
    windowValue(events[i]!);
    if (i === 0) {
      for (let c = 0; c < W; c++) prev[c] = value[c]!;
      continue;
    }
    const gap = events[i]!.time - events[i - 1]!.time;
    for (let c = 0; c < W; c++) {
      let best = prev[c]!; // stay
      let from = c;
      for (let a = 0; a < W; a++) {
        if (a === c || dur[a * W + c]! + overhead > gap) continue;
        const v = prev[a]! - 1000 - Math.abs(a - c);
        if (v > best) (best = v), (from = a);
      }
      cur[c] = best + value[c]!;
      back[i * W + c] = from;
    }
    [prev, cur] = [cur, prev];
  }
  const base: number[] = new Array(E).fill(NaN);
  if (E > 0) {
    let c = 0;
    for (let k = 1; k < W; k++) if (prev[k]! > prev[c]!) c = k;
    for (let i = E - 1; i >= 0; i--) {
      base[i] = c + minB;
      if (i > 0) c = back[i * W + c]!;
    }
  }
  const span: number[] = [];
  const dropped: number[] = [];
  events.forEach((e, i) => {
    const b = base[i]!;
    const kept = e.notes.filter((n) => n.pitch >= b && n.pitch < b + F);
    if (kept.length < e.notes.length) {
      const wide = Math.max(...e.notes.map((n) => n.pitch)) - Math.min(...e.notes.map((n) => n.pitch)) > F - 1;
      for (const n of e.notes) if (!kept.includes(n)) (wide ? span : dropped).push(n.index);
    }
    e.notes = kept;
  });
  if (span.length) issues.push({ kind: 'out-of-span', notes: span, message: `${span.length} notes in chords wider than the ${F}-finger hand` });
  if (dropped.length) {
    issues.push({ kind: 'too-fast', notes: dropped, message: `${dropped.length} notes left out: ${robot.name} cannot move its hand there in time under its joint speed and acceleration limits` });
  }

  // moves and strikes
  const moves: HandMove[] = [];
  const strikes: Strike[] = [];
  const qOf = (b: number) => inverse(robot, handX(robot, kb, b), y)!;
  const firstB = base.find((b) => !Number.isNaN(b));
  const startQ = firstB === undefined ? qOf(okBases[okBases.length >> 1]!) : qOf(firstB);
  let curB = firstB ?? NaN;
  let lastSound = -Infinity;
  let handReady = -Infinity;
  const lateNotes: number[] = [];
  let planned = 0;
  events.forEach((e, i) => {
    const b = base[i]!;
    if (Number.isNaN(b) || e.notes.length === 0) return;
    const leads = e.notes.map((n) => strokeFor(robot, kb, g, n.pitch).lead);
    const firstStroke = e.time - Math.max(...leads);
    if (b !== curB) {
      const fromQ = qOf(curB);
      const toQ = qOf(b);
      const geom = { fromX: handX(robot, kb, curB), toX: handX(robot, kb, b), y, lift: g.lift, fromQ, toQ };
      const T = moveDuration(robot, geom);
      const latest = firstStroke - g.settle - T;
      const earliest = lastSound + g.minHold;
      const start = Math.max(earliest, latest);
      if (start > latest + 1e-9) {
        lateNotes.push(...e.notes.map((n) => n.index));
      }
      moves.push({ ...geom, start, duration: T });
      handReady = start + T + g.settle;
      // keys still held when the hand leaves are let go, the fingers back up before it moves
      const leave = start - robot.hand.strokeTime;
      for (const s of strikes) if (s.up > leave) s.up = Math.max(s.down + 0.001, leave);
      curB = b;
    }
    for (const n of e.notes) {
      const f = n.pitch - b;
      const { extension, lead } = strokeFor(robot, kb, g, n.pitch);
      const down = Math.max(n.time - lead, handReady);
      // hold for the note's duration from when it actually sounds (later than written if the hand was late)
      const up = Math.max(n.time, down + lead) + Math.max(0.005, n.duration);
      strikes.push({ finger: f, pitch: n.pitch, note: n.index, down, up, extension });
      planned++;
      lastSound = Math.max(lastSound, down + lead);
    }
  });
  const repeatTooFast = separateRepeatedKeys(kb, g, [strikes], robot.hand.strokeTime);
  if (repeatTooFast.length) {
    issues.push({ kind: 'too-fast', notes: repeatTooFast, message: `${repeatTooFast.length} repeated notes follow the previous stroke of their key too closely for the key to come back up` });
  }
  if (lateNotes.length) {
    issues.push({ kind: 'too-fast', notes: lateNotes, message: `${lateNotes.length} notes come too soon after a hand move for ${robot.name}'s joint speed and acceleration limits` });
  }
  return { robot, startQ, moves, strikes, issues, planned };
}
