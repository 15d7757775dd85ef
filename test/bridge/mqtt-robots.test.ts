import mqtt from 'mqtt';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localMotion } from '../../robots/motion/motion-source.js';
import { performEnsemble } from '../../robots/motion/ensemble.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { MqttRobotDriver } from '../../bridge/mqtt/robot-driver.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import { simulatedPianoArm } from '../../sim/simulated-robots.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import { validateRobot } from '../../robots/description.js';
import { loadKeyboard, loadPianoArm } from '../../robots/load.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { armPair } from '../../robots/motion/piano.js';
import { planArm } from '../../robots/motion/planner.js';
import { freePort } from '../helpers/mosquitto.js';
import { accessFiles } from '../helpers/mqtt-access.js';

const kb = loadKeyboard();
const [left, right] = armPair(loadPianoArm(), kb);
const startQ = (r: typeof left) => planArm(r, kb, []).startQ;

describe('simulated robots driven over MQTT (embedded broker)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    cleanup.length = 0;
  });

  const files = accessFiles(['left', 'right']);
  afterAll(() => files.remove());

  async function setup(port?: number) {
    const broker = await startEmbeddedBroker({ port: port ?? 0, access: files.access() });
    const robots = [
      new SimMqttRobot({ url: broker.url, robotId: 'left', robot: simulatedPianoArm(kb, left, startQ(left)), ...files.login('left') }),
      new SimMqttRobot({ url: broker.url, robotId: 'right', robot: simulatedPianoArm(kb, right, startQ(right)), ...files.login('right') }),
    ];
    for (const r of robots) await r.start();
    const client = await mqtt.connectAsync(broker.url, { clientId: 'engram-agent-test', reconnectPeriod: 200, queueQoSZero: false, ...files.agent });
    const drivers = await Promise.all(['left', 'right'].map((id) => MqttRobotDriver.connect(client, id, { validate: validateRobot })));
    const gates = drivers.map((d) => {
      const g = new SafetyGate(d, { watchdogMs: 600 });
      client.on('close', () => g.setConnected(false));
      client.on('connect', () => g.setConnected(true));
      return g;
    });
    cleanup.push(async () => {
      gates.forEach((g) => g.dispose());
      drivers.forEach((d) => d.dispose());
      await client.endAsync(true);
      for (const r of robots) await r.stop();
      await broker.close();
    });
    return { broker, robots, client, drivers, gates };
  }

  it('two robots perform a piece together, one per track, on the shared pacemaker clock', async () => {
    const memory = new SequenceMemory();
    for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
    const env = await setup();
    const { drivers, gates } = env;
    const members = drivers.map((d, i) => ({ id: d.robotId, driver: gates[i]! }));
    const r = await performEnsemble(localMotion(memory), 'Minuet in G', members, kb, { seconds: 4, tempo: 1.5 });
    expect(r.report.f1, JSON.stringify(env.robots.map((x) => [x.refused, x.watchdogStops]))).toBeGreaterThanOrEqual(0.9);
    expect(r.lags.map((l) => l.id).sort()).toEqual(['left', 'right']);
    for (const l of r.lags) expect(Math.abs(l.medianMs)).toBeLessThan(40);
  }, 60_000);

  it('when the broker goes down mid-performance the robots stop by themselves, the agent reconnects, nothing learned is lost', async () => {
    const port = await freePort();
    const memory = new SequenceMemory();
    for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
    const titles = memory.size;
    let env = await setup(port);
    const { drivers, gates, robots, client } = env;
    const members = drivers.map((d, i) => ({ id: d.robotId, driver: gates[i]! }));
    const performance = performEnsemble(localMotion(memory), 'Ode to Joy', members, kb, { seconds: 6 }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 1500));
    await env.broker.close(); // the broker dies
    await new Promise((r) => setTimeout(r, 1200));
    // both robots stopped on their own watchdogs; the agent's gates refuse commands meanwhile
    expect(robots.every((r) => r.watchdogStops >= 1)).toBe(true);
    expect(gates.every((g) => g.stopped)).toBe(true);
    expect(() => gates[0]!.follow([{ time: 1, positions: startQ(left) }])).toThrow(/stopped|not connected/);
    // the broker comes back on the same port; the agent's client reconnects by itself
    const again: EmbeddedBroker = await startEmbeddedBroker({ port, access: files.access() });
    cleanup.push(() => again.close());
    await expect.poll(() => client.connected, { timeout: 10_000 }).toBe(true);
    await performance;
    expect(memory.size).toBe(titles);
    expect(memory.recall('Ode to Joy').tracks[0]!.notes.length).toBeGreaterThan(0);
  }, 60_000);
});
