import mqtt from 'mqtt';
import { vi } from 'vitest';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { MqttRobotDriver } from '../../bridge/mqtt/robot-driver.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import { validateRobot, type PianoArm } from '../../robots/description.js';
import { loadKeyboard, loadPianoArm, loadRobot } from '../../robots/load.js';
import { planArm } from '../../robots/motion/planner.js';
import { forward, inverse } from '../../robots/planar.js';
import type { SimulatedRobot } from '../../robots/simulated.js';
import { IndustrialArm } from '../../sim/industrial-arm.js';
import { simulatedIndustrialArm, simulatedPianoArm } from '../../sim/simulated-robots.js';
import { World } from '../../sim/world.js';
import { UR5E, urArmBehind } from '../helpers/ros-arm.js';
import { startRosbridge } from '../helpers/rosbridge-server.js';
import { step } from '../helpers/ros-time.js';
import { advanceDelivered, describeDriverContract, pump, type DriverUnderTest } from './driver-contract.js';
import { accessFiles } from '../helpers/mqtt-access.js';

/**
 * Every RobotDriver through the one contract (driver-contract.ts). Adding a driver is one
 * describeDriverContract call whose setup builds it, says how its time passes and closes it.
 */
const kb = loadKeyboard();
const piano = loadPianoArm();
const startQ = planArm(piano, kb, []).startQ;

/** A piano arm's reachable pose: the hand lifted 8 cm above where it is, clear of the keys. */
const lifted = (robot: PianoArm) => (q: readonly number[]) => {
  const hand = forward(robot, q)[2]!;
  return inverse(robot, hand.x, hand.y + 0.08) ?? [...q];
};

/** The Matter.js piano arm in its world; time passes by stepping the world (and the fake timers with it). */
function matterArm() {
  const world = new World(kb, [{ robot: piano, startQ }], { dtMs: 1 });
  const arm = world.arms[0]!;
  const advance = async (seconds: number) => {
    const end = world.time + seconds;
    while (world.time < end - 1e-9) {
      const step = Math.min(0.01, end - world.time);
      world.run(world.time + step);
      await vi.advanceTimersByTimeAsync(step * 1000);
    }
  };
  return { world, arm, advance };
}

describeDriverContract('the Matter.js piano arm', async (): Promise<DriverUnderTest> => {
  const { arm, advance } = matterArm();
  return { driver: arm, advance, afterStop: { accepts: true }, reachable: lifted(piano), close: async () => undefined };
});

describeDriverContract('the safety gate over the Matter.js piano arm', async (): Promise<DriverUnderTest> => {
  const { arm, advance } = matterArm();
  const gate = new SafetyGate(arm, { watchdogMs: 200 });
  return {
    driver: gate,
    advance,
    afterStop: { accepts: false, resume: () => gate.resume() },
    reachable: lifted(piano),
    close: async () => gate.dispose(),
  };
});

/** The simulated industrial arm (6-joint UR5e from its URDF); time passes by its own control steps. */
const ur5e = loadRobot('ur5e');
const HOME = [0, -1.57, 1.57, -1.57, -1.57, 0];
function industrialArm() {
  const arm = new IndustrialArm(ur5e, { start: HOME });
  let clock = 0;
  const advance = async (seconds: number) => {
    const end = clock + seconds;
    while (clock < end - 1e-9) {
      const step = Math.min(0.01, end - clock);
      arm.advance((clock += step));
      await vi.advanceTimersByTimeAsync(step * 1000);
    }
  };
  return { arm, advance };
}

describeDriverContract('the industrial arm', async (): Promise<DriverUnderTest> => {
  const { arm, advance } = industrialArm();
  return { driver: arm, advance, afterStop: { accepts: true }, close: async () => undefined };
});

describeDriverContract('the safety gate over the industrial arm', async (): Promise<DriverUnderTest> => {
  const { arm, advance } = industrialArm();
  const gate = new SafetyGate(arm, { watchdogMs: 200 });
  return { driver: gate, advance, afterStop: { accepts: false, resume: () => gate.resume() }, close: async () => gate.dispose() };
});

/**
 * A simulated robot behind the MQTT driver, over the embedded broker on real sockets. Delivered: every
 * command sent has reached the robot, and the agent has the robot's latest joint state.
 */
async function overMqtt(sim: SimulatedRobot, reachable?: DriverUnderTest['reachable']): Promise<DriverUnderTest> {
  const files = accessFiles(['contract']);
  const broker = await pump(startEmbeddedBroker({ port: 0, access: files.access() }));
  const robot = new SimMqttRobot({ url: broker.url, robotId: 'contract', robot: sim, ...files.login('contract') });
  const arm = robot.arm;
  let sent = 0;
  let arrived = 0;
  const follow = arm.follow.bind(arm);
  arm.follow = (points) => (arrived++, follow(points));
  arm.events.on('stopped', () => void arrived++);
  await pump(robot.start());
  const client = await pump(mqtt.connectAsync(broker.url, { clientId: 'engram-agent-contract', reconnectPeriod: 0, queueQoSZero: false, ...files.agent }));
  client.on('packetsend', (p) => {
    if (p.cmd === 'publish' && /\/cmd\/(trajectory|stop)$/.test(p.topic)) sent++;
  });
  const driver = await pump(MqttRobotDriver.connect(client, 'contract', { validate: validateRobot }));
  const delivered = () => arrived >= sent && robot.now() - driver.state().time <= 2 / sim.stateHz + 0.01;
  return {
    driver,
    advance: (seconds) => advanceDelivered(seconds, delivered),
    afterStop: { accepts: true },
    ...(reachable ? { reachable } : {}),
    close: async () => {
      driver.dispose();
      await pump(client.endAsync(true));
      await pump(robot.stop());
      await pump(broker.close());
      files.remove();
    },
  };
}

describeDriverContract('the MQTT driver to a piano arm', () => overMqtt(simulatedPianoArm(kb, piano, startQ), lifted(piano)));
describeDriverContract('the MQTT driver to an industrial arm', () => overMqtt(simulatedIndustrialArm(ur5e, { start: HOME })));

/** The ROS driver to a UR arm behind the project's rosbridge test server; each fake step ends with a round trip through the bridge. */
async function overRos(ros: 1 | 2): Promise<{ h: Omit<DriverUnderTest, 'afterStop'>; driver: RosArmDriver }> {
  const bridge = await pump(startRosbridge(0, { rosVersion: ros }));
  const link = new RosLink(bridge.url);
  await pump(link.connect());
  const sim = urArmBehind(bridge, { ros });
  const driver = new RosArmDriver({ link, description: UR5E, rosVersion: ros, controller: ros === 2 ? 'scaled_joint_trajectory_controller' : 'scaled_pos_joint_traj_controller', command: 'action' });
  await step(link, 200);
  return {
    driver,
    h: {
      driver,
      advance: (seconds) => step(link, seconds * 1000),
      close: async () => {
        driver.close();
        sim.stop();
        link.close();
        await pump(bridge.close());
      },
    },
  };
}

for (const ros of [1, 2] as const) {
  describeDriverContract(`the ROS ${ros} driver`, async () => ({ ...(await overRos(ros)).h, afterStop: { accepts: true } }));
  describeDriverContract(`the safety gate over the ROS ${ros} driver`, async () => {
    const { h, driver } = await overRos(ros);
    const gate = new SafetyGate(driver, { watchdogMs: 500 });
    return { ...h, driver: gate, afterStop: { accepts: false, resume: () => gate.resume() }, close: async () => (gate.dispose(), h.close()) };
  });
}
