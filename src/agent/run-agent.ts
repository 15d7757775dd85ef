import type { Server } from 'node:http';
import type { Fleet } from '../../bridge/fleet.js';
import type { RobotDescription } from '../../robots/description.js';
import { armSimulator, physicsOnThread, type PhysicsRunner } from '../../sim/simulator.js';
import { bundledMelodies } from '../music/notation.js';
import { loadOrCreateToken } from './access-token.js';
import { AgentCore } from './agent-core.js';
import { openMemory } from './library.js';
import { MemoryOnThread, MemoryWorker, type MemoryService } from './memory-service.js';
import { WorkerClient } from './worker-client.js';
import { checkCommand, checkRoutedText } from './command-schemas.js';
import { simRobotsInWorker, simRobotsOnThread, type SimRobots, type SimRobotSpec } from './sim-robots.js';

/** How `engram serve` is set up: every channel and robot it starts. */
export interface AgentSetup {
  /** The memory file (a new memory if it does not exist yet); every change is saved to it. */
  memoryFile: string;
  /** Learn the bundled melodies that are not in the memory yet (default true). */
  bundled?: boolean;
  /**
   * Where the memory and the physics run: 'workers' (default) in worker threads, so the event loop that
   * talks to robots never waits on them; 'main' on the agent's own thread (the bench's comparison).
   */
  threads?: 'workers' | 'main';
  host: string;
  port: number;
  /**
   * Require the HTTP access token (access-token.ts) even on a loopback address; beyond loopback it is
   * always required. The token comes from $ENGRAM_TOKEN, or `tokenFile` (default: the user's config).
   */
  requireToken?: boolean;
  tokenFile?: string;
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
  memory: MemoryService;
  fleet: Fleet;
  /** The simulated robots started on the broker (sim-left, sim-right, sim-arm), in their own thread unless threads is 'main'. */
  simRobots: SimRobots | null;
  /** Bundled melodies learned at this start. */
  bundledLearned: number;
  http: Server;
  /** The HTTP access token when one is required, else null: the page is opened as /?token=<token>. */
  token: string | null;
  mqttUrl: string;
  close(): Promise<void>;
}

/** An address only this machine can reach (127.0.0.0/8, ::1, localhost). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** sim/sim-worker.js from dist/src/agent, or .ts when running from sources. */
function simWorkerEntry(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`../../sim/sim-worker.${ext}`, import.meta.url);
}

/** The physics in the sim worker: a long browser performance delays neither the robots nor the memory. */
async function startSimWorker(): Promise<{ physics: PhysicsRunner; client: WorkerClient }> {
  const entry = simWorkerEntry();
  const client = new WorkerClient(entry, { name: 'sim worker', workerData: () => ({ entry: entry.href }), nice: 10 });
  await client.start();
  const physics: PhysicsRunner = {
    perform: (...args) => client.request('perform', args),
    record: (...args) => client.request('record', args),
  };
  return { physics, client };
}

/**
 * Starts the agent: the web app and its API, MQTT (embedded broker unless one is named), the robots
 * (simulated ones over MQTT, named MQTT robots, a ROS arm) behind their safety gates, and the ROS
 * channel. Everything listens on `host` (127.0.0.1 by default). close() stops the robots first.
 */
export async function runAgent(o: AgentSetup): Promise<RunningAgent> {
  const [{ serve }, { MqttAgent }, { sendAtOnce }, { Fleet }, { mqttMember, rosMember }, mqtt] = await Promise.all([
    import('./serve.js'),
    import('../../bridge/mqtt/agent.js'),
    import('../../bridge/mqtt/no-delay.js'),
    import('../../bridge/fleet.js'),
    import('../../bridge/members.js'),
    import('mqtt'),
  ]);
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    closers.length = 0;
  };
  const onThread = o.threads === 'main';
  const memory: MemoryService = onThread ? new MemoryOnThread(openMemory(o.memoryFile), o.memoryFile) : await MemoryWorker.start({ file: o.memoryFile });
  closers.push(() => memory.close());
  try {
    let bundledLearned = 0;
    if (o.bundled !== false) {
      const melodies = bundledMelodies();
      const have = await Promise.all(melodies.map((m) => memory.has(m.title)));
      const missing = melodies.filter((_, i) => !have[i]);
      // sent together: the worker saves them once
      await Promise.all(missing.map((m) => memory.learn(m.title, m.sequence)));
      bundledLearned = missing.length;
    }
    let physics = physicsOnThread;
    if (!onThread) {
      const sim = await startSimWorker();
      closers.push(() => sim.client.close());
      physics = sim.physics;
    }
    const core = new AgentCore({ memory, simulator: armSimulator(memory, physics) });
    closers.push(() => core.dispose());
    const token = o.requireToken || !isLoopback(o.host) ? loadOrCreateToken(o.tokenFile) : null;
    const http = await serve({ agent: core, host: o.host, port: o.port, token: token ?? undefined }).catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is in use: pick another with --port` : `cannot listen on ${o.host}:${o.port}: ${err.message}`);
    });
    // close() waits for open connections: the page's event streams never end by themselves, so end them
    closers.push(() => new Promise<void>((r) => (http.close(() => r()), http.closeAllConnections())));
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
    const mqttAgent = new MqttAgent({ handle: core.handle, check: checkCommand, events: core.events, url, ...auth });
    await mqttAgent.start();
    closers.push(() => mqttAgent.stop());

    // the fleet's recall and planning come from the memory service (its worker)
    const fleet = new Fleet(memory);
    core.robots = fleet;
    closers.push(() => fleet.close());
    let simRobots: SimRobots | null = null;
    const simArm = o.simArm ?? true;
    if (o.simRobots > 0 || o.mqttRobots.length > 0 || simArm) {
      const client = sendAtOnce(await mqtt.connectAsync(url, { clientId: `engram-robots-${process.pid}`, reconnectPeriod: 500, queueQoSZero: false, ...auth }));
      closers.push(() => client.endAsync(true));
      const { loadKeyboard, loadPianoArm, loadRobot } = await import('../../robots/load.js');
      // the simulated robots: piano arms at the keyboard and the industrial arm, in a thread of their own
      const specs: SimRobotSpec[] = [];
      const pianoIds = ['sim-left', 'sim-right'].slice(0, Math.max(0, Math.min(2, o.simRobots)));
      if (pianoIds.length > 0) {
        const [{ armPair }, { planArm }] = await Promise.all([import('../../robots/motion/piano.js'), import('../../robots/motion/planner.js')]);
        const kb = loadKeyboard();
        armPair(loadPianoArm(), kb)
          .slice(0, pianoIds.length)
          .forEach((robot, i) => specs.push({ id: pianoIds[i]!, kind: 'piano', robot, startQ: planArm(robot, kb, []).startQ, keyboard: kb }));
      }
      if (simArm) specs.push({ id: 'sim-arm', kind: 'industrial', robot: typeof o.simArmRobot === 'object' ? o.simArmRobot : loadRobot(o.simArmRobot ?? 'ur5e') });
      if (specs.length > 0) {
        const setup = { url, ...auth, robots: specs };
        const sims = onThread ? await simRobotsOnThread(setup) : await simRobotsInWorker(setup);
        simRobots = sims;
        closers.push(() => sims.close());
        for (const spec of specs) fleet.add(await mqttMember(client, spec.id));
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
      const rosAgent = new RosAgent({ handle: core.handle, check: checkRoutedText, events: core.events, link, rosVersion: o.ros.version });
      await rosAgent.start();
      closers.push(() => rosAgent.stop());
    }
    return { core, memory, fleet, simRobots, bundledLearned, http, token, mqttUrl: url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
