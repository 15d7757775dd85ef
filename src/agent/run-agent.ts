import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Fleet } from '../../bridge/fleet.js';
import type { RobotDescription } from '../../robots/description.js';
import { armSimulator, physicsOnThread, type PhysicsRunner } from '../../sim/simulator.js';
import { bundledMelodies } from '../music/notation.js';
import { loadOrCreateToken } from './access-token.js';
import { AgentCore } from './agent-core.js';
import { openMemory } from './library.js';
import { journalSegments } from './memory-journal.js';
import { MemoryOnThread, MemoryWorker, type MemoryService } from './memory-service.js';
import { WorkerClient } from './worker-client.js';
import { checkCommand, checkRoutedText } from './command-schemas.js';
import { simRobotsInWorker, simRobotsOnThread, type SimRobots, type SimRobotSpec } from './sim-robots.js';
import type { RosGripperOptions } from '../../bridge/ros/ros-gripper.js';

/** How `engram serve` is set up: every channel and robot it starts. */
export interface AgentSetup {
  /** The memory file (a new memory if it does not exist yet); every change is saved to it. */
  memoryFile: string;
  /** Compact the memory's journal into its file past this many bytes (default: 1/16 of the file, at least 1 MiB). */
  journalLimit?: number;
  /**
   * Learn the bundled melodies into a new memory (default true). A memory that exists keeps what its
   * owner made of it: a melody forgotten or renamed is not learned again.
   */
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
  /** The agent's own MQTT login (default engram-agent; on the embedded broker its password is made at start). */
  username?: string;
  /** The agent's password on an external broker. */
  password?: string;
  /**
   * The embedded broker's password file (mosquitto's format: engram passwd, mosquitto_passwd) and ACL
   * file (mosquitto's syntax; the built-in docs/mqtt-acl.conf when none). Without a password file only
   * the agent, its simulated robots and the operator of operatorFile may connect.
   */
  mqttPasswordFile?: string;
  mqttAclFile?: string;
  /**
   * Without a password file: where the operator's generated MQTT login is kept (JSON, mode 0600; made
   * at the first start, read by engram status/stop/resume). None: no operator login is made.
   */
  operatorFile?: string;
  /** PEM files: with cert and key the embedded broker listens with TLS (mqtts://); ca checks the broker's certificate (default: cert). */
  mqttTls?: { cert?: string; key?: string; ca?: string };
  /** On an external broker the simulated robots log in with their ids as usernames and this password (default: the agent's). */
  simRobotPassword?: string;
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
    /** rosauth's shared secret: authenticate to a ROS 1 rosbridge run with authenticate:=true (ROS 2's has none). */
    secret?: string;
    /**
     * An arm behind the rosbridge: its joint names in /joint_states (default: the description's), its
     * controller, action or topic, and its description: `robot` is a bundled name or a file (URDF,
     * sidecar, description); with `fromRobot` the URDF is read from the robot (robot_description) and
     * `robot` only gives the sidecar (acceleration limits, which joints).
     */
    arm?: { id: string; joints?: string[]; controller: string; action: boolean; robot: string; fromRobot?: boolean; gripper?: RosGripperOptions };
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
  /** The operator's MQTT login when the agent made one (embedded broker, no password file, operatorFile given). */
  mqttOperator: { username: string; password: string } | null;
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
 * The broker the agent talks on and the logins it uses. No broker named: the embedded one, with the
 * password file's entries (if any) plus passwords made now, held in memory only, for the agent and its
 * simulated robots, and, without a password file, the operator login kept in operatorFile. Anonymous
 * clients are refused either way. A broker named: the given login for the agent; the simulated robots
 * log in with their ids and simRobotPassword.
 */
async function connectMqtt(o: AgentSetup, simIds: string[], closers: Array<() => Promise<void> | void>) {
  const { readFileSync } = await import('node:fs');
  const pem = (file: string | undefined, what: string) => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch {
      throw new Error(`MQTT TLS ${what} ${file}: cannot be read`);
    }
  };
  const tls = { cert: pem(o.mqttTls?.cert, 'certificate'), key: pem(o.mqttTls?.key, 'key'), ca: pem(o.mqttTls?.ca, 'CA certificate') };
  if (o.broker) {
    const simPassword = o.simRobotPassword ?? o.password;
    const simPasswords: Record<string, string> = simPassword ? Object.fromEntries(simIds.map((id) => [id, simPassword])) : {};
    return { url: o.broker, auth: { username: o.username, password: o.password }, simPasswords, ca: tls.ca, operator: null };
  }
  const [{ startEmbeddedBroker }, { Acl }, access, { readPasswordFile, randomPassword }, { loadOperatorLogin }] = await Promise.all([
    import('../../bridge/mqtt/broker.js'),
    import('../../bridge/mqtt/acl.js'),
    import('../../bridge/mqtt/access.js'),
    import('../../bridge/mqtt/passwords.js'),
    import('./operator-login.js'),
  ]);
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new Error('MQTT TLS needs both a certificate and its key (--mqtt-cert and --mqtt-key)');
  const agentUser = o.username ?? access.AGENT_USER;
  const acl = o.mqttAclFile ? Acl.read(o.mqttAclFile) : Acl.parse(access.aclTemplate('engram', agentUser), 'the built-in ACL');
  const passwords = o.mqttPasswordFile ? readPasswordFile(o.mqttPasswordFile) : new Map<string, string>();
  const operator = !o.mqttPasswordFile && o.operatorFile ? loadOperatorLogin(o.operatorFile) : null;
  // made now, never written or printed: only this process logs in with them
  const agentPassword = randomPassword();
  const simPasswords = Object.fromEntries(simIds.map((id) => [id, randomPassword()]));
  const brokerAccess = access.addCredentials({ passwords, acl, prefix: 'engram' }, { ...simPasswords, ...(operator ? { [operator.username]: operator.password } : {}), [agentUser]: agentPassword });
  const broker = await startEmbeddedBroker({ host: o.host, port: o.mqttPort, access: brokerAccess, tls: tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : undefined }).catch((err: NodeJS.ErrnoException) => {
    throw new Error(err.code === 'EADDRINUSE' ? `MQTT port ${o.mqttPort} on ${o.host} is in use: pick another with --mqtt-port, or name a broker with --broker` : err.message);
  });
  closers.push(() => broker.close());
  return { url: broker.url, auth: { username: agentUser, password: agentPassword }, simPasswords, ca: tls.ca ?? tls.cert, operator };
}

/**
 * Starts the agent: the web app and its API, MQTT (embedded broker unless one is named), the robots
 * (simulated ones over MQTT, named MQTT robots, a ROS arm) behind their safety gates, and the ROS
 * channel. Everything listens on `host` (127.0.0.1 by default). close() stops the robots first.
 */
export async function runAgent(o: AgentSetup): Promise<RunningAgent> {
  const [{ serve }, { MqttAgent }, { Fleet }, { mqttMember, rosMember }] = await Promise.all([
    import('./serve.js'),
    import('../../bridge/mqtt/agent.js'),
    import('../../bridge/fleet.js'),
    import('../../bridge/members.js'),
  ]);
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    closers.length = 0;
  };
  const onThread = o.threads === 'main';
  const fresh = !existsSync(o.memoryFile) && journalSegments(o.memoryFile).length === 0;
  const memory: MemoryService = onThread ? new MemoryOnThread(openMemory(o.memoryFile), o.memoryFile) : await MemoryWorker.start({ file: o.memoryFile, journalLimit: o.journalLimit });
  closers.push(() => memory.close());
  try {
    let bundledLearned = 0;
    if (o.bundled !== false && fresh) {
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
    // the simulated robots to start (piano arms, the industrial arm): their ids are their MQTT usernames
    const simArm = o.simArm ?? true;
    const pianoIds = ['sim-left', 'sim-right'].slice(0, Math.max(0, Math.min(2, o.simRobots)));
    const simIds = [...pianoIds, ...(simArm ? ['sim-arm'] : [])];
    const { url, auth, simPasswords, ca, operator } = await connectMqtt(o, simIds, closers);
    // MQTT 5 where the broker speaks it (message expiry, retain as published), else 3.1.1 (aedes)
    let mqttAgent = new MqttAgent({ handle: core.handle, check: checkCommand, events: core.events, url, ...auth, ca, protocolVersion: 5 });
    await mqttAgent.start().catch(async (err: Error) => {
      if (!/protocol version/i.test(err.message)) throw err;
      mqttAgent = new MqttAgent({ handle: core.handle, check: checkCommand, events: core.events, url, ...auth, ca, protocolVersion: 4 });
      await mqttAgent.start();
    });
    closers.push(() => mqttAgent.stop());
    const protocolVersion: 4 | 5 = mqttAgent.client!.options.protocolVersion === 5 ? 5 : 4;

    // the fleet's recall and planning come from the memory service (its worker)
    const fleet = new Fleet(memory);
    core.robots = fleet;
    closers.push(() => fleet.close());
    let simRobots: SimRobots | null = null;
    if (o.simRobots > 0 || o.mqttRobots.length > 0 || simArm) {
      // the agent's one MQTT link commands the robots too: one login, one client id (mosquitto's
      // use_username_as_clientid would let a second link of the same user take over the first)
      const client = mqttAgent.client!;
      const { loadKeyboard, loadPianoArm, loadRobot } = await import('../../robots/load.js');
      // the simulated robots: piano arms at the keyboard and the industrial arm, in a thread of their own
      const specs: SimRobotSpec[] = [];
      if (pianoIds.length > 0) {
        const [{ armPair }, { planArm }] = await Promise.all([import('../../robots/motion/piano.js'), import('../../robots/motion/planner.js')]);
        const kb = loadKeyboard();
        armPair(loadPianoArm(), kb)
          .slice(0, pianoIds.length)
          .forEach((robot, i) => specs.push({ id: pianoIds[i]!, kind: 'piano', robot, startQ: planArm(robot, kb, []).startQ, keyboard: kb }));
      }
      if (simArm) specs.push({ id: 'sim-arm', kind: 'industrial', robot: typeof o.simArmRobot === 'object' ? o.simArmRobot : loadRobot(o.simArmRobot ?? 'ur5e') });
      if (specs.length > 0) {
        const setup = { url, passwords: simPasswords, ca, protocolVersion, robots: specs };
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
      if (o.ros.secret && o.ros.version === 2) throw new Error("--ros-secret: ROS 2's rosbridge has no authentication (see README, ROS access)");
      const link = new RosLink(o.ros.url, undefined, o.ros.secret ? { secret: o.ros.secret } : undefined);
      closers.push(() => link.close());
      await link.connect();
      if (o.ros.arm) {
        const a = o.ros.arm;
        const description = a.fromRobot ? await robotFromRos(link, { rosVersion: o.ros.version, sidecar: a.robot }) : loadRobot(a.robot);
        const driver = new RosArmDriver({ link, description, jointNames: a.joints, controller: a.controller, rosVersion: o.ros.version, command: a.action ? 'action' : 'topic', ...(a.gripper ? { gripper: a.gripper } : {}) });
        fleet.add(rosMember(a.id, driver));
      }
      const rosAgent = new RosAgent({ handle: core.handle, check: checkRoutedText, events: core.events, link, rosVersion: o.ros.version });
      await rosAgent.start();
      closers.push(() => rosAgent.stop());
    }
    return { core, memory, fleet, simRobots, bundledLearned, http, token, mqttUrl: url, mqttOperator: operator, close };
  } catch (err) {
    await close();
    throw err;
  }
}
