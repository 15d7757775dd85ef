import { Action, ActionClient, Goal, Topic } from 'roslib';
import type { RobotDescription } from '../../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { SafetyError } from '../safety-gate.js';
import { RosLink } from './ros-link.js';

export interface RosArmOptions {
  /** rosbridge WebSocket URL, e.g. ws://127.0.0.1:9090; or a link shared with other users of the same rosbridge. */
  url?: string;
  link?: RosLink;
  description: RobotDescription;
  /** ROS joint names, in the description's joint order (joint states are matched by name). */
  jointNames: string[];
  /** The trajectory controller's name: commands go to /<controller>/command (ROS 1) or /<controller>/joint_trajectory (ROS 2). */
  controller?: string;
  rosVersion?: 1 | 2;
  jointStatesTopic?: string;
  /** Finger commands: std_msgs/Float64MultiArray [finger, extension, at] on this topic. */
  fingersTopic?: string;
  /**
   * How trajectories reach the controller: 'topic' (trajectory_msgs/JointTrajectory on its command
   * topic) or 'action' (control_msgs/FollowJointTrajectory on /<controller>/follow_joint_trajectory:
   * actionlib for ROS 1, a ROS 2 action for ROS 2). Default 'topic'.
   */
  command?: 'topic' | 'action';
  /** Reconnect backoff, ms: first delay and cap. */
  backoffMs?: [number, number];
}

interface JointStateMsg {
  header?: { stamp?: { sec?: number; secs?: number; nanosec?: number; nsecs?: number } };
  name: string[];
  position: number[];
  velocity?: number[];
}

/**
 * An arm behind a rosbridge (ROS 1 or 2), through roslib: joint states from sensor_msgs/JointState
 * (matched by joint name), trajectories out as trajectory_msgs/JointTrajectory on the controller's
 * topic. roslib never reconnects by itself and queues publishes while disconnected: this driver
 * reconnects with backoff (roslib then re-subscribes its topics) and refuses commands while the link
 * is down instead of letting them queue. The robot clock is the joint states' header stamp.
 */
export class RosArmDriver implements RobotDriver {
  readonly description: RobotDescription;
  readonly #o: Required<Omit<RosArmOptions, 'description' | 'url' | 'link'>>;
  readonly #link: RosLink;
  readonly #ownLink: boolean;
  #state: JointState = { time: 0, positions: [], velocities: [], fingers: [] };
  #trajectory: Topic;
  #fingers: Topic;
  #actionlib: ActionClient | null = null;
  #action: Action<unknown, unknown, { error_code?: number; error_string?: string }> | null = null;
  /** ROS 1 goals / ROS 2 goal ids still running (stop cancels them). */
  #goals = new Set<Goal<unknown> | string>();
  /** state, connection, result (each finished FollowJointTrajectory goal: ok, or what the controller said), error. */
  readonly events = new Emitter<DriverEvents>();

  constructor(options: RosArmOptions) {
    if (options.jointNames.length !== options.description.joints.length) {
      throw new RangeError(`RosArmDriver: ${options.jointNames.length} joint names for ${options.description.joints.length} joints`);
    }
    if (!options.link && !options.url) throw new TypeError('RosArmDriver: give the rosbridge url or a link');
    this.description = options.description;
    this.#ownLink = !options.link;
    this.#link = options.link ?? new RosLink(options.url!, options.backoffMs);
    this.#o = {
      controller: 'arm_controller',
      rosVersion: 1,
      jointStatesTopic: '/joint_states',
      fingersTopic: `/${options.controller ?? 'arm_controller'}/fingers`,
      backoffMs: [200, 5000],
      command: 'topic',
      ...options,
    };
    this.#link.onConnection((up) => this.events.emit('connection', up));
    const ros = this.#link.ros;
    const v2 = this.#o.rosVersion === 2;
    const pkg = (p: string, t: string) => (v2 ? `${p}/msg/${t}` : `${p}/${t}`);
    this.#trajectory = new Topic({
      ros,
      name: v2 ? `/${this.#o.controller}/joint_trajectory` : `/${this.#o.controller}/command`,
      messageType: pkg('trajectory_msgs', 'JointTrajectory'),
    });
    if (this.#o.command === 'action') {
      const name = `/${this.#o.controller}/follow_joint_trajectory`;
      if (v2) this.#action = new Action({ ros, name, actionType: 'control_msgs/action/FollowJointTrajectory' });
      else this.#actionlib = new ActionClient({ ros, serverName: name, actionName: 'control_msgs/FollowJointTrajectoryAction' });
    }
    this.#fingers = new Topic({ ros, name: this.#o.fingersTopic, messageType: pkg('std_msgs', 'Float64MultiArray') });
    const states = new Topic<JointStateMsg>({ ros, name: this.#o.jointStatesTopic, messageType: pkg('sensor_msgs', 'JointState') });
    states.subscribe((m) => this.#onJointState(m));
  }

  /** The arm's ROS joint names, in the description's joint order. */
  get jointNames(): string[] {
    return this.#o.jointNames;
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  /** Connects (resolves on the first connection; later drops reconnect by themselves). */
  connect(timeoutMs = 5000): Promise<void> {
    return this.#link.connect(timeoutMs);
  }

  /** Closes the link if this driver made it (a shared link is closed by its owner). */
  close(): void {
    if (this.#ownLink) this.#link.close();
  }

  #onJointState(m: JointStateMsg): void {
    const positions: number[] = [];
    const velocities: number[] = [];
    for (const name of this.#o.jointNames) {
      const i = m.name?.indexOf(name) ?? -1;
      if (i < 0) return void this.events.emit('error', { message: `${this.#o.jointStatesTopic}: joint '${name}' missing` });
      positions.push(m.position[i]!);
      velocities.push(m.velocity?.[i] ?? 0);
    }
    const s = m.header?.stamp;
    const time = s ? (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9 : this.#state.time;
    this.#state = { time, positions, velocities, fingers: this.#state.fingers };
    this.events.emit('state', this.#state);
  }

  #publish(topic: Topic, msg: unknown): void {
    this.#checkLink();
    topic.publish(msg);
  }

  follow(points: TrajectoryPoint[]): void {
    if (points.length === 0) return;
    const stamp = points[0]!.time;
    const t = (x: number) => {
      const sec = Math.floor(x);
      const ns = Math.round((x - sec) * 1e9);
      return this.#o.rosVersion === 2 ? { sec, nanosec: ns } : { secs: sec, nsecs: ns };
    };
    const trajectory = {
      header: { stamp: t(stamp), frame_id: '' },
      joint_names: this.#o.jointNames,
      points: points.map((p) => ({
        positions: p.positions,
        velocities: p.velocities ?? [],
        accelerations: [],
        effort: [],
        time_from_start: t(p.time - stamp),
      })),
    };
    if (this.#o.command === 'topic') return this.#publish(this.#trajectory, trajectory);
    this.#checkLink();
    const goal = { trajectory, path_tolerance: [], goal_tolerance: [], goal_time_tolerance: t(0) };
    if (this.#action) {
      const id = this.#action.sendGoal(
        goal,
        (result: { error_code?: number; error_string?: string }) => this.#finished(id, result),
        undefined,
        (error: string) => this.#finished(id, { error_code: -1, error_string: error }),
      );
      if (id) this.#goals.add(id);
    } else {
      const g = new Goal({ actionClient: this.#actionlib!, goalMessage: goal });
      g.on('result', (result) => this.#finished(g, result as { error_code?: number; error_string?: string }));
      this.#goals.add(g);
      g.send();
    }
  }

  #finished(goal: Goal<unknown> | string | undefined, result: { error_code?: number; error_string?: string }): void {
    if (goal !== undefined) this.#goals.delete(goal);
    const ok = (result?.error_code ?? 0) === 0;
    const error = ok ? undefined : `follow_joint_trajectory: error_code ${result?.error_code}${result?.error_string ? ` (${result.error_string})` : ''}`;
    this.events.emit('result', { ok, code: result?.error_code ?? 0, ...(error ? { error } : {}) });
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

  /**
   * Cancels running FollowJointTrajectory goals and sends an empty trajectory (which stops a ROS
   * trajectory controller); sent only while connected, never queued.
   */
  stop(): void {
    if (!this.#link.connected) return void this.#goals.clear();
    for (const g of this.#goals) {
      if (typeof g === 'string') this.#action?.cancelGoal(g);
      else g.cancel();
    }
    this.#goals.clear();
    this.#trajectory.publish({ header: { frame_id: '' }, joint_names: this.#o.jointNames, points: [] });
  }
}
