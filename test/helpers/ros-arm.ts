import { inverse } from '../../robots/planar.js';
import { loadKeyboard, loadPianoArm } from '../../robots/load.js';
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

