import type { TestRosbridge } from './rosbridge-server.js';

/** One GripperCommand goal as the gripper's action server got it: when (ROS time, s), where to, and how it ended. */
export interface GripperGoalSeen {
  received: number;
  position: number;
  maxEffort: number;
  how?: 'succeeded' | 'aborted' | 'preempted' | 'rejected';
}

export interface GripperServerOptions {
  ros: 1 | 2;
  /** The action's name (default /gripper_controller/gripper_cmd, ros_control's gripper_action_controller). */
  action?: string;
  /** The finger joint's range, m of opening (default 0..0.085, a Robotiq 2F-85). */
  lower?: number;
  upper?: number;
  /** Time to travel the whole range, s (default 0.5). */
  seconds?: number;
  /** Something in the jaws: closing stops here (stalled). */
  stallAt?: number;
  /** Whether a stall counts as success (gripper_action_controller's allow_stalling; default true, a grasp). */
  allowStalling?: boolean;
  /** The finger joint's name: its state goes out alone on /joint_states at 20 Hz (as the gripper's own node publishes it). */
  joint?: string;
}

type Stamp = { sec?: number; secs?: number; nanosec?: number; nsecs?: number };

/**
 * A parallel gripper behind the test rosbridge with a control_msgs/GripperCommand action server, as
 * ros_control's gripper_action_controller answers: a goal takes the finger from where it is to the
 * command's position at a constant speed and succeeds there (result position, effort, stalled,
 * reached_goal); something in the jaws stalls it (success with allow_stalling, else aborted); a newer
 * goal preempts the one under way, a cancel preempts it. Unlike that controller it rejects a position
 * outside the finger's range (as Robotiq's and Franka's servers do) rather than clamping it. ROS 1:
 * actionlib topics (goal, cancel in; status, result, feedback out); ROS 2: rosbridge's action ops. The
 * bridge itself refuses goals that do not fit the message type. ROS time is the wall clock (Date.now,
 * so fake timers drive it).
 */
export function gripperBehind(bridge: TestRosbridge, options: GripperServerOptions) {
  const v2 = options.ros === 2;
  const action = options.action ?? '/gripper_controller/gripper_cmd';
  const lower = options.lower ?? 0;
  const upper = options.upper ?? 0.085;
  const speed = (upper - lower) / (options.seconds ?? 0.5);
  const rosNow = () => Date.now() / 1000;
  const stamp = (t: number): Stamp => {
    const sec = Math.floor(t);
    const ns = Math.round((t - sec) * 1e9);
    return v2 ? { sec, nanosec: ns } : { secs: sec, nsecs: ns };
  };
  const goals: GripperGoalSeen[] = [];
  let position = upper;
  let moving: { from: number; to: number; start: number; end: number; seen: GripperGoalSeen; finish: (how: 'succeeded' | 'aborted' | 'preempted', r: object) => void; timer: NodeJS.Timeout } | null = null;

  /** Where the finger is now. */
  const where = () => {
    if (!moving) return position;
    const t = rosNow();
    const u = moving.end > moving.start ? Math.min(1, (t - moving.start) / (moving.end - moving.start)) : 1;
    return moving.from + u * (moving.to - moving.from);
  };
  const preempt = () => {
    if (!moving) return;
    position = where();
    clearTimeout(moving.timer);
    const m = moving;
    moving = null;
    m.seen.how = 'preempted';
    m.finish('preempted', { position, effort: 0, stalled: false, reached_goal: false });
  };
  /** A goal's command: rejected (null) outside the range, else under way. */
  const start = (command: { position?: number; max_effort?: number } | undefined, finish: (how: 'succeeded' | 'aborted' | 'preempted', r: object) => void): GripperGoalSeen => {
    const target = command?.position ?? 0; // a field left out is its default, as rosbridge fills it
    const seen: GripperGoalSeen = { received: rosNow(), position: target, maxEffort: command?.max_effort ?? 0 };
    goals.push(seen);
    if (!(target >= lower && target <= upper)) {
      seen.how = 'rejected';
      return seen;
    }
    preempt();
    const from = position;
    const stall = options.stallAt !== undefined && target < options.stallAt && from >= options.stallAt ? options.stallAt : null;
    const to = stall ?? target;
    const t = rosNow();
    const end = t + Math.abs(to - from) / speed;
    const timer = setTimeout(() => {
      position = to;
      moving = null;
      const ok = stall === null || options.allowStalling !== false;
      seen.how = ok ? 'succeeded' : 'aborted';
      finish(seen.how, { position: to, effort: stall === null ? 0 : 40, stalled: stall !== null, reached_goal: stall === null });
    }, (end - t) * 1000);
    moving = { from, to, start: t, end, seen, finish, timer };
    return seen;
  };

  const cleanups: Array<() => void> = [];
  if (options.joint) {
    bridge.advertise('/joint_states', v2 ? 'sensor_msgs/msg/JointState' : 'sensor_msgs/JointState');
    const joint = options.joint;
    const states = setInterval(() => bridge.publish('/joint_states', { header: { stamp: stamp(rosNow()), frame_id: '' }, name: [joint], position: [where()], velocity: [0], effort: [] }), 50);
    cleanups.push(() => clearInterval(states));
  }
  if (!v2) {
    bridge.advertise(`${action}/status`, 'actionlib_msgs/GoalStatusArray');
    bridge.advertise(`${action}/result`, 'control_msgs/GripperCommandActionResult');
    bridge.advertise(`${action}/feedback`, 'control_msgs/GripperCommandActionFeedback');
    const active = new Map<string, unknown>();
    const goalStatus = (goal_id: unknown, status: number, text = '') => ({ goal_id, status, text });
    const ACTIONLIB = { succeeded: 3, aborted: 4, preempted: 2, rejected: 5 } as const;
    const result = (goalId: unknown, how: keyof typeof ACTIONLIB, r: object, text = '') =>
      bridge.publish(`${action}/result`, { header: { stamp: stamp(rosNow()) }, status: goalStatus(goalId, ACTIONLIB[how], text), result: r });
    const previous = bridge.onPublish;
    bridge.onPublish = (topic, msg: any) => {
      previous?.(topic, msg);
      if (topic === `${action}/goal`) {
        const id: string = msg.goal_id.id;
        active.set(id, msg.goal_id);
        const seen = start(msg.goal?.command, (how, r) => (active.delete(id), result(msg.goal_id, how, r)));
        if (seen.how === 'rejected') {
          active.delete(id);
          result(msg.goal_id, 'rejected', { position: where(), effort: 0, stalled: false, reached_goal: false }, `position ${Number(seen.position.toFixed(4))} is outside ${lower}..${upper}`);
        }
      }
      if (topic === `${action}/cancel` && (!msg.id || (moving && active.has(msg.id)))) preempt();
    };
    const status = setInterval(() => bridge.publish(`${action}/status`, { header: { stamp: stamp(rosNow()) }, status_list: [...active.values()].map((id) => goalStatus(id, 1)) }), 200);
    cleanups.push(() => clearInterval(status));
  } else {
    const ACTION_MSGS = { succeeded: 4, aborted: 6, preempted: 5 } as const;
    bridge.actions.set(action, (goal) => {
      const seen = start(goal.args?.command, (how, r) => goal.result(r, ACTION_MSGS[how]));
      if (seen.how === 'rejected') return goal.reject();
      goal.onCancel = () => moving?.seen === seen && preempt();
    });
  }
  return {
    action,
    goals,
    /** Where the finger is, m of opening. */
    position: where,
    /** Moves the finger as a person at the gripper's buttons would (no goal): to `to`, m of opening. */
    operate: (to: number) => void start({ position: to }, () => undefined),
    stop: () => {
      if (moving) clearTimeout(moving.timer);
      for (const c of cleanups) c();
    },
  };
}
