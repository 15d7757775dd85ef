import { isBlack, keyCentre, type KeyboardDescription, type RobotDescription } from '../robots/description.js';
import { inverse, moveTime } from '../robots/kinematics.js';

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
export function moveDuration(robot: RobotDescription, m: Omit<HandMove, 'start' | 'duration'>): number {
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
    const { maxSpeed, maxAccel } = robot.links[j]!.joint;
    for (let i = 1; i < N; i++) {
      const dq = (qs[i + 1]![j]! - qs[i - 1]![j]!) / (2 / N); // per unit u
      const ddq = (qs[i + 1]![j]! - 2 * qs[i]![j]! + qs[i - 1]![j]!) * N * N;
      T = Math.max(T, Math.abs(dq) / maxSpeed, Math.sqrt(Math.abs(ddq) / maxAccel));
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
  robot: RobotDescription;
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
export function planArms(kb: KeyboardDescription, arms: Array<{ robot: RobotDescription; notes: TimedNote[] }>): ArmPlan[] {
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
export function strokeFor(robot: RobotDescription, kb: KeyboardDescription, g: HandGeometry, pitch: number): { extension: number; lead: number } {
  const speed = robot.hand.travel / robot.hand.strokeTime;
  const toTop = g.hover - keyTop(kb, pitch);
  return { extension: Math.min(robot.hand.travel, toTop + g.pressTo), lead: (toTop + kb.pressDepth) / speed };
}

/** The hand's x when finger 0 is over key `base` (fingers on the key slots). */
export function handX(robot: RobotDescription, kb: KeyboardDescription, base: number): number {
  return keyCentre(kb, base) + ((robot.hand.fingers - 1) / 2) * robot.hand.spacing;
}

/** Height of the hand's underside (the end of link 3) when hovering, m. */
export function hoverHandY(g: HandGeometry): number {
  return g.hover;
}

interface Event {
  time: number;
  notes: TimedNote[];
}

/**
 * Plans one arm: groups notes into events, chooses for each a hand window (which key is under finger 0)
 * so that consecutive events share a window as long as they can (fewest moves), checks reach and the
 * comb's span, times each move to arrive before its event's first stroke under the joint limits, and
 * assigns each note its finger. Everything the arm cannot do is reported with the note indices.
 */
export function planArm(robot: RobotDescription, kb: KeyboardDescription, notes: TimedNote[]): ArmPlan {
  const g = handGeometry(kb);
  const F = robot.hand.fingers;
  const issues: PlanIssue[] = [];
  const y = hoverHandY(g);
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

  // feasible window interval per event (after reach and span), and the notes it drops
  const unreach: number[] = [];
  const span: number[] = [];
  const feasible: Array<[number, number]> = events.map((e) => {
    const inReach = e.notes.filter((n) => n.pitch >= minB && n.pitch <= maxB + F - 1);
    for (const n of e.notes) if (!inReach.includes(n)) unreach.push(n.index);
    e.notes = inReach;
    if (inReach.length === 0) return [NaN, NaN];
    const lo = Math.min(...inReach.map((n) => n.pitch));
    const hi = Math.max(...inReach.map((n) => n.pitch));
    if (hi - lo <= F - 1) return [Math.max(minB, hi - F + 1), Math.min(maxB, lo)];
    // wider than the comb: the window covering most notes (lowest first on ties)
    let best = lo;
    let bestCount = -1;
    for (let b = Math.max(minB, lo); b <= Math.min(maxB, hi); b++) {
      const c = inReach.filter((n) => n.pitch >= b && n.pitch < b + F).length;
      if (c > bestCount) (best = b), (bestCount = c);
    }
    const kept = inReach.filter((n) => n.pitch >= best && n.pitch < best + F);
    for (const n of inReach) if (!kept.includes(n)) span.push(n.index);
    e.notes = kept;
    return [best, best];
  });
  if (unreach.length) issues.push({ kind: 'out-of-reach', notes: unreach, message: `${unreach.length} notes outside ${robot.name}'s reach` });
  if (span.length) issues.push({ kind: 'out-of-span', notes: span, message: `${span.length} notes in chords wider than the ${F}-finger hand` });

  // segments of events sharing one window: extend while the intervals intersect; when the next event
  // does not fit, end the segment at the widest gap from which the rest still shares a window with it,
  // so the hand moves where there is most time
  const base: number[] = new Array(events.length).fill(NaN);
  const ok = (k: number) => !Number.isNaN(feasible[k]![0]);
  let prevB = NaN;
  for (let i = 0; i < events.length; ) {
    if (!ok(i)) {
      i++;
      continue;
    }
    let [lo, hi] = feasible[i]!;
    let j = i + 1;
    for (; j < events.length; j++) {
      if (!ok(j)) continue;
      const f = feasible[j]!;
      const nlo = Math.max(lo, f[0]);
      const nhi = Math.min(hi, f[1]);
      if (nlo > nhi) break;
      lo = nlo;
      hi = nhi;
    }
    let end = j;
    if (j < events.length) {
      let blo = feasible[j]![0];
      let bhi = feasible[j]![1];
      let bestGap = events[j]!.time - events[j - 1]!.time;
      for (let m = j - 1; m > i; m--) {
        if (!ok(m)) continue;
        blo = Math.max(blo, feasible[m]![0]);
        bhi = Math.min(bhi, feasible[m]![1]);
        if (blo > bhi) break;
        const gap = events[m]!.time - events[m - 1]!.time;
        if (gap > bestGap + 1e-9) (bestGap = gap), (end = m);
      }
      if (end !== j) {
        lo = feasible[i]![0];
        hi = feasible[i]![1];
        for (let k = i + 1; k < end; k++) if (ok(k)) (lo = Math.max(lo, feasible[k]![0])), (hi = Math.min(hi, feasible[k]![1]));
      }
    }
    const b = Number.isNaN(prevB) ? Math.round((lo + hi) / 2) : Math.min(hi, Math.max(lo, prevB));
    for (let k = i; k < end; k++) if (ok(k)) base[k] = b;
    prevB = b;
    i = end;
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
