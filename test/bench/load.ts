/**
 * Load on the MQTT bridge: N robots on loopback, each performing a piece through the agent side
 * (planner -> executor -> SafetyGate -> MqttRobotDriver) for `seconds`. The robots here are light
 * (they follow no physics: they count what they receive and publish joint states at 50 Hz), so the
 * figure measures the bridge, not the simulator. Reports messages per second through the broker,
 * command latency (heartbeats carry their send time) and lost commands (sent by the agent, never
 * received by the robot).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { Aedes } from 'aedes';
import { createServer, type AddressInfo } from 'node:net';
import { MqttRobotDriver } from '../../bridge/mqtt/robot-driver.js';
import { robotTopics } from '../../bridge/mqtt/robot-topics.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import { loadKeyboard, loadPianoArm } from '../../robots/load.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { executePlan } from '../../robots/motion/execute.js';
import { moveTime } from '../../robots/motion/spline.js';
import { armPair, planPerformance } from '../../robots/motion/piano.js';

export interface LoadResult {
  robots: number;
  seconds: number;
  messagesPerSecond: number;
  latencyMedianMs: number;
  latencyP99Ms: number;
  commandsSent: number;
  commandsReceived: number;
  lost: number;
}

const hrNow = () => performance.timeOrigin + performance.now();

export async function loadTest(robots = 50, seconds = 60): Promise<LoadResult> {
  const aedes = await Aedes.createBroker();
  let published = 0;
  aedes.on('publish', (_p, client) => {
    if (client) published++;
  });
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kb = loadKeyboard();
  const [left] = armPair(loadPianoArm(), kb);
  const latencies: number[] = [];
  const received = new Map<string, number>();
  const robotClients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const start = Date.now();
  for (let i = 0; i < robots; i++) {
    const id = `r${i}`;
    const t = robotTopics(id);
    const c = await mqtt.connectAsync(url, { clientId: `robot-${id}`, queueQoSZero: false });
    robotClients.push(c);
    received.set(id, 0);
    c.on('message', (topic, payload) => {
      if (topic === t.heartbeat) {
        const { time } = JSON.parse(payload.toString()) as { time: number };
        latencies.push(hrNow() - time);
      } else received.set(id, received.get(id)! + 1);
    });
    await c.subscribeAsync([t.trajectory, t.finger, t.stop, t.heartbeat]);
    await c.publishAsync(t.description, JSON.stringify(left), { retain: true, qos: 1 });
    const q = [0.8, -1.9, -0.5];
    timers.push(setInterval(() => c.publish(t.state, JSON.stringify({ time: (Date.now() - start) / 1000, positions: q, velocities: [0, 0, 0], fingers: [] })), 20));
  }
  // the agent side: one client, a gated driver per robot, heartbeats stamped with a high-resolution clock
  const agent = await mqtt.connectAsync(url, { clientId: 'agent', queueQoSZero: false });
  const memory = new SequenceMemory();
  const melodies = bundledMelodies();
  for (const m of melodies) memory.learn(m.title, m.sequence);
  let sent = 0;
  const drivers: MqttRobotDriver[] = [];
  const gates: SafetyGate[] = [];
  for (let i = 0; i < robots; i++) {
    const d = await MqttRobotDriver.connect(agent, `r${i}`);
    drivers.push(d);
    const g = new SafetyGate(d, { watchdogMs: 1000 });
    gates.push(g);
  }
  // count what the agent sends to robots (trajectory chunks and finger commands)
  const origPublish = agent.publish.bind(agent);
  (agent as unknown as { publish: typeof agent.publish }).publish = ((topic: string, message: string | Buffer, ...rest: unknown[]) => {
    if (/\/cmd\/(trajectory|finger)$/.test(topic)) sent++;
    if (/\/cmd\/heartbeat$/.test(topic)) message = JSON.stringify({ time: hrNow() });
    return (origPublish as (...a: unknown[]) => MqttClient)(topic, message, ...rest);
  }) as typeof agent.publish;
  published = 0;
  const t0 = Date.now();
  // each robot performs melodies one after another until the time is up
  await Promise.all(
    gates.map(async (g, i) => {
      let k = i;
      while (Date.now() - t0 < seconds * 1000) {
        const m = melodies[k++ % melodies.length]!;
        const left = seconds - (Date.now() - t0) / 1000;
        const { score, plans } = planPerformance(memory, m.title, [g.description], kb, { seconds: Math.min(left, 30) });
        const plan = plans[0]!.plan;
        // from where the robot is to the piece's first pose, then the piece
        const now = g.state().time;
        const from = g.state().positions;
        const T = moveTime(g.description, from, plan.startQ);
        g.follow([
          { time: now + 0.05, positions: from, velocities: [0, 0, 0] },
          { time: now + 0.05 + T, positions: plan.startQ, velocities: [0, 0, 0] },
        ]);
        const begin = now + T + 0.3;
        executePlan(g, plan, begin);
        // wait until the robot's clock has passed the last command of this piece
        const last = Math.max(
          score.reduce((a, n) => Math.max(a, n.time + n.duration), 0),
          ...plan.moves.map((mv) => mv.start + mv.duration),
          ...plan.strikes.map((st) => st.up),
        );
        while (g.state().time < begin + last + 0.05 && Date.now() - t0 < seconds * 1000) await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500)); // in flight
  const got = [...received.values()].reduce((a, b) => a + b, 0);
  const mps = published / elapsed;
  for (const tm of timers) clearInterval(tm);
  for (const d of drivers) d.dispose();
  for (const g of gates) g.dispose();
  await agent.endAsync(true);
  for (const c of robotClients) await c.endAsync(true);
  await new Promise<void>((r) => aedes.close(() => server.close(() => r())));
  latencies.sort((a, b) => a - b);
  return {
    robots,
    seconds: elapsed,
    messagesPerSecond: mps,
    latencyMedianMs: latencies[latencies.length >> 1] ?? NaN,
    latencyP99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
    commandsSent: sent,
    commandsReceived: got,
    lost: sent - got,
  };
}
