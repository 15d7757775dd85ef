import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inverse } from '../../robots/planar.js';
import type { RobotDescription } from '../../robots/description.js';
import type { GoalResult, TrajectoryPoint } from '../../robots/driver.js';
import { loadKeyboard, loadPianoArm, loadRobot, robotsDir } from '../../robots/load.js';
import { IndustrialArm } from '../../sim/industrial-arm.js';
import { armPair } from '../../robots/motion/piano.js';
import { World } from '../../sim/world.js';
import type { TestRosbridge } from './rosbridge-server.js';

export const kb = loadKeyboard();
export const [left] = armPair(loadPianoArm(), kb);
export const NAMES = ['shoulder_joint', 'elbow_joint', 'wrist_joint'];

/** The simulated arm behind the test rosbridge: follows JointTrajectory, publishes JointState at 50 Hz. */
export function armBehind(bridge: TestRosbridge, ros2 = false) {
  const q0 = inverse(left, 0.3, 0.02)!;
  const world = new World(kb, [{ robot: left, startQ: q0 }], { dtMs: 2 });
  const arm = world.arms[0]!;
  const start = Date.now();
  const now = () => (Date.now() - start) / 1000;
  const secs = (s: { sec?: number; secs?: number; nanosec?: number; nsecs?: number }) => (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9;
  /** Runs a trajectory_msgs/JointTrajectory; returns when it ends (s, arm clock), or an error_code. */
  const run = (traj: any): { end: number } | { error: number; why: string } => {
    if (traj.points.length === 0) return arm.stop(), { end: now() };
    const order = NAMES.map((n) => traj.joint_names.indexOf(n));
    if (order.some((i) => i < 0)) return { error: -2, why: 'INVALID_JOINTS' };
    const t0 = secs(traj.header.stamp);
    const pts = traj.points.map((p: any) => ({ time: t0 + secs(p.time_from_start), positions: order.map((i: number) => p.positions[i]), velocities: p.velocities.length ? order.map((i: number) => p.velocities[i]) : undefined }));
    arm.follow(pts);
    return { end: pts[pts.length - 1].time };
  };
  const later = (end: number, fn: () => void) => setTimeout(fn, Math.max(0, (end - now()) * 1000));
  const goals: Array<{ canceled: boolean }> = [];
  const cancels = { n: 0 };
  bridge.onPublish = (topic, msg: any) => {
    if (topic === (ros2 ? '/arm_controller/joint_trajectory' : '/arm_controller/command')) return void run(msg);
    // ROS 1 actionlib: goal and cancel are topics; result and status go back as topics
    if (topic === '/arm_controller/follow_joint_trajectory/goal') {
      const r = run(msg.goal.trajectory);
      const goalStatus = (st: number) => ({ goal_id: msg.goal_id, status: st, text: '' });
      const g = { canceled: false };
      goals.push(g);
      const done = () => {
        if (g.canceled) return;
        const ok = 'end' in r;
        bridge.publish('/arm_controller/follow_joint_trajectory/result', { header: {}, status: goalStatus(ok ? 3 : 4), result: ok ? { error_code: 0 } : { error_code: r.error, error_string: r.why } });
      };
      bridge.publish('/arm_controller/follow_joint_trajectory/status', { header: {}, status_list: [goalStatus(1)] });
      if ('end' in r) later(r.end, done);
      else done();
    }
    if (topic === '/arm_controller/follow_joint_trajectory/cancel') {
      for (const g of goals) g.canceled = true;
      arm.stop();
    }
  };
  // ROS 2 action (rosbridge send_action_goal)
  bridge.actions.set('/arm_controller/follow_joint_trajectory', (goal) => {
    const r = run(goal.args.trajectory);
    goal.onCancel = () => (cancels.n++, arm.stop(), goal.result({ error_code: 0 }, 5));
    if (!('end' in r)) return goal.result({ error_code: r.error, error_string: r.why }, 6);
    goal.feedback({ joint_names: NAMES });
    later(r.end, () => goal.canceled || goal.result({ error_code: 0 }));
  });
  const timer = setInterval(() => {
    world.run(now());
    const s = arm.state();
    const t = now();
    // joint order scrambled on purpose: drivers must match by name
    bridge.publish('/joint_states', {
      header: { stamp: ros2 ? { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) } : { secs: Math.floor(t), nsecs: Math.round((t % 1) * 1e9) } },
      name: [NAMES[2], NAMES[0], NAMES[1]],
      position: [s.positions[2], s.positions[0], s.positions[1]],
      velocity: [s.velocities[2], s.velocities[0], s.velocities[1]],
    });
  }, 20);
  return { arm, q0, goals, cancels, stop: () => clearInterval(timer) };
}


/** A UR arm's six joints, as its driver names them. */
export const UR_JOINTS = ['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint'];
/** The gripper's joint: on /joint_states beside the arm's, and alone from the gripper's own node. */
export const GRIPPER_JOINT = 'finger_joint';
/** The order the arm's joint states name its joints in: not the arm's order, the gripper in between. */
export const SCRAMBLED = ['wrist_2_joint', 'elbow_joint', 'shoulder_pan_joint', GRIPPER_JOINT, 'wrist_3_joint', 'shoulder_lift_joint', 'wrist_1_joint'];

/** The bundled UR5e (robots/arms/ur5e.urdf and its sidecar). */
export const UR5E = loadRobot('ur5e');
export const UR_HOME = [0, -1.57, 1.57, -1.57, -1.57, 0];

/**
 * The UR5e's URDF as such a robot serves it as robot_description: the bundled URDF with a gripper
 * finger joint after the tool flange, and optionally other limits for some joints (a robot configured
 * with reduced limits).
 */
export function urRobotDescription(limits: Record<string, { lower?: number; upper?: number; velocity?: number }> = {}): string {
  let urdf = readFileSync(join(robotsDir(), 'arms', 'ur5e.urdf'), 'utf8');
  for (const [joint, l] of Object.entries(limits)) {
    const at = urdf.indexOf(`<joint name="${joint}"`);
    const end = urdf.indexOf('</joint>', at);
    if (at < 0) throw new Error(`urRobotDescription: no joint ${joint}`);
    let block = urdf.slice(at, end);
    for (const [k, v] of Object.entries(l)) block = block.replace(new RegExp(`${k}="[^"]*"`), `${k}="${v}"`);
    urdf = urdf.slice(0, at) + block + urdf.slice(end);
  }
  const gripper =
    `  <link name="gripper_finger"/>\n` +
    `  <joint name="${GRIPPER_JOINT}" type="revolute">\n    <parent link="tool0"/>\n    <child link="gripper_finger"/>\n` +
    `    <origin xyz="0 0 0.05" rpy="0 0 0"/>\n    <axis xyz="1 0 0"/>\n    <limit lower="0" upper="0.8" velocity="2" effort="10"/>\n  </joint>\n`;
  return urdf.replace('</robot>', `${gripper}</robot>`);
}

export interface UrArmOptions {
  /** ROS 1 (actionlib over topics, {secs, nsecs}) or ROS 2 (rosbridge action ops, {sec, nanosec}). */
  ros: 1 | 2;
  /** Default: scaled_pos_joint_traj_controller (ROS 1) or scaled_joint_trajectory_controller (ROS 2), as UR's drivers name it. */
  controller?: string;
  /** The robot the controller drives: its joints (names, order, limits) are what goals must name and keep to (default the bundled UR5e). */
  robot?: RobotDescription;
  /** Start pose, in the robot's joint order (default UR_HOME). */
  q0?: number[];
  /** The robot's URDF, served as robot_description: ROS 1 the /robot_description parameter; ROS 2 robot_state_publisher's parameter and the latched /robot_description topic. */
  urdf?: string;
  /** Where the URDF is served (default both the parameter and, on ROS 2, the topic). */
  describe?: 'param' | 'topic' | 'both';
  /** Joint state stamps lag the controller's clock by this much, s (a robot whose state publisher runs late). */
  stateLag?: number;
  /** The arm joints /joint_states carries (default all the robot's): leave one out to lose it. */
  published?: string[];
}

/** What the controller said about a goal: FollowJointTrajectory's error_code and error_string, and how it ended. */
export interface GoalOutcome {
  code: number;
  error: string;
  how: 'succeeded' | 'aborted' | 'preempted' | 'rejected';
}

type Stamp = { sec?: number; secs?: number; nanosec?: number; nsecs?: number };
const secs = (s: Stamp | undefined) => (s ? (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9 : 0);

/**
 * A UR-style arm behind the test rosbridge, as a real one looks through rosbridge_suite. The arm and its
 * trajectory controller are sim/industrial-arm.ts (strict goal checks with ros_control's error codes,
 * the interpolated curve, its own limits, joint states at 125 Hz); this puts ROS around it:
 * /joint_states with the names in another order and a gripper joint among them, and the gripper's own
 * joint state alone at 20 Hz; FollowJointTrajectory (ROS 1: actionlib topics with status at 5 Hz; ROS 2:
 * rosbridge's action ops, where a rejection carries no result) and the JointTrajectory command topic,
 * goals mapped from their joint names to the arm's order (a goal naming a joint the arm has not is
 * INVALID_JOINTS here: the arm sees positions, not names); the URDF as robot_description. ROS time is
 * the wall clock (Date.now, so fake timers drive it) in epoch seconds; the arm runs on it.
 */
export function urArmBehind(bridge: TestRosbridge, options: UrArmOptions) {
  const v2 = options.ros === 2;
  const ctl = options.controller ?? (v2 ? 'scaled_joint_trajectory_controller' : 'scaled_pos_joint_traj_controller');
  const robot = options.robot ?? UR5E;
  const names = robot.joints.map((j) => j.name);
  const t0 = Date.now() / 1000;
  const rosNow = () => Date.now() / 1000;
  const arm = new IndustrialArm(robot, { start: options.q0 ?? names.map((_, i) => UR_HOME[i] ?? 0) });
  const type = (pkg: string, name: string) => (v2 ? `${pkg}/msg/${name}` : `${pkg}/${name}`);
  const stamp = (t: number) => {
    const sec = Math.floor(t);
    const ns = Math.round((t - sec) * 1e9);
    return v2 ? { sec, nanosec: ns } : { secs: sec, nsecs: ns };
  };
  const action = `/${ctl}/follow_joint_trajectory`;
  const commandTopic = v2 ? `/${ctl}/joint_trajectory` : `/${ctl}/command`;
  /** Every goal's outcome, in order, and every trajectory the arm accepted (topic or goal), as it came. */
  const outcomes: GoalOutcome[] = [];
  const accepted: any[] = [];
  /** Trajectories refused on the command topic (ros_control logs them; there is no answer). */
  const refusedOnTopic: GoalResult[] = [];
  bridge.advertise('/joint_states', type('sensor_msgs', 'JointState'));
  if (options.urdf !== undefined) {
    const where = options.describe ?? 'both';
    if (where !== 'topic') bridge.params.set(v2 ? '/robot_state_publisher:robot_description' : '/robot_description', options.urdf);
    if (v2 && where !== 'param') bridge.latch('/robot_description', type('std_msgs', 'String'), { data: options.urdf });
  }

  /** Goals the arm accepted and has not finished, in the order they end (the arm's own order). */
  type Finish = (o: GoalOutcome) => void;
  const running: Array<{ end: number; finish: Finish }> = [];
  /** Results the arm emits while a command is being handed to it (a refusal, or the goals it replaces). */
  let during: GoalResult[] | null = null;
  let cancelling = false;
  arm.events.on('result', (r) => {
    if (during) return void during.push(r);
    const g = running.shift();
    g?.finish({ code: r.code, error: r.error ?? '', how: cancelling ? 'preempted' : r.ok ? 'succeeded' : 'aborted' });
  });
  /** Hands a trajectory_msgs/JointTrajectory to the arm; the refusal, or null when accepted. */
  const command = (trajectory: any, finish: Finish | null): GoalResult | null => {
    const goalNames: unknown[] = Array.isArray(trajectory?.joint_names) ? trajectory.joint_names : [];
    if (Array.isArray(trajectory?.points) && trajectory.points.length === 0) {
      stop();
      finish?.({ code: 0, error: '', how: 'succeeded' });
      return null;
    }
    // names -> the arm's order; a goal naming fewer joints reaches the arm short (it refuses it, INVALID_JOINTS)
    const order = names.map((n) => goalNames.indexOf(n)).filter((i) => i >= 0);
    if (goalNames.some((n) => !names.includes(n as string)) || new Set(goalNames).size !== goalNames.length) {
      return { ok: false, code: -2, error: "Joints on incoming goal don't match the controller joints." };
    }
    const start = secs(trajectory.header?.stamp) || rosNow();
    const pick = (a: number[] | undefined) => (Array.isArray(a) && a.length ? order.map((i) => a[i]!) : undefined);
    const points: TrajectoryPoint[] = (trajectory.points ?? []).map((p: any) => {
      const velocities = pick(p.velocities);
      const accelerations = pick(p.accelerations);
      return { time: start + secs(p.time_from_start) - t0, positions: pick(p.positions) ?? [], ...(velocities ? { velocities } : {}), ...(accelerations ? { accelerations } : {}) };
    });
    const refused = hand(points, finish ?? (() => undefined));
    if (!refused) accepted.push(trajectory);
    return refused;
  };
  /** Hands points (the arm's joint order and clock) to the arm; the refusal, or null when accepted. */
  const hand = (points: TrajectoryPoint[], finish: Finish): GoalResult | null => {
    const at = points[0]?.time ?? Infinity;
    const replaced = running.filter((g) => g.end >= at);
    during = [];
    arm.follow(points);
    const said = during;
    during = null;
    if (said.length === 1 && !/by a newer goal$/.test(said[0]!.error ?? '')) return said[0]!;
    // accepted: the goals it replaces end preempted, with the arm's words
    running.splice(running.length - replaced.length, replaced.length);
    replaced.forEach((g, i) => g.finish({ code: said[i]?.code ?? 0, error: said[i]?.error ?? '', how: 'preempted' }));
    running.push({ end: points[points.length - 1]!.time, finish });
    return null;
  };
  /** Cancels everything: the arm brakes to a hold; its goals end preempted. */
  const stop = () => {
    cancelling = true;
    arm.stop('cancelled');
    cancelling = false;
  };

  // ROS 1 actionlib: goals and cancels come as topics; status, result go back as topics
  const active = new Map<string, unknown>();
  const goalStatus = (goal_id: unknown, status: number, text = '') => ({ goal_id, status, text });
  if (!v2) {
    bridge.advertise(`${action}/status`, 'actionlib_msgs/GoalStatusArray');
    bridge.advertise(`${action}/result`, 'control_msgs/FollowJointTrajectoryActionResult');
    bridge.advertise(`${action}/feedback`, 'control_msgs/FollowJointTrajectoryActionFeedback');
  }
  const ACTIONLIB = { succeeded: 3, aborted: 4, preempted: 2, rejected: 5 } as const;
  bridge.onPublish = (topic, msg: any) => {
    if (topic === commandTopic) {
      const refused = command(msg, null);
      if (refused) refusedOnTopic.push(refused);
      return;
    }
    if (v2) return;
    if (topic === `${action}/goal`) {
      const id: string = msg.goal_id.id;
      const finish: Finish = (o) => {
        active.delete(id);
        outcomes.push(o);
        bridge.publish(`${action}/result`, {
          header: { stamp: stamp(rosNow()) },
          status: goalStatus(msg.goal_id, ACTIONLIB[o.how], o.error),
          result: { error_code: o.code, error_string: o.error },
        });
      };
      active.set(id, msg.goal_id);
      const refused = command(msg.goal.trajectory, finish);
      if (refused) finish({ code: refused.code, error: refused.error ?? '', how: 'rejected' });
    }
    if (topic === `${action}/cancel` && (!msg.id || active.has(msg.id))) stop(); // an empty id cancels every goal
  };
  // ROS 2: rosbridge's action ops
  const ACTION_MSGS = { succeeded: 4, aborted: 6, preempted: 5 } as const;
  bridge.actions.set(action, (goal) => {
    const finish: Finish = (o) => {
      outcomes.push(o);
      if (o.how !== 'rejected') goal.result({ error_code: o.code, error_string: o.error }, ACTION_MSGS[o.how]);
    };
    goal.onCancel = stop;
    const refused = command(goal.args?.trajectory, finish);
    if (refused) {
      outcomes.push({ code: refused.code, error: refused.error ?? '', how: 'rejected' });
      goal.reject(); // a ROS 2 rejection carries no result: the code stays in the controller's log
    }
  });

  const published = options.published ?? names;
  const order = SCRAMBLED.filter((n) => n === GRIPPER_JOINT || published.includes(n));
  for (const n of published) if (!order.includes(n)) order.push(n);
  const index = order.map((n) => names.indexOf(n));
  const lag = options.stateLag ?? 0;
  arm.events.on('state', (s) => {
    const pick = (values: number[]) => index.map((j) => (j < 0 ? 0.02 : values[j]!));
    bridge.publish('/joint_states', { header: { stamp: stamp(t0 + s.time - lag), frame_id: '' }, name: order, position: pick(s.positions), velocity: pick(s.velocities), effort: [] });
  });
  const control = setInterval(() => arm.advance(rosNow() - t0), 8);
  const gripper = setInterval(() => {
    bridge.publish('/joint_states', { header: { stamp: stamp(rosNow() - lag), frame_id: '' }, name: [GRIPPER_JOINT], position: [0.02], velocity: [0], effort: [] });
  }, 50);
  const status = v2
    ? null
    : setInterval(() => bridge.publish(`${action}/status`, { header: { stamp: stamp(rosNow()) }, status_list: [...active.values()].map((id) => goalStatus(id, 1)) }), 200);
  return {
    arm,
    action,
    commandTopic,
    outcomes,
    accepted,
    refusedOnTopic,
    /** Moves the arm as a person at the teach pendant would: positions in the robot's order, times from now, s. */
    move(points: Array<{ after: number; positions: number[] }>) {
      const now = arm.time;
      const refused = hand([{ time: now, positions: arm.state().positions }, ...points.map((p) => ({ time: now + p.after, positions: p.positions, velocities: p.positions.map(() => 0) }))], () => undefined);
      if (refused) throw new Error(`move refused: ${refused.error}`);
    },
    stop() {
      clearInterval(control);
      clearInterval(gripper);
      if (status) clearInterval(status);
    },
  };
}
