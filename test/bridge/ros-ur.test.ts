import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readUrdfFromRos, robotFromRos } from '../../bridge/ros/robot-description.js';
import { SafetyError } from '../../bridge/safety-gate.js';
import type { RobotDescription } from '../../robots/description.js';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { Fleet, FleetError } from '../../bridge/fleet.js';
import { rosMember } from '../../bridge/members.js';
import { loadKeyboard } from '../../robots/load.js';
import { localMotion } from '../../robots/motion/motion-source.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { GoalResult, TrajectoryPoint } from '../../robots/driver.js';
import { GRIPPER_JOINT, UR5E, UR_HOME, UR_JOINTS, urArmBehind, urRobotDescription } from '../helpers/ros-arm.js';
import { startRosbridge, type TestRosbridge } from '../helpers/rosbridge-server.js';
import { settle, step, until, useRosFakeTime } from '../helpers/ros-time.js';

/**
 * A UR-style 6-joint arm behind the project's rosbridge test server, ROS 1 and ROS 2: joint states with
 * the names scrambled and a gripper among them, a controller that checks its goals the way ros_control
 * does, the URDF served as robot_description. Fake time: the arm, the driver, the gate and the fleet run
 * on it; the sockets are real (ros-time.ts).
 */

/** The UR5e on a linear axis: its controller drives seven joints. */
const ON_RAIL: RobotDescription = {
  ...UR5E,
  name: 'ur5e on a rail',
  joints: [...UR5E.joints, { name: 'linear_axis_joint', type: 'prismatic', min: 0, max: 1, maxSpeed: 0.5, maxAccel: 2, maxEffort: 500 }],
};
const SEVEN = "ur5e on a rail: point 0 gives 6 joint positions; the goal must name all 7 joints (shoulder_pan_joint, shoulder_lift_joint, elbow_joint, wrist_1_joint, wrist_2_joint, wrist_3_joint, linear_axis_joint)";

describe.each([1, 2] as const)('ROS %i: a UR-style arm behind rosbridge', (ros) => {
  const cleanup: Array<() => unknown> = [];
  let bridge: TestRosbridge;
  let link: RosLink;
  beforeEach(async () => {
    useRosFakeTime();
    bridge = await startRosbridge(0, { rosVersion: ros });
    link = new RosLink(bridge.url);
    cleanup.push(() => bridge.close(), () => link.close());
    await link.connect();
  });
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
    vi.useRealTimers();
  });

  const arm = (options: Partial<Parameters<typeof urArmBehind>[1]> = {}) => {
    const sim = urArmBehind(bridge, { ros, ...options });
    cleanup.push(sim.stop);
    return sim;
  };
  const driver = (options: Partial<ConstructorParameters<typeof RosArmDriver>[0]> = {}) => {
    const d = new RosArmDriver({ link, description: UR5E, rosVersion: ros, controller: ros === 2 ? 'scaled_joint_trajectory_controller' : 'scaled_pos_joint_traj_controller', command: 'action', ...options });
    cleanup.push(() => d.close());
    return d;
  };
  /** A move of every joint from where the arm is, starting `lead` s from now on the robot's clock. */
  const moveAll = (d: RosArmDriver, delta: number, seconds = 1, lead = 0.05): TrajectoryPoint[] => {
    const s = d.state();
    const zero = s.positions.map(() => 0);
    return [
      { time: s.time + lead, positions: s.positions, velocities: zero },
      { time: s.time + lead + seconds, positions: s.positions.map((q, j) => q + delta * (j % 2 ? -1 : 1)), velocities: zero },
    ];
  };

  it('reads all six joints by name from scrambled joint states, ignores the gripper beside them and alone', async () => {
    const sim = arm({ q0: [0.1, -1.2, 1.4, -0.9, -1.6, 0.3] });
    const d = driver();
    const errors: string[] = [];
    let states = 0;
    d.events.on('error', (e) => errors.push(e.message));
    d.events.on('state', () => states++);
    await step(link, 1000);
    expect(d.state().positions).toEqual([0.1, -1.2, 1.4, -0.9, -1.6, 0.3]);
    // 125 Hz arm messages only: the gripper's own 20 Hz messages make no state
    expect(states).toBeGreaterThan(100);
    expect(states).toBeLessThanOrEqual(126);
    expect(errors).toEqual([]);
    expect(d.jointNames).toEqual(UR_JOINTS);
    // the robot moves: the driver follows every joint
    sim.move([{ after: 0.5, positions: [0.3, -1.0, 1.2, -1.1, -1.4, 0.5] }]);
    await step(link, 700);
    d.state().positions.forEach((q, j) => expect(q).toBeCloseTo([0.3, -1.0, 1.2, -1.1, -1.4, 0.5][j]!, 6));
  });

  it('a joint missing from /joint_states is one error event while it is missing, and commands are refused naming it', async () => {
    const sim = arm({ published: UR_JOINTS.filter((n) => n !== 'wrist_3_joint') });
    const d = driver();
    const errors: string[] = [];
    d.events.on('error', (e) => errors.push(e.message));
    await step(link, 2000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/\/joint_states: no state for joint 'wrist_3_joint' for 500 ms \(the last message names /);
    expect(errors[0]).toContain(GRIPPER_JOINT);
    expect(d.state().positions).toEqual([]); // no state without every joint
    expect(() => d.follow([{ time: Date.now() / 1000 + 1, positions: UR_HOME }])).toThrow(/no state for joint 'wrist_3_joint'.*the command is refused/);
    expect(errors).toHaveLength(1); // said once
    expect(sim.outcomes).toEqual([]);
    // malformed joint states: dropped, said once
    for (let i = 0; i < 5; i++) bridge.publish('/joint_states', { name: ['elbow_joint'], position: [] });
    await step(link, 50);
    expect(errors.slice(1)).toEqual(['/joint_states: a message without matching name and position arrays was dropped']);
  });

  it('goals name all six joints, start in the robot future and come back as results; a newer goal supersedes, stop reports nothing', async () => {
    const sim = arm();
    const d = driver();
    const results: GoalResult[] = [];
    d.events.on('result', (r) => results.push(r));
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    d.follow(moveAll(d, 0.2));
    await step(link, 1300);
    expect(results).toEqual([{ ok: true, code: 0 }]);
    d.state().positions.forEach((q, j) => expect(q).toBeCloseTo(UR_HOME[j]! + 0.2 * (j % 2 ? -1 : 1), 6));
    // two goals back to back: the first is preempted by ours, only the second's outcome is reported
    d.follow(moveAll(d, -0.1, 2));
    await step(link, 100);
    d.follow(moveAll(d, -0.2, 1));
    await step(link, 1300);
    expect(sim.outcomes.map((o) => o.how)).toEqual(['succeeded', 'preempted', 'succeeded']);
    expect(results).toEqual([{ ok: true, code: 0 }, { ok: true, code: 0 }]);
    // stop mid-goal: the controller holds; the cancelled goal is the stop's business, not a result
    d.follow(moveAll(d, 0.3, 2));
    await step(link, 500);
    d.stop();
    await step(link, 100);
    const held = d.state().positions;
    await step(link, 500);
    expect(d.state().positions).toEqual(held);
    expect(sim.outcomes.at(-1)!.how).toBe('preempted');
    expect(results).toHaveLength(2);
  });

  it('a goal the controller rejects or aborts is a result with its code and text', async () => {
    // the controller drives a seventh joint (a linear axis): a six-joint goal is partial
    let sim = arm({ robot: ON_RAIL, q0: [...UR_HOME, 0.5] });
    let d = driver();
    const results: GoalResult[] = [];
    d.events.on('result', (r) => results.push(r));
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    d.follow(moveAll(d, 0.1));
    await step(link, 50);
    expect(sim.outcomes).toEqual([{ code: -2, error: SEVEN, how: 'rejected' }]);
    if (ros === 1) {
      expect(results).toEqual([{ ok: false, code: -2, error: `/scaled_pos_joint_traj_controller/follow_joint_trajectory: goal rejected: error_code -2 (INVALID_JOINTS): ${SEVEN}` }]);
    } else {
      expect(results).toEqual([
        { ok: false, code: -1, error: '/scaled_joint_trajectory_controller/follow_joint_trajectory: goal rejected: error_code -1 (INVALID_GOAL): Action goal was rejected (a ROS 2 rejection carries no error code)' },
      ]);
    }
    sim.stop();
    d.close();

    // a point outside the controller's limits (the robot's elbow is limited to ±2 rad, the description says ±2π)
    sim = arm({ robot: { ...UR5E, joints: UR5E.joints.map((j) => (j.name === 'elbow_joint' ? { ...j, min: -2, max: 2 } : j)) } });
    d = driver();
    results.length = 0;
    d.events.on('result', (r) => results.push(r));
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    const s = d.state();
    d.follow([
      { time: s.time + 0.05, positions: s.positions },
      { time: s.time + 1.5, positions: s.positions.map((q, j) => (j === 2 ? 2.5 : q)) },
    ]);
    await step(link, 50);
    expect(sim.outcomes).toEqual([{ code: -1, error: 'ur5e: point 1: joint elbow_joint position 2.500 is outside -2.000..2.000', how: 'rejected' }]);
    expect(results[0]).toMatchObject({ ok: false, code: -1 });
    if (ros === 1) expect(results[0]!.error).toMatch(/goal rejected: error_code -1 \(INVALID_GOAL\): ur5e: point 1: joint elbow_joint position 2\.500 is outside -2\.000\.\.2\.000$/);

    // faster than the arm can go: it falls behind its trajectory and the goal is aborted, on ROS 1 and ROS 2 alike
    const t = d.state();
    d.follow([
      { time: t.time + 0.05, positions: t.positions },
      { time: t.time + 0.25, positions: t.positions.map((q, j) => (j === 0 ? q + 0.8 : q)) },
    ]);
    await step(link, 400);
    expect(sim.outcomes[1]).toMatchObject({ code: -4, how: 'aborted' });
    expect(results[1]).toMatchObject({ ok: false, code: -4 });
    expect(results[1]!.error).toMatch(
      new RegExp(`^/${ros === 1 ? 'scaled_pos_joint_traj_controller' : 'scaled_joint_trajectory_controller'}/follow_joint_trajectory: goal aborted: error_code -4 \\(PATH_TOLERANCE_VIOLATED\\): ur5e: joint \\w+ is 0\\.\\d+ off its trajectory`),
    );
  });

  it('joint states that lag the controller clock make goals old: the controller says OLD_HEADER_TIMESTAMP; a trajectory already in the past is not sent', async () => {
    const sim = arm({ stateLag: 0.2 });
    const d = driver();
    const results: GoalResult[] = [];
    d.events.on('result', (r) => results.push(r));
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    d.follow(moveAll(d, 0.1, 1, 0.05)); // 50 ms ahead of the states, 150 ms behind the controller
    await step(link, 50);
    expect(sim.outcomes[0]).toMatchObject({ code: -3, how: 'rejected' });
    expect(results[0]).toMatchObject({ ok: false, code: ros === 1 ? -3 : -1 });
    if (ros === 1) expect(results[0]!.error).toMatch(/error_code -3 \(OLD_HEADER_TIMESTAMP\): ur5e: the goal starts at -?\d+\.\d+ s, 0\.1\d\d s before the arm's time/);
    // a trajectory that starts before the robot's own clock is refused here, before it reaches the controller
    const s = d.state();
    await step(link, 300);
    expect(() => d.follow([{ time: s.time + 0.1, positions: s.positions }, { time: s.time + 1, positions: s.positions }])).toThrow(
      /the trajectory starts 2\d\d\.\d ms in the robot's past \(robot clock \d+\.\d{3} s\): a controller rejects old goals, so it is not sent/,
    );
    await step(link, 50);
    expect(sim.outcomes).toHaveLength(1);
  });

  it('the topic mode sends JointTrajectory naming every joint with velocities; there are no results to report', async () => {
    const sim = arm();
    const d = driver({ command: 'topic' });
    const results: GoalResult[] = [];
    d.events.on('result', (r) => results.push(r));
    expect(d.reportsResults).toBe(false);
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    d.follow(moveAll(d, 0.15));
    await step(link, 1200);
    const sent = bridge.published.get(sim.commandTopic)![0] as { joint_names: string[]; points: Array<{ velocities: number[] }> };
    expect(sent.joint_names).toEqual(UR_JOINTS);
    expect(sent.points.every((p) => p.velocities.length === 6)).toBe(true);
    d.state().positions.forEach((q, j) => expect(q).toBeCloseTo(UR_HOME[j]! + 0.15 * (j % 2 ? -1 : 1), 6));
    expect(results).toEqual([]);
  });

  /** The agent with the arm in its fleet, as engram serve wires it: commands run through AgentCore. */
  const agent = (d: RosArmDriver) => {
    const memory = new SequenceMemory();
    const fleet = new Fleet(localMotion(memory), { keyboard: loadKeyboard() });
    fleet.add(rosMember('ur', d));
    cleanup.push(() => fleet.close());
    const events: Array<{ type: string; [k: string]: unknown }> = [];
    const core = new AgentCore({ memory, robots: fleet });
    core.onEvent((e) => void events.push(e));
    return { core, fleet, memory, events };
  };
  const POSES = [
    [0.1, -1.3, 1.3, -1.8, -1.3, 0.4],
    [-0.3, -1.9, 1.9, -1.2, -1.9, -0.4],
    [0.25, -1.4, 1.35, -1.5, -1.25, 0.3],
  ];

  it('teaches all six joints from /joint_states while the arm is moved, and performs them back: the arm reaches every keyframe', async () => {
    const sim = arm();
    const d = driver();
    const { core, events } = agent(d);
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    const teach = core.run({ command: 'teach', skill: 'wave', robot: 'ur', seconds: 3.2 }, 'test');
    await step(link, 200);
    // someone moves the arm through three poses, every joint, pausing at the second
    sim.move([
      { after: 0.8, positions: POSES[0]! },
      { after: 1.6, positions: POSES[1]! },
      { after: 2.0, positions: POSES[1]! },
      { after: 2.8, positions: POSES[2]! },
    ]);
    const taught = (await settle(link, teach, 5000, 'teach')) as { skill: string; keyframes: number; samples: number };
    expect(taught).toMatchObject({ skill: 'wave' });
    expect(taught.keyframes).toBeGreaterThanOrEqual(3);
    // every other 125 Hz joint state (the recorder keeps one per 10 ms), the gripper's own messages not among them
    expect(taught.samples).toBeGreaterThanOrEqual(195);
    expect(taught.samples).toBeLessThanOrEqual(201);

    const answer = (await settle(link, core.run({ command: 'perform', title: 'wave', robots: ['ur'] }, 'test'), 20_000, 'perform')) as {
      keyframes: number;
      due: number;
      reached: number;
      maxError: number;
      stopped: boolean;
    };
    expect(answer).toMatchObject({ stopped: false, due: answer.keyframes, reached: answer.keyframes });
    expect(answer.maxError).toBeLessThan(0.05);
    expect(events.filter((e) => e.type === 'keyframe')).toHaveLength(answer.keyframes);
    // one goal naming the six joints in the arm's order; every joint moves in it, as it did when taught
    expect(sim.accepted).toHaveLength(1);
    const goal = sim.accepted[0] as { joint_names: string[]; points: Array<{ positions: number[] }> };
    expect(goal.joint_names).toEqual(UR_JOINTS);
    for (let j = 0; j < 6; j++) {
      const qs = goal.points.map((p) => p.positions[j]!);
      expect(Math.max(...qs) - Math.min(...qs)).toBeGreaterThan(0.5);
    }
    expect(sim.outcomes).toEqual([{ code: 0, error: '', how: 'succeeded' }]);
    // the arm ends at the last pose it was taught
    d.state().positions.forEach((q, j) => expect(q).toBeCloseTo(POSES[2]![j]!, 1));
  });

  it('a goal the controller rejects makes perform fail with the controller code and text, and the arm stays stopped', async () => {
    const sim = arm({ robot: ON_RAIL, q0: [...UR_HOME, 0.5] });
    const d = driver();
    const { core, fleet } = agent(d);
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    const samples = Array.from({ length: 101 }, (_, i) => ({ time: i * 0.02, positions: UR_HOME.map((q, j) => q + 0.3 * Math.sin((i * 0.02 * (j + 1)) / 2)) }));
    await core.run({ command: 'teach', skill: 'wave', robot: 'ur', samples }, 'test');
    const err = await settle(link, core.run({ command: 'perform', title: 'wave', robots: ['ur'] }, 'test'), 20_000, 'perform');
    expect(err).toBeInstanceOf(FleetError);
    const text =
      ros === 1
        ? `robot 'ur': /scaled_pos_joint_traj_controller/follow_joint_trajectory: goal rejected: error_code -2 (INVALID_JOINTS): ${SEVEN}`
        : "robot 'ur': /scaled_joint_trajectory_controller/follow_joint_trajectory: goal rejected: error_code -1 (INVALID_GOAL): Action goal was rejected (a ROS 2 rejection carries no error code)";
    expect((err as Error).message).toContain(text);
    expect((err as Error).message).toMatch(/\(0 of \d+ keyframes were due before it ended\)$/);
    expect(sim.outcomes).toEqual([{ code: -2, error: SEVEN, how: 'rejected' }]);
    expect(fleet.list()[0]).toMatchObject({ stopped: true, activity: 'idle' });
  });

  it("reads the robot's description from the robot: the gate takes its limits from the URDF it serves", async () => {
    // a UR5e with a gripper, configured with a narrower elbow and a slower base than the bundled UR5e
    const urdf = urRobotDescription({ elbow_joint: { lower: -2.5, upper: 2.5 }, shoulder_pan_joint: { velocity: 1 } });
    const sim = arm({ urdf, describe: 'param' });
    const robot = await settle(link, robotFromRos(link, { rosVersion: ros, sidecar: 'ur5e' }), 2000, 'robotFromRos');
    if (robot instanceof Error) throw robot;
    expect(robot.joints.map((j) => j.name)).toEqual(UR_JOINTS); // the sidecar's six; the gripper's joint is not engram's
    expect(robot.joints[2]).toMatchObject({ name: 'elbow_joint', min: -2.5, max: 2.5 });
    expect(robot.joints[0]).toMatchObject({ name: 'shoulder_pan_joint', maxSpeed: 1, maxAccel: 15 });
    expect(robot.urdf).toBe(urdf);
    const d = driver({ description: robot }); // the joint names are the URDF's: no list to give
    const { gate } = rosMember('ur', d);
    cleanup.push(() => gate.dispose());
    const results: GoalResult[] = [];
    d.events.on('result', (r) => results.push(r));
    await until(link, () => d.state().positions.length === 6, 1000, 'first joint state');
    const to = (change: (q: number, j: number) => number, seconds: number, s = d.state()): TrajectoryPoint[] => [
      { time: s.time + 0.05, positions: s.positions, velocities: s.positions.map(() => 0) },
      { time: s.time + 0.05 + seconds, positions: s.positions.map(change), velocities: s.positions.map(() => 0) },
    ];
    const refusal = (points: TrajectoryPoint[]) => {
      try {
        gate.follow(points);
      } catch (err) {
        return err as SafetyError;
      }
      throw new Error('the gate let it through');
    };
    // past the elbow's URDF limit (inside the bundled UR5e's ±2π)
    const elbow = refusal(to((q, j) => (j === 2 ? 2.7 : q), 3));
    expect(elbow).toBeInstanceOf(SafetyError);
    expect(elbow.reason).toBe('limits');
    expect(elbow.message).toMatch(/elbow_joint/);
    expect(elbow.message).toMatch(/2\.5/);
    // the base faster than its URDF velocity limit (1 rad/s; the bundled UR5e allows π)
    const fast = refusal(to((q, j) => (j === 0 ? q + 1.5 : q), 1));
    expect(fast.reason).toBe('limits');
    expect(fast.message).toMatch(/shoulder_pan_joint/);
    expect(fast.message).toMatch(/\b1 rad\/s/);
    await step(link, 50);
    expect(sim.outcomes).toEqual([]); // nothing reached the controller
    // within the robot's limits it goes through, and the arm gets there
    gate.follow(to((q, j) => (j === 0 ? q + 0.5 : j === 2 ? 2.2 : q), 2));
    await step(link, 2200);
    expect(results).toEqual([{ ok: true, code: 0 }]);
    expect(d.state().positions[2]).toBeCloseTo(2.2, 6);
  });

  it('reads the URDF from the robot: the parameter, else (ROS 2) the latched topic; a clear error naming both when neither answers', async () => {
    const urdf = '<robot name="ur5e"><link name="base_link"/></robot>';
    arm({ urdf, describe: 'param' });
    expect(await readUrdfFromRos(link, { rosVersion: ros })).toEqual({
      urdf,
      where: ros === 1 ? 'robot_description (parameter /robot_description through /rosapi/get_param)' : 'robot_description (parameter robot_state_publisher:robot_description through /rosapi/get_param)',
    });
    bridge.params.clear();
    const missing = settle(link, readUrdfFromRos(link, { rosVersion: ros, timeoutMs: 500 }), 2000, 'readUrdfFromRos');
    const err = (await missing) as Error;
    if (ros === 1) expect(err.message).toBe('robot description: none could be read from the robot (tried parameter /robot_description through /rosapi/get_param: not set)');
    else {
      expect(err.message).toBe(
        'robot description: none could be read from the robot (tried parameter robot_state_publisher:robot_description through /rosapi/get_param: not set; topic /robot_description: no message within 500 ms (is robot_state_publisher running? through rosbridge a late subscriber can miss a latched message))',
      );
      // the latched topic, for a subscriber that comes after it was published
      bridge.latch('/robot_description', 'std_msgs/msg/String', { data: urdf });
      expect(await settle(link, readUrdfFromRos(link, { rosVersion: 2 }), 2000, 'readUrdfFromRos')).toEqual({ urdf, where: 'robot_description (topic /robot_description)' });
    }
    // a parameter that holds something else than URDF
    bridge.params.set(ros === 1 ? '/robot_description' : '/robot_state_publisher:robot_description', 42);
    const wrong = (await settle(link, readUrdfFromRos(link, { rosVersion: ros, topic: null }), 2000, 'readUrdfFromRos')) as Error;
    expect(wrong.message).toMatch(/through \/rosapi\/get_param: it holds a number, not URDF text\)$/);
  });
});

describe('the test rosbridge is as strict as rosbridge_suite', () => {
  it('answers bad ops and calls to services nobody offers with errors, and refuses a second type for a topic', async () => {
    const bridge = await startRosbridge(0, { rosVersion: 1 });
    const link = new RosLink(bridge.url);
    try {
      await link.connect();
      await expect(link.call('/nobody/here', {})).rejects.toThrow('/nobody/here: Service /nobody/here does not exist');
      link.ros.callOnConnection({ op: 'dance' } as never);
      link.ros.callOnConnection({ op: 'publish', msg: {} } as never);
      bridge.advertise('/joint_states', 'sensor_msgs/JointState');
      link.ros.callOnConnection({ op: 'subscribe', topic: '/joint_states', type: 'sensor_msgs/msg/JointState' } as never);
      link.ros.callOnConnection({ op: 'subscribe', topic: '/joint_states', type: 'std_msgs/String' } as never);
      await link.call('/rosapi/get_time', {});
      expect(bridge.statuses).toEqual([
        'call_service InvalidServiceException: Service /nobody/here does not exist',
        expect.stringMatching(/^Unknown operation: dance\. {2}Allowed operations: \[/),
        'publish: Expected a topic field but none was found.',
        'subscribe: sensor_msgs/msg/JointState is not a valid type string',
        'subscribe: Tried to register topic /joint_states with type std_msgs/String but it is already established with type sensor_msgs/JointState',
      ]);
      expect(bridge.subscribers('/joint_states')).toBe(0);
    } finally {
      link.close();
      await bridge.close();
    }
  });
});
