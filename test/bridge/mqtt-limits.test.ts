import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RUNNING, MqttAgent } from '../../bridge/mqtt/agent.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { RetainedBudget, retainable } from '../../bridge/mqtt/broker-limits.js';
import { MqttRobotDriver } from '../../bridge/mqtt/robot-driver.js';
import { robotTopics } from '../../bridge/mqtt/robot-topics.js';
import { agentTopics } from '../../bridge/mqtt/topics.js';
import { Emitter } from '../../robots/events.js';
import { haveMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { loadRobot } from '../../robots/load.js';
import { checkCommand } from '../../src/agent/command-schemas.js';
import type { AgentCommand, AgentEvents } from '../../src/agent/commands.js';

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  cleanup.length = 0;
});

async function broker(options: Parameters<typeof startEmbeddedBroker>[0] = {}): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ port: 0, ...options });
  cleanup.push(() => b.close());
  return b;
}

async function client(url: string, clientId: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 });
  cleanup.push(() => c.endAsync(true));
  return c;
}

/**
 * Retained messages a new subscriber to `filter` is given, counted with their bytes, once `expected`
 * have come and two round trips after (aedes streams retained messages after the subscription's ack).
 */
async function retainedOn(url: string, filter: string, expected: number): Promise<{ messages: number; bytes: number }> {
  const c = await client(url, `count-${Math.random().toString(36).slice(2)}`);
  const got = { messages: 0, bytes: 0 };
  c.on('message', (_t, payload, packet) => {
    if (packet.retain) (got.messages++, (got.bytes += payload.length));
  });
  await c.subscribeAsync(filter, { qos: 1 });
  await expect.poll(() => got.messages).toBeGreaterThanOrEqual(expected);
  for (let i = 0; i < 2; i++) {
    const marker = `engram/test/marker-${Math.random()}`;
    await c.subscribeAsync(marker);
    const seen = new Promise<void>((r) => c.on('message', (t) => t === marker && r()));
    await c.publishAsync(marker, 'end');
    await seen;
  }
  return got;
}

describe('the embedded broker bounds what a client can make it hold', () => {
  it('closes the connection of a client that sends a packet over the limit, before its body is read; others go on', async () => {
    const b = await broker({ maxPacketBytes: 1 << 20 });
    const listener = await client(b.url, 'listener');
    const got: number[] = [];
    listener.on('message', (_t, payload) => got.push(payload.length));
    await listener.subscribeAsync('engram/#', { qos: 0 });
    const big = await client(b.url, 'big-sender');
    const closed = new Promise<void>((r) => big.once('close', () => r()));
    big.publish('engram/robots/x/keys', Buffer.alloc(2 << 20, 32), { qos: 0 });
    await closed;
    const small = await client(b.url, 'small-sender');
    await small.publishAsync('engram/robots/x/keys', Buffer.alloc(100 << 10, 32), { qos: 1 });
    await expect.poll(() => got).toEqual([100 << 10]);
  });

  it('keeps no retained key messages: 2,000 of 100 KB on as many robot topics leave nothing held (the reported 278 MB)', async () => {
    const b = await broker();
    const flood = await client(b.url, 'flood');
    // a robot's description and status are kept, as robots need
    await flood.publishAsync('engram/robots/arm/description', '{"name":"arm"}', { qos: 1, retain: true });
    await flood.publishAsync('engram/robots/arm/status', '{"online":true}', { qos: 1, retain: true });
    const key = JSON.stringify({ pitch: 60, on: true, time: 1 }).replace('}', `${' '.repeat(100_000)}}`);
    for (let i = 0; i < 2000; i++) await flood.publishAsync(`engram/robots/fake-${i}/keys`, key, { qos: 1, retain: true });
    // the key messages went out live (a subscriber would have had them) and none was kept
    expect(await retainedOn(b.url, 'engram/#', 2)).toEqual({ messages: 2, bytes: 29 });
  });

  it('keeps retained descriptions within a budget of topics and bytes; clearing one frees its share', async () => {
    const b = await broker({ retainedTopics: 10, retainedBytes: 1 << 20 });
    const robots = await client(b.url, 'robots');
    for (let i = 0; i < 10; i++) await robots.publishAsync(`engram/robots/r${i}/description`, 'x'.repeat(50_000), { qos: 1, retain: true });
    const more = await client(b.url, 'one-more');
    const closed = new Promise<void>((r) => more.once('close', () => r()));
    more.publish(`engram/robots/r10/description`, '{}', { qos: 1, retain: true });
    await closed; // refused: MQTT 3.1.1 has no other way to say so
    expect(await retainedOn(b.url, 'engram/#', 10)).toEqual({ messages: 10, bytes: 500_000 });
    await robots.publishAsync('engram/robots/r0/description', '', { qos: 1, retain: true });
    const again = await client(b.url, 'again');
    await again.publishAsync('engram/robots/r10/description', '{}', { qos: 1, retain: true });
    expect(await retainedOn(b.url, 'engram/#', 10)).toEqual({ messages: 10, bytes: 450_002 });
  });

  it('RetainedBudget: retained only where it means something, at most so many topics and bytes', () => {
    expect(['engram/agent/state', 'engram/robots/a/description', 'engram/robots/a/status'].every((t) => retainable(t))).toBe(true);
    expect(['engram/robots/a/keys', 'engram/robots/a/state', 'engram/robots//status', 'engram/robots/a/b/status', 'engram/agent/cmd', 'other/robots/a/status'].some((t) => retainable(t))).toBe(false);
    const budget = new RetainedBudget(3, 100);
    const keys = { topic: 'engram/robots/a/keys', payload: 'k', retain: true };
    expect(budget.admit(keys)).toBeNull();
    expect(keys.retain).toBe(false); // passed on live, not kept
    for (let i = 0; i < 1000; i++) budget.admit({ topic: `engram/robots/r${i}/status`, payload: 'x'.repeat(30), retain: true });
    expect(budget.usage).toEqual({ topics: 3, bytes: 90 });
    expect(budget.admit({ topic: 'engram/robots/r0/status', payload: 'y'.repeat(40), retain: true })).toBeNull();
    expect(budget.usage).toEqual({ topics: 3, bytes: 100 });
    expect(budget.admit({ topic: 'engram/robots/r1/status', payload: 'y'.repeat(31), retain: true })?.message).toMatch(/over 100 bytes/);
    expect(budget.admit({ topic: 'engram/robots/r1/status', payload: '', retain: true })).toBeNull();
    expect(budget.usage).toEqual({ topics: 2, bytes: 70 });
  });
});

/** The agent's own bounds do not depend on the broker: the same over aedes and Debian's mosquitto. */
const agentBrokers: Array<{ name: string; enabled: boolean; start: () => Promise<{ url: string }> }> = [
  { name: 'embedded aedes', enabled: true, start: () => broker() },
  {
    name: 'Debian mosquitto',
    enabled: haveMosquitto || process.env.ENGRAM_REQUIRE_BROKER === '1',
    start: async () => {
      const m = await startMosquitto();
      cleanup.push(() => m.stop());
      return m;
    },
  },
];

for (const { name, enabled, start } of agentBrokers) {
  describe.skipIf(!enabled)(`the agent reads every MQTT topic within bounds and never quotes the input back (${name})`, () => {
  it('command replies and refusal events never carry a long input; past MAX_RUNNING at once, busy; stop always runs', async () => {
    const b = await start();
    const events = new Emitter<AgentEvents>();
    const eventLog: string[] = [];
    events.on('event', (e) => void eventLog.push(JSON.stringify(e)));
    // commands that last until the test ends them: they hold their places
    const ends: Array<() => void> = [];
    const ran: string[] = [];
    const handle = (c: AgentCommand) => {
      ran.push(c.command);
      if (c.command === 'stop') return Promise.resolve({ stopped: [] });
      if (c.command === 'list') return new Promise((r) => ends.push(() => r([])));
      return Promise.resolve({});
    };
    const agent = new MqttAgent({ handle, check: checkCommand, events, url: b.url });
    await agent.start();
    cleanup.push(() => agent.stop());
    ran.length = 0; // its own status, for its online state
    const t = agentTopics('engram');
    const tester = await client(b.url, 'tester');
    const replies: Array<{ text: string; body: { id: string; ok: boolean; error?: string } }> = [];
    tester.on('message', (_t, p) => void replies.push({ text: p.toString(), body: JSON.parse(p.toString()) }));
    await tester.subscribeAsync(t.resp('tester'), { qos: 1 });
    const LONG = 'Q'.repeat(200_000);
    const bad = [
      { id: 'a', replyTo: 'tester', command: LONG },
      { id: 'b', replyTo: 'tester', command: 'status', [LONG]: 1 },
      { id: 'c', replyTo: 'tester', command: 'recall', title: LONG },
      { id: 'd', replyTo: 'tester', command: 'recall', title: 'x', tracks: Array.from({ length: 100_000 }, (_, i) => i) },
      { id: LONG, replyTo: 'tester', command: 'status' },
      { id: 'f', replyTo: 'tester', command: 'learn', title: 'x', midi: 'A'.repeat(5_000_000) },
    ];
    for (const m of bad) await tester.publishAsync(t.cmd, JSON.stringify(m), { qos: 1 });
    // nested 5,000 deep: refused before it is parsed (V8's JSON.parse itself may run out of stack on it), so
    // its reply address is not known: the error goes out as an event
    await tester.publishAsync(t.cmd, `{"id":"g","replyTo":"tester","command":"status","nested":${'['.repeat(5000)}${']'.repeat(5000)}}`, { qos: 1 });
    await tester.publishAsync(t.cmd, `{"pad":"${LONG}"`, { qos: 1 }); // not JSON, no reply address: an event
    await expect.poll(() => replies.map((r) => r.body.id)).toEqual(['a', 'b', 'c', 'd', null, 'f']);
    await expect.poll(() => eventLog.length).toBe(2);
    expect(eventLog.map((e) => JSON.parse(e).error)).toEqual(['message on engram/agent/cmd refused: message: nested deeper than 16 levels', 'message on engram/agent/cmd refused: message: not valid JSON']);
    for (const r of [...replies.map((x) => x.text), ...eventLog]) {
      expect(r).not.toContain('Q'.repeat(64));
      expect(r.length).toBeLessThan(400);
    }
    expect(replies.every((r) => r.body.ok === false)).toBe(true);
    expect(replies.map((r) => r.body.error)).toEqual([
      expect.stringMatching(/^command: unknown command 'Q{32}\.\.\.'/),
      expect.stringMatching(/^Q{32}\.\.\.: is not a field of this command$/),
      'title: must NOT have more than 256 characters',
      'tracks: must NOT have more than 64 items',
      'id: must NOT have more than 128 characters',
      'midi: must NOT have more than 4000000 characters',
    ]);
    expect(replies[4]!.body.id).toBeNull(); // a long id is not quoted back either
    expect(ran).toEqual([]); // nothing bad ran
    replies.length = 0;
    // MAX_RUNNING commands that last hold every place: the next is answered busy; stop still runs
    for (let i = 0; i < MAX_RUNNING + 1; i++) await tester.publishAsync(t.cmd, JSON.stringify({ id: `l${i}`, replyTo: 'tester', command: 'list' }), { qos: 1 });
    await expect.poll(() => replies.length).toBe(1);
    expect(replies[0]!.body).toEqual({ id: `l${MAX_RUNNING}`, ok: false, error: `busy: ${MAX_RUNNING} commands are running already; try again` });
    await tester.publishAsync(t.cmd, JSON.stringify({ id: 's', replyTo: 'tester', command: 'stop' }), { qos: 1 });
    await expect.poll(() => replies.length).toBe(2);
    expect(replies[1]!.body).toEqual({ id: 's', ok: true, result: { stopped: [] } });
    for (const end of ends) end();
    await expect.poll(() => replies.length).toBe(2 + MAX_RUNNING);
  }, 30_000);

  it("a robot's topics: key, state and result messages over their size are dropped unread, named by size; a description too", async () => {
    const b = await start();
    const robot = await client(b.url, 'robot');
    const t = robotTopics('arm');
    const description = loadRobot('ur5e');
    await robot.publishAsync(t.description, JSON.stringify(description), { qos: 1, retain: true });
    const six = [0, 0, 0, 0, 0, 0];
    const states = setInterval(() => robot.publish(t.state, JSON.stringify({ time: 1, positions: six, velocities: six })), 20);
    cleanup.push(() => clearInterval(states));
    const agentSide = await client(b.url, 'agent-side');
    const driver = await MqttRobotDriver.connect(agentSide, 'arm');
    cleanup.push(() => driver.dispose());
    const keys: unknown[] = [];
    const errors: string[] = [];
    driver.events.on('key', (k) => void keys.push(k));
    driver.events.on('error', (e) => void errors.push(e.message));
    const key = JSON.stringify({ pitch: 60, on: true, time: 1 });
    await robot.publishAsync(t.keys, key.replace('}', `${' '.repeat(100_000)}}`), { qos: 1 });
    const result = JSON.stringify({ ok: false, code: 1, error: 'Q'.repeat(20_000) });
    await robot.publishAsync(t.result, result, { qos: 1 });
    await robot.publishAsync(t.keys, key, { qos: 1 });
    await expect.poll(() => keys.length).toBe(1);
    expect(errors).toEqual([`${t.keys}: a message of 100031 bytes is over 1024`, `${t.result}: a message of ${result.length} bytes is over 8192`]);
    // a description too large is refused at connect, by its size
    await robot.publishAsync(robotTopics('huge').description, JSON.stringify({ ...description, pad: 'Q'.repeat(3 << 20) }), { qos: 1, retain: true });
    await expect(MqttRobotDriver.connect(agentSide, 'huge', { timeoutMs: 2000 })).rejects.toThrow(/^engram\/robots\/huge\/description: a description of \d+ bytes is over 2097152$/);
  }, 20_000);
});
}
