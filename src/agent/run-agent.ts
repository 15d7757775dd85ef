import type { Server } from 'node:http';
import type { SequenceMemory } from '../memory/sequence-memory.js';
import type { RobotDescription } from '../../robots/description.js';
import type { SimulatedRobot } from '../../robots/simulated.js';
import { localMotion } from '../../robots/motion/motion-source.js';
import { AgentCore } from './agent-core.js';

/** How `engram serve` is set up: every channel and robot it starts. */
export interface AgentSetup {
  memory: SequenceMemory;
  save: () => void;
  host: string;
  port: number;
  /** An external broker's URL; none: the embedded broker on host:mqttPort. */
  broker?: string;
  mqttPort: number;
  username?: string;
  password?: string;
  /** Simulated piano arms started on the broker and driven like real ones (ids sim-left, sim-right). */
  simRobots: number;
  /** Start the simulated industrial arm 'sim-arm' on the broker, driven like a real one (default true). */
  simArm?: boolean;
  /** Its description: a bundled robot's name, a file, or the description (default 'ur5e', the 6-joint UR5e). */
  simArmRobot?: string | RobotDescription;
  /** Robots already on the broker to drive (their ids). */
  mqttRobots: string[];
  /** A rosbridge to offer the agent's commands on, and optionally an arm behind it. */
  ros?: {
    url: string;
    version: 1 | 2;
    /**
     * An arm behind the rosbridge: its joint names in /joint_states (default: the description's), its
     * controller, action or topic, and its description: `robot` is a bundled name or a file (URDF,
     * sidecar, description); with `fromRobot` the URDF is read from the robot (robot_description) and
     * `robot` only gives the sidecar (acceleration limits, which joints).
     */
    arm?: { id: string; joints?: string[]; controller: string; action: boolean; robot: string; fromRobot?: boolean };
  };
  log: (line: string) => void;
}

export interface RunningAgent {
  core: AgentCore;
  http: Server;
  mqttUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the agent: the web app and its API, MQTT (embedded broker unless one is named), the robots
 * (simulated ones over MQTT, named MQTT robots, a ROS arm) behind their safety gates, and the ROS
 * channel. Everything listens on `host` (127.0.0.1 by default). close() stops the robots first.
 */
export async function runAgent(o: AgentSetup): Promise<RunningAgent> {
  const [{ serve }, { MqttAgent }, { Fleet }, { mqttMember, rosMember }, mqtt] = await Promise.all([
    import('./serve.js'),
    import('../../bridge/mqtt/agent.js'),
    import('../../bridge/fleet.js'),
    import('../../bridge/members.js'),
    import('mqtt'),
  ]);
  const core = new AgentCore({ memory: o.memory, save: o.save });
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    closers.length = 0;
  };
  try {
    const http = await serve({ agent: core, host: o.host, port: o.port }).catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is in use: pick another with --port` : `cannot listen on ${o.host}:${o.port}: ${err.message}`);
    });
    closers.push(() => new Promise<void>((r) => http.close(() => r())));
    let url = o.broker ?? '';
    if (!url) {
      const { startEmbeddedBroker } = await import('../../bridge/mqtt/broker.js');
      const broker = await startEmbeddedBroker({ host: o.host, port: o.mqttPort }).catch((err: NodeJS.ErrnoException) => {
        throw new Error(err.code === 'EADDRINUSE' ? `MQTT port ${o.mqttPort} on ${o.host} is in use: pick another with --mqtt-port, or name a broker with --broker` : err.message);
      });
      closers.push(() => broker.close());
      url = broker.url;
    }
    const auth = { username: o.username, password: o.password };
    const mqttAgent = new MqttAgent({ agent: core, url, ...auth });
    await mqttAgent.start();
    closers.push(() => mqttAgent.stop());

    const fleet = new Fleet(localMotion(o.memory));
    core.robots = fleet;
    closers.push(() => fleet.close());
    const simArm = o.simArm ?? true;
    if (o.simRobots > 0 || o.mqttRobots.length > 0 || simArm) {
      const client = await mqtt.connectAsync(url, { clientId: `engram-robots-${process.pid}`, reconnectPeriod: 500, queueQoSZero: false, ...auth });
      closers.push(() => client.endAsync(true));
      const [{ SimMqttRobot }, { simulatedIndustrialArm, simulatedPianoArm }, { loadKeyboard, loadPianoArm, loadRobot }] = await Promise.all([
        import('../../bridge/mqtt/sim-robot.js'),
        import('../../sim/simulated-robots.js'),
        import('../../robots/load.js'),
      ]);
      // the simulated robots are built here and handed to the transport that makes them reachable
      const startSim = async (robotId: string, robot: SimulatedRobot) => {
        const sim = new SimMqttRobot({ url, robotId, robot, ...auth });
        await sim.start();
        closers.push(() => sim.stop());
      };
      if (o.simRobots > 0) {
        const [{ armPair }, { planArm }] = await Promise.all([import('../../robots/motion/piano.js'), import('../../robots/motion/planner.js')]);
        const kb = loadKeyboard();
        const arms = armPair(loadPianoArm(), kb).slice(0, o.simRobots);
        const ids = ['sim-left', 'sim-right'];
        for (const [i, robot] of arms.entries()) await startSim(ids[i]!, simulatedPianoArm(kb, robot, planArm(robot, kb, []).startQ));
        for (const id of ids.slice(0, arms.length)) fleet.add(await mqttMember(client, id));
      }
      if (simArm) {
        const robot = typeof o.simArmRobot === 'object' ? o.simArmRobot : loadRobot(o.simArmRobot ?? 'ur5e');
        await startSim('sim-arm', simulatedIndustrialArm(robot));
        fleet.add(await mqttMember(client, 'sim-arm'));
      }
      for (const id of o.mqttRobots) {
        try {
          fleet.add(await mqttMember(client, id));
        } catch (err) {
          o.log(`robot '${id}' not added: ${(err as Error).message}`);
        }
      }
    }
    if (o.ros) {
      const [{ RosAgent }, { RosArmDriver }, { RosLink }, { loadRobot }, { robotFromRos }] = await Promise.all([
        import('../../bridge/ros/ros-agent.js'),
        import('../../bridge/ros/ros-arm-driver.js'),
        import('../../bridge/ros/ros-link.js'),
        import('../../robots/load.js'),
        import('../../bridge/ros/robot-description.js'),
      ]);
      // one WebSocket for the agent's services and the arm
      const link = new RosLink(o.ros.url);
      closers.push(() => link.close());
      await link.connect();
      if (o.ros.arm) {
        const a = o.ros.arm;
        const description = a.fromRobot ? await robotFromRos(link, { rosVersion: o.ros.version, sidecar: a.robot }) : loadRobot(a.robot);
        const driver = new RosArmDriver({ link, description, jointNames: a.joints, controller: a.controller, rosVersion: o.ros.version, command: a.action ? 'action' : 'topic' });
        fleet.add(rosMember(a.id, driver));
      }
      const rosAgent = new RosAgent({ agent: core, link, rosVersion: o.ros.version });
      await rosAgent.start();
      closers.push(() => rosAgent.stop());
    }
    return { core, http, mqttUrl: url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
