import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inverse } from '../../robots/planar.js';
import { loadKeyboard, loadPianoArm, loadRobot, robotsDir } from '../../robots/load.js';
import { armPair } from '../../robots/motion/piano.js';
import { World } from '../../sim/world.js';
import type { TestRosbridge } from './rosbridge-server.js';
import { TrajectoryController, type ControllerGoal, type ControllerJoint, type ControllerOutcome } from './trajectory-controller.js';

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

export interface UrArmOptions {
  /** ROS 1 (actionlib over topics, {secs, nsecs}) or ROS 2 (rosbridge action ops, {sec, nanosec}). */
  ros: 1 | 2;
  /** Default: scaled_pos_joint_traj_controller (ROS 1) or scaled_joint_trajectory_controller (ROS 2), as UR's drivers name it. */
  controller?: string;
  /** The joints the controller drives and the ranges it accepts (default: the six UR joints, ±2π, the elbow ±π). */
  joints?: ControllerJoint[];
  /** Start pose, in the controller's joint order. */
  q0?: number[];
  /** The robot's URDF, served as robot_description: ROS 1 the /robot_description parameter; ROS 2 robot_state_publisher's parameter and the latched /robot_description topic. */
  urdf?: string;
  /** Where the URDF is served (default both the parameter and, on ROS 2, the topic). */
  describe?: 'param' | 'topic' | 'both';
  /** Joint state stamps lag the controller's clock by this much, s (a robot whose state publisher runs late). */
  stateLag?: number;
  /** The arm joints /joint_states carries (default all the controller's): leave one out to lose it. */
  published?: string[];
}

/** The bundled UR5e (robots/arms/ur5e.urdf and its sidecar). */
export const UR5E = loadRobot('ur5e');
/** Its joint ranges, as its controller accepts them. */
export const UR_RANGES: ControllerJoint[] = UR5E.joints.map((j) => ({ name: j.name, min: j.min, max: j.max }));
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

/**
 * A UR-style arm behind the test rosbridge, as a real one looks through rosbridge_suite: /joint_states
 * at 125 Hz with the names in another order and a gripper joint among them, and the gripper's own joint
 * state alone at 20 Hz; a trajectory controller (test/helpers/trajectory-controller.ts: rejects partial,
 * out-of-limit and old goals with ros_control's error codes, executes the interpolated curve) reached
 * through FollowJointTrajectory (ROS 1: actionlib topics with status at 5 Hz; ROS 2: rosbridge's action
 * ops) and through its JointTrajectory command topic; the URDF as robot_description. Time is the wall
 * clock (Date.now, so fake timers drive it), in epoch seconds as ROS time is.
 */
export function urArmBehind(bridge: TestRosbridge, options: UrArmOptions) {
  const v2 = options.ros === 2;
  const ctl = options.controller ?? (v2 ? 'scaled_joint_trajectory_controller' : 'scaled_pos_joint_traj_controller');
  const joints = options.joints ?? UR_RANGES;
  const now = () => Date.now() / 1000;
  const controller = new TrajectoryController(joints, options.q0 ?? joints.map((j, i) => UR_HOME[i] ?? (j.min + j.max) / 2), now);
  const type = (pkg: string, name: string) => (v2 ? `${pkg}/msg/${name}` : `${pkg}/${name}`);
  const stamp = (t: number) => {
    const sec = Math.floor(t);
    const ns = Math.round((t - sec) * 1e9);
    return v2 ? { sec, nanosec: ns } : { secs: sec, nsecs: ns };
  };
  const action = `/${ctl}/follow_joint_trajectory`;
  const commandTopic = v2 ? `/${ctl}/joint_trajectory` : `/${ctl}/command`;
  /** Trajectories the controller refused on its command topic (ros_control logs them; there is no answer). */
  const refusedOnTopic: ControllerOutcome[] = [];
  /** Every goal's outcome, in order: what the controller said. */
  const outcomes: Array<ControllerOutcome & { how: string }> = [];
  /** Every trajectory the controller accepted (topic or goal), as it came. */
  const accepted: any[] = [];
  const command = (trajectory: any, goal: ControllerGoal | null) => {
    const refused = controller.command(trajectory, goal);
    if (!refused) accepted.push(trajectory);
    return refused;
  };
  bridge.advertise('/joint_states', type('sensor_msgs', 'JointState'));
  if (options.urdf !== undefined) {
    const where = options.describe ?? 'both';
    if (where !== 'topic') bridge.params.set(v2 ? '/robot_state_publisher:robot_description' : '/robot_description', options.urdf);
    if (v2 && where !== 'param') bridge.latch('/robot_description', type('std_msgs', 'String'), { data: options.urdf });
  }

  // ROS 1 actionlib: goals and cancels come as topics; status, result go back as topics
  const active = new Map<string, { goal_id: unknown; handle: ControllerGoal }>();
  const goalStatus = (goal_id: unknown, status: number, text = '') => ({ goal_id, status, text });
  if (!v2) {
    bridge.advertise(`${action}/status`, 'actionlib_msgs/GoalStatusArray');
    bridge.advertise(`${action}/result`, 'control_msgs/FollowJointTrajectoryActionResult');
    bridge.advertise(`${action}/feedback`, 'control_msgs/FollowJointTrajectoryActionFeedback');
  }
  const result1 = (goal_id: unknown, status: number, o: ControllerOutcome) =>
    bridge.publish(`${action}/result`, { header: { stamp: stamp(now()) }, status: goalStatus(goal_id, status, o.error), result: { error_code: o.code, error_string: o.error } });
  bridge.onPublish = (topic, msg: any) => {
    if (topic === commandTopic) {
      const refused = command(msg, null);
      if (refused) refusedOnTopic.push(refused);
      return;
    }
    if (v2) return;
    if (topic === `${action}/goal`) {
      const id: string = msg.goal_id.id;
      const handle: ControllerGoal = {
        finish: (o, how) => {
          active.delete(id);
          outcomes.push({ ...o, how });
          result1(msg.goal_id, how === 'succeeded' ? 3 : how === 'aborted' ? 4 : 2, o);
        },
      };
      active.set(id, { goal_id: msg.goal_id, handle });
      const refused = command(msg.goal.trajectory, handle);
      if (refused) {
        active.delete(id);
        outcomes.push({ ...refused, how: 'rejected' });
        result1(msg.goal_id, 5, refused);
      }
    }
    if (topic === `${action}/cancel`) {
      // an empty id cancels every goal
      for (const [id, g] of active) if (!msg.id || msg.id === id) controller.running(g.handle) ? controller.hold() : g.handle.finish({ code: 0, error: 'canceled' }, 'preempted');
    }
  };
  // ROS 2: rosbridge's action ops
  bridge.actions.set(action, (goal) => {
    const handle: ControllerGoal = {
      finish: (o, how) => {
        outcomes.push({ ...o, how });
        goal.result({ error_code: o.code, error_string: o.error }, how === 'succeeded' ? 4 : how === 'aborted' ? 6 : 5);
      },
    };
    goal.onCancel = () => (controller.running(handle) ? controller.hold() : undefined);
    const refused = command(goal.args?.trajectory, handle);
    if (refused) {
      outcomes.push({ ...refused, how: 'rejected' });
      goal.reject(); // a ROS 2 rejection carries no result: the code stays in the controller's log
    }
  });

  const published = options.published ?? joints.map((j) => j.name);
  const order = SCRAMBLED.filter((n) => n === GRIPPER_JOINT || published.includes(n));
  for (const n of published) if (!order.includes(n)) order.push(n);
  const lag = options.stateLag ?? 0;
  const arm = setInterval(() => {
    controller.update();
    const s = controller.state();
    const pick = (values: number[]) => order.map((n) => (n === GRIPPER_JOINT ? 0.02 : values[joints.findIndex((j) => j.name === n)]!));
    bridge.publish('/joint_states', { header: { stamp: stamp(now() - lag), frame_id: '' }, name: order, position: pick(s.positions), velocity: pick(s.velocities), effort: [] });
  }, 8);
  const gripper = setInterval(() => {
    bridge.publish('/joint_states', { header: { stamp: stamp(now() - lag), frame_id: '' }, name: [GRIPPER_JOINT], position: [0.02], velocity: [0], effort: [] });
  }, 50);
  const status = v2
    ? null
    : setInterval(() => bridge.publish(`${action}/status`, { header: { stamp: stamp(now()) }, status_list: [...active.values()].map((g) => goalStatus(g.goal_id, 1)) }), 200);
  return {
    controller,
    action,
    commandTopic,
    outcomes,
    accepted,
    refusedOnTopic,
    /** Moves the arm as a person at the teach pendant would: positions in the controller's order, times from now, s. */
    move(points: Array<{ after: number; positions: number[] }>) {
      const t = now();
      const refused = controller.command({
        header: { stamp: stamp(t) },
        joint_names: joints.map((j) => j.name),
        points: points.map((p) => ({ positions: p.positions, velocities: p.positions.map(() => 0), time_from_start: stamp(p.after) })),
      });
      if (refused) throw new Error(`move refused: ${refused.error}`);
    },
    stop() {
      clearInterval(arm);
      clearInterval(gripper);
      if (status) clearInterval(status);
    },
  };
}
