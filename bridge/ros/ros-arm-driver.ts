import { Action, ActionClient, Goal, Topic } from 'roslib';
import type { RobotDescription } from '../../robots/description.js';
import type { DriverEvents, GoalResult, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { completeVelocities } from '../../robots/motion/spline.js';
import { SafetyError } from '../safety-gate.js';
import { RosGripper, type RosGripperOptions } from './ros-gripper.js';
import { RosLink } from './ros-link.js';

export interface RosArmOptions {
  /** rosbridge WebSocket URL, e.g. ws://127.0.0.1:9090; or a link shared with other users of the same rosbridge. */
  url?: string;
  link?: RosLink;
  description: RobotDescription;
  /**
   * ROS joint names, in the description's joint order (joint states are matched by name). Default: the
   * description's own joint names (a description read from the robot's URDF already has them).
   */
  jointNames?: string[];
  /** The trajectory controller's name: commands go to /<controller>/command (ROS 1) or /<controller>/joint_trajectory (ROS 2). */
  controller?: string;
  rosVersion?: 1 | 2;
  jointStatesTopic?: string;
  /** Finger commands: std_msgs/Float64MultiArray [finger, extension, at] on this topic. */
  fingersTopic?: string;
  /**
   * How trajectories reach the controller: 'topic' (trajectory_msgs/JointTrajectory on its command
   * topic: the controller answers nothing, so no result events) or 'action'
   * (control_msgs/FollowJointTrajectory on /<controller>/follow_joint_trajectory: actionlib for ROS 1,
   * a ROS 2 action for ROS 2; every goal's outcome is a result event). Default 'topic'.
   */
  command?: 'topic' | 'action';
  /**
   * The robot's gripper, when it has one: a control_msgs/GripperCommand action (its name, e.g.
   * /gripper_controller/gripper_cmd, and the command's position open and closed). The description
   * then has a gripper, and skills open and close it.
   */
  gripper?: RosGripperOptions;
  /** Reconnect backoff, ms: first delay and cap. */
  backoffMs?: [number, number];
  /** A joint whose state has not come for this long (robot clock) is missing, ms. */
  staleMs?: number;
}

interface JointStateMsg {
  header?: { stamp?: Stamp };
  name?: unknown;
  position?: unknown;
  velocity?: unknown;
}

type Stamp = { sec?: number; secs?: number; nanosec?: number; nsecs?: number };
type FjtResult = { error_code?: number; error_string?: string };

/** FollowJointTrajectory's error codes, named in error texts. */
const CODE_NAMES: Record<number, string> = {
  0: 'SUCCESSFUL',
  [-1]: 'INVALID_GOAL',
  [-2]: 'INVALID_JOINTS',
  [-3]: 'OLD_HEADER_TIMESTAMP',
  [-4]: 'PATH_TOLERANCE_VIOLATED',
  [-5]: 'GOAL_TOLERANCE_VIOLATED',
};

/** A goal sent and not yet finished. */
interface PendingGoal {
  /** Order of sending: a goal preempted after a newer one of ours was sent was superseded by it. */
  seq: number;
  cancel(): void;
  /** Drops roslib's bookkeeping for it (roslib keeps every goal and listener otherwise). */
  forget(): void;
  /** Cancelled by stop(): its end is the stop, which the gate reports. */
  stopped: boolean;
}

/** At most this many goals are tracked; the oldest is forgotten (its result, if one ever comes, is not reported). */
const MAX_PENDING = 32;
/** Joints one joint state message may name (a whole robot's, grippers included); a longer one is dropped unread. */
const MAX_STATE_JOINTS = 256;
/** Names of a joint state message quoted in an error, at most (each cut to 64 characters). */
const QUOTED_NAMES = 12;

const noop = () => undefined;

/** The options without the gripper's (kept by RosGripper). */
function withoutGripper(options: RosArmOptions): Omit<RosArmOptions, 'gripper'> {
  const { gripper: _, ...rest } = options;
  return rest;
}

/**
 * An arm behind a rosbridge (ROS 1 or 2), through roslib, with any number of joints.
 *
 * Joint states: sensor_msgs/JointState, matched by joint name. Joints the arm does not have (a gripper,
 * published beside the arm's or alone by another node at another rate) are ignored and nothing grows
 * with them. A joint that stops coming (or never came) is an error only while it is needed: one 'error'
 * event when its state has been missing for `staleMs` (local clock: nodes' clocks may differ), and again
 * only after it came back and went missing once more; a command while it is missing is refused naming
 * it. Malformed joint states are dropped, said once until a good one comes. The robot clock is the
 * header stamp of the arm's own joint states, advanced by the local clock between them.
 *
 * Commands: every trajectory names all the arm's joints, with velocities at every point (filled as the
 * gate checks them when missing, robots/motion/spline.ts), stamped with its first point's time, which
 * must not be in the robot's past (a controller rejects old goals: the command is refused here,
 * naming how late it is). In 'action' mode every goal's outcome is a 'result' event carrying the
 * controller's error_code and error_string: succeeded (ok), rejected at send, aborted, or preempted by
 * someone else. Two outcomes are not reported, because something else reports them: a goal this driver
 * cancelled (stop(): the gate reports the stop) and a goal superseded by a newer goal of this driver
 * (the newer goal's outcome is the one that counts). A ROS 2 rejection carries no error code through
 * rosbridge: it is reported as INVALID_GOAL (-1), the only reason ros2_controllers rejects a goal, and
 * says so. In 'topic' mode the controller answers nothing: there are no result events (`reportsResults`
 * is false).
 *
 * Link: roslib never reconnects by itself and queues publishes while disconnected: this driver
 * reconnects with backoff (roslib then re-subscribes its topics) and refuses commands while the link
 * is down instead of letting them queue.
 */
export class RosArmDriver implements RobotDriver {
  readonly description: RobotDescription;
  readonly #o: Required<Omit<RosArmOptions, 'description' | 'url' | 'link' | 'gripper'>>;
  readonly #gripper: RosGripper | null;
  readonly #link: RosLink;
  readonly #ownLink: boolean;
  readonly #n: number;
  /** ROS joint name -> joint index. */
  readonly #index: Map<string, number>;
  readonly #q: Float64Array;
  readonly #v: Float64Array;
  /** Local clock (ms) when each joint's state last came (NaN: never); staleness is judged on it, whatever the nodes' clocks. */
  readonly #seenAt: Float64Array;
  /** Local clock (ms) when the first joint state message came. */
  #firstAt = NaN;
  /** The arm's last joint state stamp, s (the robot clock). */
  #lastStamp = NaN;
  /** Local clock (ms) when the arm's last joint state came. */
  #receivedAt = 0;
  #missingReported = false;
  #malformedReported = false;
  #state: JointState = { time: 0, positions: [], velocities: [], fingers: [] };
  /** How closed the gripper is, from its finger joint's state (when configured). */
  #gripperClosure: number | undefined;
  readonly #trajectory: Topic;
  readonly #fingers: Topic;
  readonly #states: Topic<JointStateMsg>;
  readonly #offLink: () => void;
  #actionlib: ActionClient | null = null;
  #action: Action<unknown, unknown, FjtResult> | null = null;
  readonly #goals = new Map<string, PendingGoal>();
  #seq = 0;
  /** state, connection, result (action mode: each goal's outcome), error. */
  readonly events = new Emitter<DriverEvents>();

  constructor(options: RosArmOptions) {
    const names = options.jointNames ?? options.description.joints.map((j) => j.name);
    if (names.length !== options.description.joints.length) {
      throw new RangeError(`RosArmDriver: ${names.length} joint names for ${options.description.joints.length} joints`);
    }
    if (new Set(names).size !== names.length) throw new RangeError(`RosArmDriver: a joint name is given twice (${names.join(', ')})`);
    if (!options.link && !options.url) throw new TypeError('RosArmDriver: give the rosbridge url or a link');
    this.#ownLink = !options.link;
    this.#link = options.link ?? new RosLink(options.url!, options.backoffMs);
    this.#gripper = options.gripper ? new RosGripper(this.#link, options.rosVersion ?? 1, options.gripper, () => this.#robotNow()) : null;
    this.description = this.#gripper ? { ...options.description, gripper: { seconds: this.#gripper.seconds } } : options.description;
    this.#gripper?.events.on('gripper', (g) => this.events.emit('gripper', g));
    this.#o = {
      controller: 'arm_controller',
      rosVersion: 1,
      jointStatesTopic: '/joint_states',
      fingersTopic: `/${options.controller ?? 'arm_controller'}/fingers`,
      backoffMs: [200, 5000],
      command: 'topic',
      staleMs: 500,
      ...withoutGripper(options),
      jointNames: names,
    };
    this.#n = names.length;
    this.#index = new Map(names.map((name, j) => [name, j]));
    this.#q = new Float64Array(this.#n);
    this.#v = new Float64Array(this.#n);
    this.#seenAt = new Float64Array(this.#n).fill(NaN);
    this.#offLink = this.#link.onConnection((up) => {
      if (!up) this.#forgetGoals(); // their results went with the link
      this.events.emit('connection', up);
    });
    const ros = this.#link.ros;
    const v2 = this.#o.rosVersion === 2;
    const pkg = (p: string, t: string) => (v2 ? `${p}/msg/${t}` : `${p}/${t}`);
    this.#trajectory = new Topic({
      ros,
      name: v2 ? `/${this.#o.controller}/joint_trajectory` : `/${this.#o.controller}/command`,
      messageType: pkg('trajectory_msgs', 'JointTrajectory'),
    });
    if (this.#o.command === 'action') {
      const name = this.#actionName;
      if (v2) this.#action = new Action({ ros, name, actionType: 'control_msgs/action/FollowJointTrajectory' });
      else this.#actionlib = new ActionClient({ ros, serverName: name, actionName: 'control_msgs/FollowJointTrajectoryAction' });
    }
    this.#fingers = new Topic({ ros, name: this.#o.fingersTopic, messageType: pkg('std_msgs', 'Float64MultiArray') });
    this.#states = new Topic<JointStateMsg>({ ros, name: this.#o.jointStatesTopic, messageType: pkg('sensor_msgs', 'JointState') });
    this.#states.subscribe(this.#onJointState);
  }

  /** The arm's ROS joint names, in the description's joint order. */
  get jointNames(): string[] {
    return this.#o.jointNames;
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  /** Whether the controller's outcomes come as result events (action mode) or not at all (topic mode). */
  get reportsResults(): boolean {
    return this.#o.command === 'action';
  }

  get #actionName(): string {
    return `/${this.#o.controller}/follow_joint_trajectory`;
  }

  /** Connects (resolves on the first connection; later drops reconnect by themselves). */
  connect(timeoutMs = 5000): Promise<void> {
    return this.#link.connect(timeoutMs);
  }

  /** Unsubscribes and forgets its goals; closes the link if this driver made it (a shared link is closed by its owner). */
  close(): void {
    this.#gripper?.close();
    this.#forgetGoals();
    this.#offLink();
    this.#states.unsubscribe(this.#onJointState);
    this.#actionlib?.dispose();
    this.#trajectory.unadvertise();
    this.#fingers.unadvertise();
    if (this.#ownLink) this.#link.close();
  }

  /** The robot's clock now, s: the last joint state's stamp plus the local time since it came. */
  #robotNow(): number {
    return this.#lastStamp + (Date.now() - this.#receivedAt) / 1000;
  }

  readonly #onJointState = (m: JointStateMsg): void => {
    const names = m?.name;
    const pos = m?.position;
    const at = Date.now();
    if (Number.isNaN(this.#firstAt)) this.#firstAt = at;
    if (!Array.isArray(names) || !Array.isArray(pos) || pos.length !== names.length) return this.#malformed('a message without matching name and position arrays');
    if (names.length > MAX_STATE_JOINTS) return this.#malformed(`a message naming more than ${MAX_STATE_JOINTS} joints`);
    const vel = Array.isArray(m.velocity) ? m.velocity : [];
    const finger = this.#gripper?.joint;
    if (finger !== undefined) {
      const k = names.indexOf(finger);
      const p = k >= 0 ? pos[k] : undefined;
      if (typeof p === 'number' && Number.isFinite(p)) this.#gripperClosure = Math.min(1, Math.max(0, this.#gripper!.closure(p)));
    }
    let hits = 0;
    let bad = false;
    for (let i = 0; i < names.length; i++) {
      const j = this.#index.get(names[i] as string);
      if (j === undefined) continue;
      const q = pos[i];
      if (typeof q !== 'number' || !Number.isFinite(q)) {
        bad = true;
        continue;
      }
      const v = vel[i];
      this.#q[j] = q;
      this.#v[j] = typeof v === 'number' && Number.isFinite(v) ? v : 0;
      this.#seenAt[j] = at;
      hits++;
    }
    if (bad) this.#malformed('a joint position that is not a finite number');
    if (hits > 0) {
      // the robot clock comes from the arm's own messages (another node's clock may differ)
      const s = m.header?.stamp;
      const stamped = s ? (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9 : 0;
      this.#lastStamp = stamped > 0 ? stamped : Number.isNaN(this.#lastStamp) ? at / 1000 : this.#robotNow();
      this.#receivedAt = at;
    }
    if (this.#missingAt(at) < 0) {
      this.#missingReported = false;
      if (hits === 0 || bad) return; // another node's joints only (a gripper): nothing of the arm changed
      this.#malformedReported = false;
      this.#state = { time: this.#lastStamp, positions: Array.from(this.#q), velocities: Array.from(this.#v), fingers: this.#state.fingers, ...(this.#gripperClosure === undefined ? {} : { gripper: this.#gripperClosure }) };
      this.events.emit('state', this.#state);
    } else if (at - this.#firstAt > this.#o.staleMs) {
      this.#reportMissing(at, names as string[]);
    }
  };

  /** Says once (until a good joint state comes) that a joint state was dropped, and why. */
  #malformed(what: string): void {
    if (this.#malformedReported) return;
    this.#malformedReported = true;
    this.events.emit('error', { message: `${this.#o.jointStatesTopic}: ${what} was dropped` });
  }

  /** The first joint whose state has not come for staleMs at local time `at` (ms), or -1. */
  #missingAt(at: number): number {
    for (let j = 0; j < this.#n; j++) if (!(at - this.#seenAt[j]! <= this.#o.staleMs)) return j;
    return -1;
  }

  /** Says once (until the joints come back) which joints have no state, and what the joint states do name. */
  #reportMissing(at: number, seen?: readonly string[]): string {
    const missing = this.#o.jointNames.filter((_, j) => !(at - this.#seenAt[j]! <= this.#o.staleMs));
    const quoted = seen ? ` (the last message names ${seen.slice(0, QUOTED_NAMES).map((n) => (String(n).length > 64 ? `${String(n).slice(0, 64)}...` : String(n))).join(', ')}${seen.length > QUOTED_NAMES ? ', ...' : ''})` : '';
    const message = `${this.#o.jointStatesTopic}: no state for joint${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')} for ${this.#o.staleMs} ms${quoted}`;
    if (!this.#missingReported) {
      this.#missingReported = true;
      this.events.emit('error', { message });
    }
    return message;
  }

  #publish(topic: Topic, msg: unknown): void {
    this.#checkLink();
    topic.publish(msg);
  }

  #stamp(x: number): Stamp {
    const sec = Math.floor(x);
    const ns = Math.min(999_999_999, Math.round((x - sec) * 1e9));
    return this.#o.rosVersion === 2 ? { sec, nanosec: ns } : { secs: sec, nsecs: ns };
  }

  follow(points: TrajectoryPoint[]): void {
    if (points.length === 0) return;
    const n = this.#o.jointNames.length;
    const bad = points.findIndex((p) => p.positions.length !== n || (p.velocities !== undefined && p.velocities.length !== n));
    if (bad >= 0) throw new SafetyError('malformed', `${this.description.name}: trajectory point ${bad} needs ${n} joint positions (${this.#o.jointNames.join(', ')}), got ${points[bad]!.positions.length}`);
    this.#checkLink();
    if (Number.isNaN(this.#lastStamp)) {
      throw new SafetyError('disconnected', `${this.description.name}: no joint state has come on ${this.#o.jointStatesTopic} yet: the command is refused`);
    }
    if (this.#missingAt(Date.now()) >= 0) throw new SafetyError('disconnected', `${this.description.name}: ${this.#reportMissing(Date.now())}: the command is refused`);
    const now = this.#robotNow();
    const start = points[0]!.time;
    if (start < now) {
      throw new SafetyError(
        'malformed',
        `${this.description.name}: the trajectory starts ${((now - start) * 1000).toFixed(1)} ms in the robot's past (robot clock ${now.toFixed(3)} s): a controller rejects old goals, so it is not sent`,
      );
    }
    const trajectory = {
      header: { stamp: this.#stamp(start), frame_id: '' },
      joint_names: this.#o.jointNames,
      points: completeVelocities(points).map((p) => ({
        positions: [...p.positions],
        velocities: [...p.velocities],
        accelerations: p.accelerations ? [...p.accelerations] : [],
        effort: [],
        time_from_start: this.#stamp(p.time - start),
      })),
    };
    if (this.#o.command === 'topic') return this.#publish(this.#trajectory, trajectory);
    const goal = { trajectory, path_tolerance: [], goal_tolerance: [], goal_time_tolerance: this.#stamp(0) };
    if (this.#action) this.#sendGoal2(goal);
    else this.#sendGoal1(goal);
  }

  /** ROS 1: an actionlib goal; its result message carries the final status and the controller's result. */
  #sendGoal1(goalMessage: unknown): void {
    const client = this.#actionlib!;
    const g = new Goal({ actionClient: client, goalMessage });
    const id = g.goalID;
    this.#track(id, {
      seq: ++this.#seq,
      stopped: false,
      cancel: () => g.cancel(),
      forget: () => {
        delete client.goals[id];
        g.removeAllListeners();
      },
    });
    g.on('result', (result) => {
      const status = (g.status as { status?: number; text?: string } | undefined) ?? {};
      const r = (result ?? {}) as FjtResult;
      // actionlib: 3 SUCCEEDED, 4 ABORTED, 5 REJECTED, 2 PREEMPTED, 8 RECALLED
      const how = status.status === 3 ? 'succeeded' : status.status === 5 ? 'rejected' : status.status === 2 || status.status === 8 ? 'preempted' : 'aborted';
      this.#finished(id, how, r.error_code ?? 0, r.error_string || status.text || '');
    });
    g.send();
  }

  /** ROS 2: rosbridge's send_action_goal; the action_result message is read here, not through roslib's callbacks (they lose the status and the code). */
  #sendGoal2(goal: unknown): void {
    const ros = this.#link.ros;
    const id = this.#action!.sendGoal(goal, noop, noop, noop);
    if (!id) return;
    this.#track(id, {
      seq: ++this.#seq,
      stopped: false,
      cancel: () => this.#action!.cancelGoal(id),
      forget: () => void ros.removeAllListeners(id),
    });
    ros.on(id, (msg: { op?: string; result?: boolean; status?: number; values?: unknown }) => {
      if (msg?.op !== 'action_result') return;
      if (!msg.result) {
        // rejected, or rosbridge could not send it: no result, only rosbridge's text
        const text = typeof msg.values === 'string' ? msg.values : 'the goal was not accepted';
        return this.#finished(id, 'rejected', -1, `${text} (a ROS 2 rejection carries no error code)`);
      }
      // older rosbridges wrap it: {status, result}
      const v = (msg.values ?? {}) as FjtResult & { status?: number; result?: FjtResult };
      const r = v.result && typeof v.result === 'object' ? v.result : v;
      const status = msg.status ?? v.status;
      // action_msgs/GoalStatus: 4 SUCCEEDED, 5 CANCELED, 6 ABORTED
      const how = status === 4 ? 'succeeded' : status === 5 ? 'preempted' : 'aborted';
      this.#finished(id, how, r.error_code ?? 0, r.error_string ?? '');
    });
  }

  #track(id: string, goal: PendingGoal): void {
    this.#goals.set(id, goal);
    if (this.#goals.size > MAX_PENDING) {
      const [oldest, g] = this.#goals.entries().next().value!;
      this.#goals.delete(oldest);
      g.forget();
    }
  }

  #finished(id: string, how: 'succeeded' | 'rejected' | 'aborted' | 'preempted', code: number, text: string): void {
    const g = this.#goals.get(id);
    if (!g) return;
    this.#goals.delete(id);
    g.forget();
    if (how === 'preempted' && (g.stopped || g.seq < this.#seq)) return; // our stop, or our newer goal: reported elsewhere
    const ok = how === 'succeeded' && code === 0;
    const name = CODE_NAMES[code] ? ` (${CODE_NAMES[code]})` : '';
    const what = how === 'succeeded' ? (ok ? 'goal succeeded' : 'goal ended') : `goal ${how === 'preempted' ? 'preempted by another client' : how}`;
    const result: GoalResult = { ok, code };
    if (!ok) result.error = `${this.#actionName}: ${what}: error_code ${code}${name}${text ? `: ${text}` : ''}`;
    this.events.emit('result', result);
  }

  #forgetGoals(): void {
    for (const g of this.#goals.values()) g.forget();
    this.#goals.clear();
  }

  #checkLink(): void {
    if (!this.#link.connected) {
      throw new SafetyError('disconnected', `rosbridge ${this.#link.url}: the link is down, the command is refused (roslib would queue it)`);
    }
  }

  press(finger: number, extension: number, at = this.#state.time): void {
    this.#publish(this.#fingers, { layout: { dim: [], data_offset: 0 }, data: [finger, extension, at] });
  }

  release(finger: number, at = this.#state.time): void {
    this.press(finger, 0, at);
  }

  state(): JointState {
    return this.#state;
  }

  /** A gripper command (robots configured with one): a GripperCommand goal, sent when the robot's clock reaches `at`. */
  grip(closure: number, at?: number): void {
    if (!this.#gripper) throw new SafetyError('limits', `${this.description.name} has no gripper configured`);
    this.#gripper.grip(closure, at);
  }

  /**
   * Cancels running FollowJointTrajectory and GripperCommand goals, drops gripper commands not sent
   * yet, and sends an empty trajectory (which stops a ROS trajectory controller); sent only while
   * connected, never queued.
   */
  stop(reason = 'stop command'): void {
    this.#gripper?.stop(reason);
    this.events.emit('stopped', { reason });
    if (!this.#link.connected) return void this.#forgetGoals();
    for (const g of this.#goals.values()) {
      g.stopped = true;
      g.cancel();
    }
    this.#trajectory.publish({ header: { frame_id: '' }, joint_names: this.#o.jointNames, points: [] });
  }
}
