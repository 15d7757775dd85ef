/**
 * The simulated robots `engram serve` starts beside the agent: the Matter.js piano arms and the
 * industrial arm, each stepped in real time with its own controller and watchdog and reached over MQTT
 * like any robot. Their physics is heavy, so the wiring runs them in a worker thread of their own (this
 * module is also that thread's entry): like real robots they then never take the event loop of the
 * agent that drives them. With threads 'main' (the benchmark's comparison) they run on the agent's thread.
 *
 * This module wires sim/ and bridge/ together, as run-agent.ts does for the agent's own thread: it is
 * the composition root of the robots' thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import { pianoArm, type KeyboardDescription, type RobotDescription } from '../../robots/description.js';
import { simulatedIndustrialArm, simulatedPianoArm } from '../../sim/simulated-robots.js';
import { encodeError, WorkerClient } from './worker-client.js';

/** One simulated robot to start: a piano arm at a keyboard, or an industrial arm. */
export type SimRobotSpec =
  | { id: string; kind: 'piano'; robot: RobotDescription; startQ: number[]; keyboard: KeyboardDescription }
  | { id: string; kind: 'industrial'; robot: RobotDescription };

export interface SimRobotsSetup {
  url: string;
  /** Each robot's MQTT password by robot id (its username is its id); none: it connects without a login. */
  passwords?: Record<string, string>;
  /** CA certificate (PEM) for an mqtts:// broker. */
  ca?: string | Buffer;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5 (what the agent's link speaks). */
  protocolVersion?: 4 | 5;
  robots: SimRobotSpec[];
}

/** The simulated robots, wherever they run: how often their own watchdogs stopped them, and stopping them. */
export interface SimRobots {
  readonly ids: readonly string[];
  watchdogStops(id: string): Promise<number>;
  close(): Promise<void>;
}

/** Starts the robots on this thread. */
export async function simRobotsOnThread(setup: SimRobotsSetup): Promise<SimRobots> {
  const sims = new Map<string, SimMqttRobot>();
  const closeAll = async () => {
    for (const s of [...sims.values()].reverse()) await s.stop().catch(() => undefined);
    sims.clear();
  };
  try {
    for (const spec of setup.robots) {
      const robot = spec.kind === 'piano' ? simulatedPianoArm(spec.keyboard, pianoArm(spec.robot), spec.startQ) : simulatedIndustrialArm(spec.robot);
      const password = setup.passwords?.[spec.id];
      const sim = new SimMqttRobot({ url: setup.url, robotId: spec.id, robot, ca: setup.ca, protocolVersion: setup.protocolVersion, ...(password === undefined ? {} : { username: spec.id, password }) });
      await sim.start();
      sims.set(spec.id, sim);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    ids: [...sims.keys()],
    watchdogStops: async (id) => sims.get(id)?.watchdogStops ?? 0,
    close: closeAll,
  };
}

/** Starts the robots in their own worker thread. */
export async function simRobotsInWorker(setup: SimRobotsSetup): Promise<SimRobots> {
  const entry = new URL(import.meta.url);
  // a crashed robot is not restarted behind the agent's back: its link drops and the gate stops it
  const client = new WorkerClient(entry, { name: 'simulated robots', workerData: () => ({ entry: entry.href, setup }), restart: false });
  await client.start();
  return {
    ids: setup.robots.map((r) => r.id),
    watchdogStops: (id) => client.request<number>('watchdogStops', [id]),
    close: async () => {
      await client.request('close', []).catch(() => undefined);
      await client.close();
    },
  };
}

// the worker thread: start the robots, then answer the agent's requests
if (parentPort && (workerData as { entry?: string } | null)?.entry === import.meta.url) {
  const port = parentPort;
  const robots = await simRobotsOnThread((workerData as { setup: SimRobotsSetup }).setup);
  port.on('message', (r: { id: number; method: string; args: unknown[] }) => {
    const answer = r.method === 'watchdogStops' ? robots.watchdogStops(String(r.args[0])) : r.method === 'close' ? robots.close() : Promise.reject(new TypeError(`simulated robots: no request '${r.method}'`));
    answer.then(
      (value) => port.postMessage({ id: r.id, value: value ?? null }),
      (err: unknown) => port.postMessage({ id: r.id, error: encodeError(err) }),
    );
  });
  port.postMessage({ ready: true });
}
