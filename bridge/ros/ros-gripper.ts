import { Action, ActionClient, Goal } from 'roslib';
import type { GripperResult } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { SafetyError } from '../safety-gate.js';
import type { RosLink } from './ros-link.js';

/** A gripper behind a control_msgs/GripperCommand action, as a robot's configuration names it. */
export interface RosGripperOptions {
  /** The action's name, e.g. /gripper_controller/gripper_cmd (ros_control's gripper_action_controller). */
  action: string;
  /** The command's position (m of opening, or the finger joint's rad) when open and when closed. */
  openPosition: number;
  closedPosition: number;
  /** The command's max_effort, N (0: as the controller's default). Default 0. */
  maxEffort?: number;
  /** How long it takes to open or close fully, s: how long a skill waits for its answer. Default 1. */
  seconds?: number;
  /** The finger joint's name in /joint_states (its position in the command's units): the gripper's state, recorded with demonstrations. */
  joint?: string;
}

type Stamp = { status?: number; text?: string };
type GripperCommandResult = { position?: number; effort?: number; stalled?: boolean; reached_goal?: boolean };

/** A goal sent and not finished. */
interface PendingGrip {
  closure: number;
  cancel(): void;
  forget(): void;
  /** Cancelled by stop(): ends as cancelled, whatever the server says. */
  stopped: boolean;
}

/** Goals tracked at most (the oldest is forgotten). */
const MAX_PENDING = 16;
const noop = () => undefined;

/**
 * The gripper of a ROS robot: control_msgs/GripperCommand goals (ROS 1 actionlib
 * control_msgs/GripperCommandAction; ROS 2 control_msgs/action/GripperCommand), closure 0..1 mapped
 * linearly onto the command's position from open to closed. The action has no start time: a command
 * for later is held here and sent when the robot's clock reaches it; stop() drops those and cancels
 * the goals under way. Each goal's outcome is a 'gripper' event: ok when the server says it
 * succeeded (it got there, or stalled on what it grasped), else rejected, aborted, preempted or
 * cancelled, with the result's position as a closure.
 */
export class RosGripper {
  readonly #o: Required<Omit<RosGripperOptions, 'joint'>> & { joint?: string };
  readonly #link: RosLink;
  readonly #now: () => number;
  #actionlib: ActionClient | null = null;
  #action: Action<unknown, unknown, GripperCommandResult> | null = null;
  readonly #goals = new Map<string, PendingGrip>();
  readonly #timers = new Map<NodeJS.Timeout, number>();
  readonly events = new Emitter<{ gripper: GripperResult }>();

  constructor(link: RosLink, rosVersion: 1 | 2, options: RosGripperOptions, robotNow: () => number) {
    if (typeof options.action !== 'string' || !/^\/?[A-Za-z][\w/]*$/.test(options.action)) throw new RangeError('RosGripper: the action must be a ROS name such as /gripper_controller/gripper_cmd');
    for (const k of ['openPosition', 'closedPosition'] as const) if (!Number.isFinite(options[k])) throw new RangeError(`RosGripper: ${k} must be a number`);
    if (options.openPosition === options.closedPosition) throw new RangeError('RosGripper: openPosition and closedPosition must differ');
    this.#o = { maxEffort: 0, seconds: 1, ...options };
    if (!(this.#o.maxEffort >= 0) || !(this.#o.seconds > 0)) throw new RangeError('RosGripper: maxEffort must be >= 0 and seconds > 0');
    this.#link = link;
    this.#now = robotNow;
    if (rosVersion === 2) this.#action = new Action({ ros: link.ros, name: this.#o.action, actionType: 'control_msgs/action/GripperCommand' });
    else this.#actionlib = new ActionClient({ ros: link.ros, serverName: this.#o.action, actionName: 'control_msgs/GripperCommandAction' });
  }

  get seconds(): number {
    return this.#o.seconds;
  }

  /** The finger joint whose state says how closed the gripper is, if configured. */
  get joint(): string | undefined {
    return this.#o.joint;
  }

  /** The command's position for a closure. */
  position(closure: number): number {
    return this.#o.openPosition + closure * (this.#o.closedPosition - this.#o.openPosition);
  }

  /** A position the server reports, as a closure. */
  closure(position: number): number {
    return (position - this.#o.openPosition) / (this.#o.closedPosition - this.#o.openPosition);
  }

  /** Sends a goal to `closure` now, or when the robot's clock reaches `at`. Refused while the link is down. */
  grip(closure: number, at?: number): void {
    if (!this.#link.connected) throw new SafetyError('disconnected', `rosbridge ${this.#link.url}: the link is down, the gripper command is refused (roslib would queue it)`);
    const delay = at === undefined ? 0 : (at - this.#now()) * 1000;
    if (!(delay > 0)) return this.#send(closure);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#link.connected) return this.events.emit('gripper', { ok: false, closure, error: `${this.#o.action}: not sent: the link to rosbridge was down when it was due` });
      this.#send(closure);
    }, delay);
    this.#timers.set(timer, closure);
  }

  #send(closure: number): void {
    const goal = { command: { position: this.position(closure), max_effort: this.#o.maxEffort } };
    if (this.#action) this.#send2(goal, closure);
    else this.#send1(goal, closure);
  }

  /** ROS 1: an actionlib goal; the result message carries the final status and the GripperCommand result. */
  #send1(goalMessage: unknown, closure: number): void {
    const client = this.#actionlib!;
    const g = new Goal({ actionClient: client, goalMessage });
    const id = g.goalID;
    this.#track(id, {
      closure,
      stopped: false,
      cancel: () => g.cancel(),
      forget: () => {
        delete client.goals[id];
        g.removeAllListeners();
      },
    });
    g.on('result', (result) => {
      const status = (g.status as Stamp | undefined) ?? {};
      // actionlib: 3 SUCCEEDED, 4 ABORTED, 5 REJECTED, 2 PREEMPTED, 8 RECALLED
      const how = status.status === 3 ? 'succeeded' : status.status === 5 ? 'rejected' : status.status === 2 || status.status === 8 ? 'preempted' : 'aborted';
      this.#finished(id, how, (result ?? {}) as GripperCommandResult, status.text ?? '');
    });
    g.send();
  }

  /** ROS 2: rosbridge's send_action_goal, its action_result read directly (roslib's callbacks lose the status). */
  #send2(goal: unknown, closure: number): void {
    const ros = this.#link.ros;
    const id = this.#action!.sendGoal(goal, noop, noop, noop);
    if (!id) return void this.events.emit('gripper', { ok: false, closure, error: `${this.#o.action}: the goal could not be sent` });
    this.#track(id, { closure, stopped: false, cancel: () => this.#action!.cancelGoal(id), forget: () => void ros.removeAllListeners(id) });
    ros.on(id, (msg: { op?: string; result?: boolean; status?: number; values?: unknown }) => {
      if (msg?.op !== 'action_result') return;
      if (!msg.result) return this.#finished(id, 'rejected', {}, typeof msg.values === 'string' ? msg.values : 'the goal was not accepted');
      const v = (msg.values ?? {}) as GripperCommandResult & { status?: number; result?: GripperCommandResult };
      const r = v.result && typeof v.result === 'object' ? v.result : v;
      const status = msg.status ?? v.status;
      // action_msgs/GoalStatus: 4 SUCCEEDED, 5 CANCELED, 6 ABORTED
      this.#finished(id, status === 4 ? 'succeeded' : status === 5 ? 'preempted' : 'aborted', r, '');
    });
  }

  #track(id: string, goal: PendingGrip): void {
    this.#goals.set(id, goal);
    if (this.#goals.size > MAX_PENDING) {
      const [oldest, g] = this.#goals.entries().next().value!;
      this.#goals.delete(oldest);
      g.forget();
    }
  }

  #finished(id: string, how: 'succeeded' | 'rejected' | 'aborted' | 'preempted', r: GripperCommandResult, text: string): void {
    const g = this.#goals.get(id);
    if (!g) return;
    this.#goals.delete(id);
    g.forget();
    const result: GripperResult = { ok: how === 'succeeded' && !g.stopped, closure: g.closure };
    if (typeof r.position === 'number' && Number.isFinite(r.position)) result.position = this.closure(r.position);
    if (typeof r.stalled === 'boolean') result.stalled = r.stalled;
    if (!result.ok) {
      const what = g.stopped ? 'goal cancelled (stop)' : `goal ${how === 'preempted' ? 'preempted' : how}`;
      const detail = [r.stalled ? 'stalled' : '', r.reached_goal === false && how !== 'rejected' ? 'goal not reached' : '', text].filter(Boolean).join('; ');
      result.error = `${this.#o.action}: ${what}${detail ? `: ${detail.slice(0, 500)}` : ''}`;
    }
    this.events.emit('gripper', result);
  }

  /** Drops the commands not sent yet and cancels the goals under way (each ends not ok). */
  stop(reason: string): void {
    for (const [timer, closure] of this.#timers) {
      clearTimeout(timer);
      this.events.emit('gripper', { ok: false, closure, error: `${this.#o.action}: gripper command cancelled (${reason})` });
    }
    this.#timers.clear();
    if (!this.#link.connected) return this.#forget();
    for (const g of this.#goals.values()) {
      g.stopped = true;
      g.cancel();
    }
  }

  /** Forgets every goal (their answers went with the link). */
  #forget(): void {
    for (const g of this.#goals.values()) g.forget();
    this.#goals.clear();
  }

  close(): void {
    for (const timer of this.#timers.keys()) clearTimeout(timer);
    this.#timers.clear();
    this.#forget();
    this.#actionlib?.dispose();
  }
}
