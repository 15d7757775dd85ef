import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Fleet, FleetError } from '../../bridge/fleet.js';
import { rosMember } from '../../bridge/members.js';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { loadKeyboard } from '../../robots/load.js';
import { localMotion } from '../../robots/motion/motion-source.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { Rng } from '../../src/snn/rng.js';
import { recallSkill, robotJoints, teachSkill, type DemoSample } from '../../src/skills/index.js';
import { UR5E, UR_HOME, urArmBehind } from '../helpers/ros-arm.js';
import { gripperBehind } from '../helpers/ros-gripper.js';
import { startRosbridge, type TestRosbridge } from '../helpers/rosbridge-server.js';
import { settle, step, until, useRosFakeTime } from '../helpers/ros-time.js';

/** Pick and place on the UR5e at 100 Hz: reach, pause and close at 2.1 s, carry, open at 3.2 s while moving. */
function pickAndPlace(seed = 1): DemoSample[] {
  const rng = new Rng(seed);
  const a = UR_HOME;
  const b = UR_HOME.map((q, j) => q + [0.15, -0.1, 0.12, 0.05, -0.1, 0.15][j]!);
  const c = UR_HOME.map((q, j) => q + [-0.15, 0.05, -0.1, 0.1, 0.05, -0.15][j]!);
  const plan = [
    { from: a, to: a, seconds: 0.5 },
    { from: a, to: b, seconds: 1.2 },
    { from: b, to: b, seconds: 0.8 },
    { from: b, to: c, seconds: 1.5 },
  ];
  const out: DemoSample[] = [];
  let t = 0;
  for (const seg of plan) {
    for (let k = 0; k < seg.seconds * 100; k++, t += 0.01) {
      const s = (1 - Math.cos((Math.PI * k) / (seg.seconds * 100))) / 2;
      out.push({ time: t, positions: seg.from.map((x, j) => x + s * (seg.to[j]! - x) + (rng.next() - 0.5) * 0.004), gripper: t >= 2.1 - 1e-9 && t < 3.2 - 1e-9 ? 1 : 0 });
    }
  }
  out.push({ time: t, positions: [...c], gripper: 0 });
  return out;
}

type Stamp = { sec?: number; secs?: number; nanosec?: number; nsecs?: number };
const secs = (s: Stamp) => (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9;
const OPEN = 0.085;

describe.each([1, 2] as const)('ROS %i: a skill opens and closes the gripper by control_msgs/GripperCommand', (ros) => {
  const cleanup: Array<() => unknown> = [];
  let bridge: TestRosbridge;
  let link: RosLink;
  let memory: SequenceMemory;
  beforeEach(async () => {
    useRosFakeTime();
    bridge = await startRosbridge(0, { rosVersion: ros });
    link = new RosLink(bridge.url);
    cleanup.push(() => bridge.close(), () => link.close());
    await link.connect();
    memory = new SequenceMemory();
    teachSkill(memory, 'pick', pickAndPlace(), robotJoints(UR5E));
  });
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
    vi.useRealTimers();
  });

  /** The UR arm and its gripper behind the bridge, a driver with the gripper configured, in a fleet. */
  async function setup(server: Partial<Parameters<typeof gripperBehind>[1]> = {}, closedPosition = 0) {
    const arm = urArmBehind(bridge, { ros });
    const gripper = gripperBehind(bridge, { ros, ...server });
    cleanup.push(arm.stop, gripper.stop);
    const driver = new RosArmDriver({
      link,
      description: UR5E,
      rosVersion: ros,
      controller: ros === 2 ? 'scaled_joint_trajectory_controller' : 'scaled_pos_joint_traj_controller',
      command: 'action',
      gripper: { action: '/gripper_controller/gripper_cmd', openPosition: OPEN, closedPosition, maxEffort: 40, seconds: 0.5 },
    });
    const fleet = new Fleet(localMotion(memory), { keyboard: loadKeyboard() });
    fleet.add(rosMember('ur', driver));
    cleanup.push(() => fleet.close());
    await until(link, () => driver.state().positions.length === 6, 1000, 'first joint state');
    expect(fleet.describe().robots[0]!.description.gripper).toEqual({ seconds: 0.5 });
    return { arm, gripper, driver, fleet };
  }

  it('each goal reaches the gripper when the skill reaches its recalled time; the result counts them', async () => {
    const { arm, gripper, fleet } = await setup();
    const events: Array<Record<string, unknown>> = [];
    const r = (await settle(link, fleet.performSkill('pick', 'ur', {}, (e) => void events.push(e)), 20_000, 'the skill')) as Record<string, unknown>;
    expect(r).toMatchObject({ stopped: false, gripper: { events: 3, sent: 3, performed: 3 } });
    expect(r).not.toHaveProperty('warning');
    expect(gripper.goals.map((g) => [g.position, g.maxEffort, g.how])).toEqual([[OPEN, 40, 'succeeded'], [0, 40, 'succeeded'], [OPEN, 40, 'succeeded']]);
    // the skill's first keyframe is the goal's third point: each gripper goal came at its recalled time after it
    const fjt = arm.accepted[0]!;
    const start = secs(fjt.header.stamp) + secs(fjt.points[2].time_from_start);
    const recalled = recallSkill(memory, 'pick').gripper!;
    gripper.goals.forEach((g, i) => expect(Math.abs(g.received - (start + recalled[i]!.time))).toBeLessThan(0.03));
    expect(events.filter((e) => e.type === 'gripper').map((e) => e.ok)).toEqual([true, true, true]);
  });

  it("a goal the gripper's server rejects fails the skill with its text and stops the arm", async () => {
    // closed is configured past the finger's range: the server refuses the close
    const { gripper, fleet } = await setup({}, -0.02);
    const err = await settle(link, fleet.performSkill('pick', 'ur', {}, () => undefined), 20_000, 'the skill');
    expect(err).toBeInstanceOf(FleetError);
    const why = ros === 1 ? 'goal rejected: position -0.02 is outside 0..0.085' : 'goal rejected: Action goal was rejected';
    expect((err as Error).message).toContain(`robot 'ur': gripper: /gripper_controller/gripper_cmd: ${why}`);
    expect(gripper.goals.map((g) => g.how)).toEqual(['succeeded', 'rejected']);
    expect(fleet.list()[0]!.stopped).toBe(true);
  });

  it('an operator grip: a stall on an object is a grasp (allow_stalling); without it, aborted, an error', async () => {
    let env = await setup({ stallAt: 0.03 });
    const held = await settle(link, env.fleet.grip('ur', 1), 3000, 'grip');
    expect(held).toEqual({ robot: 'ur', closure: 1, position: expect.closeTo((0.03 - OPEN) / (0 - OPEN), 6) });
    for (const c of cleanup.splice(4).reverse()) await c();
    env = await setup({ stallAt: 0.03, allowStalling: false });
    const err = await settle(link, env.fleet.grip('ur', 1), 3000, 'grip');
    expect((err as Error).message).toBe("gripper: robot 'ur': /gripper_controller/gripper_cmd: goal aborted: stalled; goal not reached");
  });

  it('stop drops the gripper goals not sent yet and cancels the one under way', async () => {
    const { gripper, fleet } = await setup();
    const run = fleet.performSkill('pick', 'ur', {}, () => undefined);
    await until(link, () => gripper.goals.length === 1, 3000, 'the first gripper goal');
    await step(link, 600);
    fleet.stop('stop command');
    const r = (await settle(link, run, 3000, 'the skill')) as Record<string, unknown>;
    expect(r).toMatchObject({ stopped: true, stopReason: 'stop command' });
    expect(r.warning).toMatch(/gripper events were not performed/);
    await step(link, 4000);
    expect(gripper.goals.length).toBe(1);
    expect(gripper.position()).toBe(OPEN);
  });

  it('the bridge refuses a goal that does not fit control_msgs/GripperCommand, as rosbridge does; no goal reaches the server', async () => {
    const { gripper } = await setup();
    if (ros === 1) {
      link.ros.callOnConnection({ op: 'advertise', topic: '/gripper_controller/gripper_cmd/goal', type: 'control_msgs/GripperCommandActionGoal' } as never);
      link.ros.callOnConnection({ op: 'publish', topic: '/gripper_controller/gripper_cmd/goal', msg: { goal_id: { id: 'x' }, goal: { command: { position: 'wide' } } } } as never);
      link.ros.callOnConnection({ op: 'publish', topic: '/gripper_controller/gripper_cmd/goal', msg: { goal_id: { id: 'y' }, goal: { command: { position: 0.02, force: 3 } } } } as never);
    } else {
      link.ros.callOnConnection({ op: 'send_action_goal', id: 'g1', action: '/gripper_controller/gripper_cmd', action_type: 'control_msgs/action/GripperCommand', args: { command: { position: 'wide' } } } as never);
      link.ros.callOnConnection({ op: 'send_action_goal', id: 'g2', action: '/gripper_controller/gripper_cmd', action_type: 'control_msgs/action/GripperCommand', args: { position: 0.02 } } as never);
    }
    await step(link, 50);
    const type = ros === 1 ? 'control_msgs/GripperCommandActionGoal' : 'control_msgs/action/GripperCommand';
    const field = ros === 1 ? 'goal.command' : 'command';
    expect(bridge.statuses).toEqual([
      expect.stringMatching(new RegExp(`^(publish|send_action_goal): FieldTypeMismatchException: ${type} message requires a float64 for field ${field}\\.position, but got a str$`)),
      expect.stringMatching(new RegExp(`^(publish|send_action_goal): NonexistentFieldException: Message type ${type} does not have a field ${ros === 1 ? 'goal\\.command\\.force' : 'position'}$`)),
    ]);
    expect(gripper.goals).toEqual([]);
  });

  it("records the gripper with the joints from its finger joint's state, as a demonstration carries it", async () => {
    const arm = urArmBehind(bridge, { ros });
    const gripper = gripperBehind(bridge, { ros, joint: 'gripper_finger_joint' });
    cleanup.push(arm.stop, gripper.stop);
    const driver = new RosArmDriver({ link, description: UR5E, rosVersion: ros, command: 'action', gripper: { action: '/gripper_controller/gripper_cmd', openPosition: OPEN, closedPosition: 0, joint: 'gripper_finger_joint' } });
    const fleet = new Fleet(localMotion(memory), { keyboard: loadKeyboard() });
    fleet.add(rosMember('ur', driver));
    cleanup.push(() => fleet.close());
    await until(link, () => driver.state().gripper === 0, 1000, 'the gripper open in the joint states');
    const recording = fleet.record('ur', 1.5, () => undefined);
    await step(link, 400);
    gripper.operate(0); // the person closes it while the arm is recorded
    const samples = await settle(link, recording, 3000, 'the recording');
    if (samples instanceof Error) throw samples;
    expect(samples.length).toBeGreaterThan(50);
    expect(samples.every((x) => typeof x.gripper === 'number')).toBe(true);
    expect(samples[0]!.gripper).toBe(0);
    expect(samples[samples.length - 1]!.gripper).toBe(1);
  });
});
