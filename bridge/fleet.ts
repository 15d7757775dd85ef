import type { KeyboardDescription } from '../robots/description.js';
import { moveTime } from '../robots/motion/spline.js';
import { loadKeyboard } from '../robots/load.js';
import { Emitter } from '../robots/events.js';
import { plannedPath } from '../robots/motion/planned-path.js';
import type { EventSink, FleetDescription, FleetEvents, JogResult, RobotFleet, RobotStatus } from '../src/agent/robot-fleet.js';
import { DemonstrationRecorder, robotJoints, type DemoSample, type SkillJoint } from '../src/skills/demonstration.js';
import { restOfSkill } from '../src/skills/recognise-skill.js';
import { keyframesToTrajectory } from '../robots/motion/skill-trajectory.js';
import { performEnsemble } from '../robots/motion/ensemble.js';
import type { MotionSource } from '../robots/motion/motion-source.js';
import { fastestTempo, SafetyError, type SafetyGate } from './safety-gate.js';
import type { GoalResult, GripperResult, TrajectoryPoint } from '../robots/driver.js';

/** FollowJointTrajectory's error code for a goal that starts too far in the robot's past. */
const OLD_HEADER_TIMESTAMP = -3;

/** One robot the agent drives: its safety gate (every command goes through it) and how it is reached. */
export interface FleetMember {
  id: string;
  transport: 'mqtt' | 'ros';
  gate: SafetyGate;
  /** The robot's own joint names, in its description's joint order (ROS names may differ from the description's). */
  jointNames: string[];
  /** Whether the robot reports the keys it presses ('key' events): without them what it plays cannot be scored. */
  reportsKeys?: boolean;
  /** Whether the transport link is up (the gate also knows). */
  linkUp?: () => boolean;
  dispose?: () => void;
}

interface Activity {
  what: string;
  abort: AbortController;
  /** Set when the operator stopped it (stop command): a stop asked for, not a failure. */
  stoppedBy?: string;
  /** What went wrong on the robots while it ran: rejected or aborted goals, stops nobody asked for. */
  failures: string[];
  /** Listeners on the robots' gates, removed when the activity ends. */
  unsubscribe: Array<() => void>;
}

/** Two decimals, rounded down: a tempo that still fits. */
const floor2 = (x: number) => (Math.floor(x * 100) / 100).toFixed(2);

/** A keyframe counts as reached when every joint is this close to it when it is due, rad. */
const REACHED = 0.05;

/** How long past its due time a gripper command may take to be answered, s. */
const GRIPPER_GRACE = 2;

/**
 * A time of the trajectory as asked, on the trajectory as sent (slowed by the gate's fit: the same
 * points, later): linear between the points around it.
 */
function retimed(asked: readonly TrajectoryPoint[], sent: readonly TrajectoryPoint[], t: number): number {
  if (asked === sent) return t;
  if (asked.length !== sent.length) {
    // not point for point: scaled as the whole is
    const a0 = asked[0]!.time;
    const s0 = sent[0]!.time;
    const span = asked[asked.length - 1]!.time - a0;
    return span > 0 ? s0 + ((t - a0) * (sent[sent.length - 1]!.time - s0)) / span : t;
  }
  let i = 0;
  while (i < asked.length - 2 && asked[i + 1]!.time < t) i++;
  const a = asked[i]!;
  const b = asked[i + 1] ?? a;
  const u = b.time > a.time ? (t - a.time) / (b.time - a.time) : 0;
  return sent[i]!.time + u * ((sent[i + 1] ?? sent[i]!).time - sent[i]!.time);
}

/**
 * What a skill's result says of its gripper events: how many it had, were sent and performed; a
 * warning when some were not (no gripper on this robot, no answer). Nothing for a skill without any.
 */
function gripperOutcome(robot: string, events: number, sent: number, answers: readonly GripperResult[]): Record<string, unknown> {
  if (events === 0) return {};
  const performed = answers.filter((g) => g.ok).length;
  const gripper = { events, sent, performed };
  if (sent === 0) return { gripper, warning: `robot '${robot}' has no gripper: the skill's ${events} gripper event${events === 1 ? ' was' : 's were'} not performed` };
  if (performed < events) return { gripper, warning: `${events - performed} of ${events} gripper events were not performed` };
  return { gripper };
}

/** A robot is busy with one thing at a time; stop() ends it. */
export class FleetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetError';
  }
}

/**
 * The robots the agent drives over MQTT and ROS. Performs pieces (one robot per track, on the shared
 * pacemaker clock) and skills (keyframes recalled from the memory, as a trajectory), records
 * demonstrations from joint states, and stops: stop() reaches every gate at once and ends whatever was
 * running. Progress goes out as events: note (a key the robot played), keyframe (a skill keyframe
 * reached, with the joint error there), teach progress, performed, stopped.
 */
export class Fleet implements RobotFleet {
  readonly #motion: MotionSource;
  readonly #kb: KeyboardDescription;
  readonly #members = new Map<string, FleetMember>();
  readonly #busy = new Map<string, Activity>();
  readonly #unlisten = new Map<string, Array<() => void>>();
  /** Where each robot's last jog ends (its clock): the next jog starts there while it is still ahead. */
  readonly #jogs = new Map<string, { time: number; positions: number[] }>();
  /** Every member's joint states, status changes and planned paths, tagged with its id (for live views). */
  readonly events = new Emitter<FleetEvents>();

  constructor(motion: MotionSource, options: { keyboard?: KeyboardDescription } = {}) {
    this.#motion = motion;
    this.#kb = options.keyboard ?? loadKeyboard();
  }

  add(member: FleetMember): void {
    if (this.#members.has(member.id)) throw new FleetError(`robot '${member.id}' is already connected`);
    if (member.jointNames.length !== member.gate.description.joints.length) {
      throw new FleetError(`robot '${member.id}': ${member.jointNames.length} joint names for ${member.gate.description.joints.length} joints`);
    }
    this.#members.set(member.id, member);
    const id = member.id;
    const ev = member.gate.events;
    this.#unlisten.set(id, [
      ev.on('state', (state) => this.events.emit('state', { id, state })),
      ev.on('connection', () => this.events.emit('status', { id })),
      ev.on('stopped', () => this.events.emit('status', { id })),
    ]);
    this.events.emit('members', { ids: [...this.#members.keys()] });
  }

  remove(id: string): void {
    const m = this.#members.get(id);
    if (!m) return;
    this.stop('removed', [id]);
    m.gate.dispose();
    m.dispose?.();
    for (const off of this.#unlisten.get(id) ?? []) off();
    this.#unlisten.delete(id);
    this.#members.delete(id);
    this.events.emit('members', { ids: [...this.#members.keys()] });
  }

  close(): void {
    for (const id of [...this.#members.keys()]) this.remove(id);
  }

  member(id: string): FleetMember {
    const m = this.#members.get(id);
    if (!m) throw new FleetError(`robot '${id}': not connected (connected: ${[...this.#members.keys()].join(', ') || 'none'})`);
    return m;
  }

  list(): RobotStatus[] {
    return [...this.#members.values()].map((m) => ({
      id: m.id,
      transport: m.transport,
      robot: m.gate.description.name,
      joints: m.jointNames,
      connected: m.gate.connected && (m.linkUp?.() ?? true),
      stopped: m.gate.stopped,
      stopReason: m.gate.lastStopReason,
      activity: this.#busy.get(m.id)?.what ?? 'idle',
      positions: m.gate.state().positions,
    }));
  }

  describe(): FleetDescription {
    return { keyboard: this.#kb, robots: this.list().map((s) => ({ ...s, description: this.member(s.id).gate.description })) };
  }

  joints(id: string): SkillJoint[] {
    const m = this.member(id);
    return robotJoints(m.gate.description, m.jointNames);
  }

  stop(reason: string, ids?: string[]): string[] {
    const targets = ids ?? [...this.#members.keys()];
    const done: string[] = [];
    for (const id of targets) {
      const m = this.#members.get(id);
      if (!m) continue;
      const busy = this.#busy.get(id);
      if (busy) busy.stoppedBy ??= reason;
      m.gate.stop(reason); // first: the stop reaches the robot whatever else happens
      this.#jogs.delete(id); // a queued jog is dropped with everything else
      busy?.abort.abort();
      done.push(id);
    }
    return done;
  }

  /** Resumes the robots that can be (connected, idle); says why each other one was not. */
  resume(ids?: string[]): { resumed: string[]; refused: Array<{ robot: string; reason: string }> } {
    const targets = ids ?? [...this.#members.keys()];
    const resumed: string[] = [];
    const refused: Array<{ robot: string; reason: string }> = [];
    for (const id of targets) {
      const m = this.#members.get(id);
      if (!m) refused.push({ robot: id, reason: 'not connected to this agent' });
      else if (this.#busy.has(id)) refused.push({ robot: id, reason: `busy (${this.#busy.get(id)!.what})` });
      else if (!m.gate.connected || m.linkUp?.() === false) refused.push({ robot: id, reason: 'the link is down: resume once it is back' });
      else {
        m.gate.resume();
        resumed.push(id);
        this.events.emit('status', { id });
      }
    }
    return { resumed, refused };
  }

  #claim(ids: string[], what: string): Activity {
    const members = ids.map((id) => this.member(id));
    for (const m of members) {
      const b = this.#busy.get(m.id);
      if (b) throw new FleetError(`robot '${m.id}' is busy (${b.what}): stop it first`);
      if (m.gate.stopped) throw new FleetError(`robot '${m.id}' is stopped (${m.gate.lastStopReason}): resume it first`);
      if (!m.gate.connected || m.linkUp?.() === false) throw new FleetError(`robot '${m.id}' is not connected`);
    }
    const a: Activity = { what, abort: new AbortController(), failures: [], unsubscribe: [] };
    // whatever the robots report while busy: a rejected or aborted goal, or a stop the operator did not
    // ask for (watchdog, link loss), ends the activity and makes its answer an error
    for (const m of members) {
      a.unsubscribe.push(
        m.gate.events.on('result', (r) => {
          if (r.ok) return;
          a.failures.push(`robot '${m.id}': ${r.error ?? `the controller refused the goal (error_code ${r.code})`}`);
          if (!a.abort.signal.aborted) this.stop(`goal failed: error_code ${r.code}`, ids);
        }),
        // a gripper command refused or aborted fails the activity like a goal; those a stop cancelled do not
        m.gate.events.on('gripper', (g) => {
          if (g.ok || a.stoppedBy !== undefined) return;
          a.failures.push(`robot '${m.id}': gripper: ${g.error ?? 'the gripper command failed'}`);
          if (!a.abort.signal.aborted) this.stop('gripper command failed', ids);
        }),
        m.gate.events.on('stopped', ({ reason }) => {
          if (a.stoppedBy !== undefined) return;
          a.failures.push(`robot '${m.id}' was stopped: ${reason}`);
          a.stoppedBy = reason;
          if (!a.abort.signal.aborted) this.stop(reason, ids);
        }),
      );
    }
    for (const m of members) this.#busy.set(m.id, a);
    for (const m of members) this.events.emit('status', { id: m.id });
    return a;
  }

  #release(ids: string[], a: Activity): void {
    for (const off of a.unsubscribe) off();
    for (const id of ids) {
      if (this.#busy.get(id) !== a) continue;
      this.#busy.delete(id);
      this.events.emit('status', { id });
    }
  }

  /** Throws when something went wrong on a robot during the activity, saying what and what was done. */
  #failIfBroken(a: Activity, done: string): void {
    if (a.failures.length === 0) return;
    throw new FleetError(`${a.what}: ${[...new Set(a.failures)].join('; ')} (${done})`);
  }

  async performPiece(title: string, ids: string[], options: { tempo?: number; seconds?: number }, emit: EventSink): Promise<unknown> {
    if (new Set(ids).size !== ids.length) throw new FleetError(`robots: a robot is named twice (${ids.join(', ')})`);
    for (const id of ids) {
      const d = this.member(id).gate.description;
      if (!d.piano || !d.hand) {
        throw new FleetError(`robot '${id}' (${d.name}) has no keyboard and fingers: a piece is played by piano arms; perform a skill on it instead`);
      }
    }
    const a = this.#claim(ids, `performing ${title}`);
    const members = ids.map((id) => this.member(id));
    const unscored = members.filter((m) => !m.reportsKeys).map((m) => m.id);
    // keys as the robots report them: 'note' events on every channel
    const offKeys = members.map((m) => m.gate.events.on('key', (k) => emit({ type: 'note', robot: m.id, pitch: k.pitch, on: k.on, robotTime: k.time })));
    try {
      emit({ type: 'performing', title, robots: ids, tempo: options.tempo ?? 1 });
      const r = await performEnsemble(
        this.#motion,
        title,
        members.map((m) => ({ id: m.id, driver: m.gate })),
        this.#kb,
        { ...options, signal: a.abort.signal },
      );
      this.#failIfBroken(a, `${r.played.length} notes played of ${r.report.reference}`);
      const stopped = r.stopped;
      const summary = {
        title,
        robots: ids,
        stopped,
        ...(stopped ? { stopReason: a.stoppedBy ?? null } : {}),
        report: { ...r.report, missed: r.report.missed.length, extra: r.report.extra.length },
        lags: r.lags,
        notes: r.played.length,
        // robots that report no key presses: what they played is unknown, so not scored
        ...(unscored.length ? { unscored, warning: `no key feedback from ${unscored.join(', ')}: their notes are not scored` } : {}),
      };
      emit({ type: 'performed', title, robots: ids, stopped, f1: r.report.f1, notes: r.played.length, lags: r.lags });
      return summary;
    } catch (err) {
      // a refused command mid-performance: the rest must not play on
      if (!a.abort.signal.aborted) this.stop(`performance failed: ${(err as Error).message}`, ids);
      throw err;
    } finally {
      for (const off of offKeys) off();
      this.#release(ids, a);
    }
  }

  async performSkill(skill: string, id: string, options: { tempo?: number; fit?: boolean; from?: number }, emit: EventSink): Promise<unknown> {
    const m = this.member(id);
    const recalled = await this.#motion.recallSkill(skill, options);
    if (recalled.keyframes.length === 0) throw new FleetError(`skill '${skill}': recall produced no keyframes`);
    // skill joints -> this robot's joints, by name
    const order = m.jointNames.map((name) => recalled.joints.findIndex((j) => j.name === name));
    const missing = m.jointNames.filter((_, i) => order[i]! < 0);
    if (missing.length || recalled.joints.length !== m.jointNames.length) {
      throw new FleetError(`skill '${skill}' moves joints ${recalled.joints.map((j) => j.name).join(', ')}; robot '${id}' has ${m.jointNames.join(', ')}`);
    }
    const all = recalled.keyframes.map((k) => ({ ...k, positions: order.map((j) => k.positions[j]!) }));
    // a skill completed from where a motion got to (identify-skill): only the rest of it
    const rest = options.from === undefined ? { keyframes: all, gripper: recalled.gripper ?? [] } : restOfSkill(all, options.from / recalled.tempo, recalled.gripper);
    const keyframes = rest.keyframes;
    if (keyframes.length === 0) throw new FleetError(`skill '${skill}': nothing of it is left after ${options.from!.toFixed(2)} s`);
    const a = this.#claim([id], `performing ${skill}`);
    let due = 0;
    try {
      const now = m.gate.state().time;
      const from = m.gate.state().positions;
      // at least a short move: a strict controller refuses two points at the same time
      const setup = Math.max(0.05, moveTime(m.gate.description, from, keyframes[0]!.positions));
      const zero = from.map(() => 0);
      // the last joint state heard may be older than the robot's clock by the link's delay (a busy
      // agent: a few hundred ms seen under load): the goal starts far enough ahead that the robot never
      // finds it in its past (it refuses a goal more than 0.1 s old, and the skill would stop)
      const lead = 0.25;
      const start = now + lead + setup + 0.15;
      const asked = [
        { time: now + lead, positions: from, velocities: zero },
        { time: now + lead + setup, positions: keyframes[0]!.positions, velocities: zero },
        ...keyframesToTrajectory(keyframes, start),
      ];
      // the point where each keyframe is left (after its pause): when it is due
      const leave: number[] = [];
      for (let i = 0, p = 2; i < keyframes.length; i++) leave.push((p += keyframes[i]!.dwell > 0 ? 2 : 1) - 1);
      // all of it within limits at this tempo, or nothing moves; with fit, slowed until it is
      let points = asked;
      let tempo = recalled.tempo;
      if (options.fit) {
        const fitted = m.gate.fit(asked);
        points = fitted.points;
        tempo *= fitted.factor;
      } else {
        try {
          m.gate.checkTrajectory(asked);
        } catch (err) {
          const fastest = err instanceof SafetyError ? fastestTempo(err, tempo) : undefined;
          if (fastest === undefined) throw err;
          throw new FleetError(`skill '${skill}' at tempo ${tempo}: ${(err as Error).message}. The fastest tempo that fits is ${floor2(fastest)}: ask for that, or send fit: true to slow it down to it`);
        }
      }
      this.events.emit('path', { id, title: skill, ...plannedPath(points) });
      emit({ type: 'performing', title: skill, robots: [id], tempo, keyframes: keyframes.length, ...(tempo !== recalled.tempo ? { fittedFrom: recalled.tempo } : {}) });
      // gripper events at their time on the robot's clock, slowed with the trajectory when it was fitted
      const grips = rest.gripper.map((g) => ({ closure: g.closure, at: retimed(asked, points, start + g.time) }));
      const gripper = m.gate.description.gripper;
      const answers: GripperResult[] = [];
      const offGripper = m.gate.events.on('gripper', (g) => {
        answers.push(g);
        emit({ type: 'gripper', title: skill, robot: id, closure: g.closure, ok: g.ok, index: answers.length - 1, of: grips.length });
      });
      a.unsubscribe.push(offGripper);
      m.gate.follow(points);
      if (gripper) {
        try {
          for (const g of grips) m.gate.grip(g.closure, g.at);
        } catch (err) {
          // the motion is on its way: it must not go on without its gripper
          this.stop(`gripper command refused: ${(err as Error).message}`, [id]);
          throw err;
        }
      }
      // keyframe events when each is due on the robot's own clock, with how far the robot was from it
      // then (its first joint state at or after that time): no wall-clock guessing of where it is
      const errors: number[] = [];
      const sent = gripper ? grips.length : 0;
      const lastGrip = sent ? Math.max(...grips.map((g) => g.at)) + gripper!.seconds : -Infinity;
      const endTime = Math.max(points[points.length - 1]!.time, lastGrip) + 0.3;
      await new Promise<void>((resolve) => {
        const off = m.gate.events.on('state', (s) => {
          while (due < keyframes.length && s.time >= points[leave[due]!]!.time) {
            const k = keyframes[due]!;
            const error = Math.max(...k.positions.map((q, j) => Math.abs(q - (s.positions[j] ?? NaN))));
            errors.push(error);
            emit({ type: 'keyframe', title: skill, robot: id, index: due, of: keyframes.length, error });
            due++;
          }
          // done once the end has passed and every gripper command was answered (or a while after)
          if (s.time >= endTime && (answers.length >= sent || s.time >= endTime + GRIPPER_GRACE)) finish();
        });
        const finish = () => (off(), resolve());
        a.abort.signal.addEventListener('abort', finish, { once: true });
      });
      this.#failIfBroken(a, `${due} of ${keyframes.length} keyframes were due before it ended`);
      const stopped = a.abort.signal.aborted;
      const result = {
        title: skill,
        robot: id,
        tempo,
        ...(tempo !== recalled.tempo ? { fittedFrom: recalled.tempo } : {}),
        keyframes: keyframes.length,
        // keyframes whose time came before the end, and those the robot was at (within REACHED rad) then
        due,
        reached: errors.filter((e) => e <= REACHED).length,
        maxError: errors.length ? Math.max(...errors) : null,
        stopped,
        ...(stopped ? { stopReason: a.stoppedBy ?? null } : {}),
        incomplete: recalled.incomplete,
        ...gripperOutcome(id, grips.length, sent, answers),
      };
      emit({ type: 'performed', title: skill, robots: [id], stopped, keyframes: due });
      return result;
    } finally {
      this.#release([id], a);
    }
  }

  /**
   * Opens or closes an idle robot's gripper now (through its safety gate); resolves when the gripper
   * answers that it got there, rejects when it was refused or aborted, or did not answer in time.
   */
  async grip(id: string, closure: number): Promise<{ robot: string; closure: number; position: number | null }> {
    const m = this.member(id);
    const busy = this.#busy.get(id);
    if (busy) throw new FleetError(`robot '${id}' is busy (${busy.what}): stop it first`);
    const gripper = m.gate.description.gripper;
    if (!gripper) throw new FleetError(`gripper: robot '${id}' has no gripper`);
    if (!m.gate.connected || m.linkUp?.() === false) throw new FleetError(`robot '${id}' is not connected`);
    if (m.gate.stopped) throw new FleetError(`robot '${id}' is stopped (${m.gate.lastStopReason}): resume it first`);
    let off = () => {};
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<GripperResult>((resolve) => {
      const wait = gripper.seconds + GRIPPER_GRACE;
      timer = setTimeout(() => resolve({ ok: false, closure, error: `no answer from the gripper within ${wait} s` }), wait * 1000);
      off = m.gate.events.on('gripper', (g) => g.closure === closure && resolve(g));
    });
    try {
      m.gate.grip(closure);
      const r = await answer;
      if (!r.ok) throw new FleetError(`gripper: robot '${id}': ${r.error ?? 'the gripper command failed'}`);
      return { robot: id, closure, position: r.position ?? null };
    } finally {
      clearTimeout(timer);
      off();
    }
  }

  async jog(id: string, positions: number[]): Promise<JogResult> {
    const m = this.member(id);
    const busy = this.#busy.get(id);
    if (busy) throw new FleetError(`robot '${id}' is busy (${busy.what}): stop it first`);
    const n = m.gate.description.joints.length;
    if (positions.length !== n) throw new FleetError(`jog: robot '${id}' has ${n} joints (${m.jointNames.join(', ')}), got ${positions.length} positions`);
    // the joint state the agent has may be older than the robot's clock (a busy link): a goal that
    // would start too far in its past is refused by the robot, so the one retry leads by more
    let answer = await this.#jogOnce(m, positions, 0.15);
    if (!answer.result.ok && answer.result.code === OLD_HEADER_TIMESTAMP) answer = await this.#jogOnce(m, positions, 0.4);
    if (!answer.result.ok) throw new FleetError(`jog: robot '${id}' refused the move: ${answer.result.error ?? `code ${answer.result.code}`}`);
    return { robot: id, positions: [...positions], until: answer.until, seconds: answer.seconds };
  }

  /** One jog goal, answered when the robot reports how it ended (or, from a robot that never says, a while after it should have). */
  async #jogOnce(m: FleetMember, positions: number[], lead: number): Promise<{ result: GoalResult; until: number; seconds: number }> {
    const id = m.id;
    const s = m.gate.state();
    const last = this.#jogs.get(id);
    const queued = last && last.time > s.time ? last : null;
    const zero = positions.map(() => 0);
    // rest to rest at half the limits (a person's careful move), never shorter than a quarter second
    const seconds = Math.max(0.25, 2 * moveTime(m.gate.description, queued?.positions ?? s.positions, positions));
    const start = queued?.time ?? s.time + lead;
    const asked = [...(queued ? [] : [{ time: start, positions: s.positions, velocities: zero }]), { time: start + seconds, positions: [...positions], velocities: zero }];
    // slower still when the gate says the limits need it; a position out of range is refused here
    const { points } = m.gate.fit(asked);
    const end = points[points.length - 1]!;
    // done when the robot answers the goal, or (robots that answer no goals) when its clock passes the move's end
    const result = new Promise<GoalResult>((resolve) => {
      const timer = setTimeout(() => finish({ ok: true, code: 0 }), (end.time - s.time + 2) * 1000);
      const offs = [m.gate.events.on('result', (r) => finish(r)), m.gate.events.on('state', (st) => st.time >= end.time && finish({ ok: true, code: 0 }))];
      const finish = (r: GoalResult) => (clearTimeout(timer), offs.forEach((off) => off()), resolve(r));
    });
    m.gate.follow(points);
    this.#jogs.set(id, { time: end.time, positions: [...positions] });
    const r = await result;
    if (!r.ok) this.#jogs.delete(id);
    return { result: r, until: end.time, seconds: end.time - start };
  }

  async record(id: string, seconds: number, emit: EventSink): Promise<DemoSample[]> {
    const m = this.member(id);
    const joints = this.joints(id);
    const a = this.#claim([id], `recording for ${seconds} s`);
    const rec = new DemonstrationRecorder(joints);
    const started = Date.now();
    try {
      await new Promise<void>((resolve) => {
        // every joint state the robot sends while recording (the recorder drops repeats and bad ones)
        const off = m.gate.events.on('state', (s) => rec.add(s.time, s.positions, undefined, m.gate.description.gripper ? s.gripper : undefined));
        const progress = setInterval(() => emit({ type: 'teach', phase: 'recording', robot: id, elapsed: (Date.now() - started) / 1000, seconds, samples: rec.samples.length }), 1000);
        const end = () => (off(), clearInterval(progress), resolve());
        const timer = setTimeout(end, seconds * 1000);
        a.abort.signal.addEventListener('abort', () => (clearTimeout(timer), end()), { once: true });
      });
    } finally {
      this.#release([id], a);
    }
    emit({ type: 'teach', phase: 'recorded', robot: id, samples: rec.samples.length, seconds: (Date.now() - started) / 1000, stopped: a.abort.signal.aborted });
    return rec.samples;
  }
}
