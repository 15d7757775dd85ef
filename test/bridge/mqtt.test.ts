import mqtt, { type MqttClient } from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttAgent } from '../../bridge/mqtt/agent.js';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { agentTopics } from '../../bridge/mqtt/topics.js';
import { armSimulator, physicsOnThread } from '../../sim/simulator.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { encodeSnapshot, loadSnapshot } from '../../src/memory/snapshot.js';
import { encodeMidi } from '../../src/music/midi-writer.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { haveMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { checkCommand } from '../../src/agent/command-schemas.js';

if (!haveMosquitto) console.warn('mosquitto tests skipped: apt-get install mosquitto (.ci/run installs it)');

type Broker = { url: string; stop(): Promise<void> };
const brokers: Array<{ name: string; protocolVersion: 4 | 5; start: () => Promise<Broker>; enabled: boolean }> = [
  { name: 'embedded aedes (MQTT 3.1.1)', protocolVersion: 4, enabled: true, start: async () => { const b = await startEmbeddedBroker({ port: 0 }); return { url: b.url, stop: b.close }; } },
  { name: 'Debian mosquitto (MQTT 5)', protocolVersion: 5, enabled: haveMosquitto || process.env.ENGRAM_REQUIRE_BROKER === '1', start: () => startMosquitto() },
];

for (const b of brokers) {
  describe.skipIf(!b.enabled)(`the agent over MQTT: ${b.name}`, () => {
    let broker: Broker;
    let agent: MqttAgent;
    let client: MqttClient;
    let memory: SequenceMemory;
    let core: AgentCore;
    const dir = mkdtempSync(join(tmpdir(), 'engram-mqtt-'));
    const file = join(dir, 'memory.engram');
    const topics = agentTopics('engram');
    const pending = new Map<string, (body: any) => void>();
    const events: any[] = [];
    let n = 0;

    beforeAll(async () => {
      broker = await b.start();
      memory = new SequenceMemory();
      for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
      const service = new MemoryOnThread(memory, file);
      core = new AgentCore({ memory: service, simulator: armSimulator(service, physicsOnThread) });
      agent = new MqttAgent({ handle: core.handle, check: checkCommand, events: core.events, url: broker.url, protocolVersion: b.protocolVersion });
      await agent.start();
      client = await mqtt.connectAsync(broker.url, { protocolVersion: b.protocolVersion, clientId: `test-${b.protocolVersion}` });
      await client.subscribeAsync([topics.resp('tester'), topics.events, topics.state]);
      client.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString());
        if (topic === topics.events) events.push(body);
        if (topic === topics.resp('tester')) pending.get(body.id)?.(body);
      });
    }, 30_000);

    afterAll(async () => {
      await client?.endAsync();
      await agent?.stop();
      await broker?.stop();
      core?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    function send(message: object | string): Promise<any> {
      const id = `q${++n}`;
      const body = typeof message === 'string' ? message : JSON.stringify({ id, replyTo: 'tester', ...message });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${body}`)), 10_000);
        pending.set(id, (r) => (clearTimeout(timer), resolve(r)));
        void client.publishAsync(topics.cmd, body, { qos: 1 });
      });
    }

    it('answers commands with the same id: status, list, recall, identify, complete', async () => {
      const status = await send({ command: 'status' });
      expect(status).toMatchObject({ ok: true, result: { titles: 14 } });
      const list = await send({ command: 'list' });
      expect(list.result).toHaveLength(14);
      const recall = await send({ command: 'recall', title: 'Ode to Joy', tempo: 2 });
      expect(recall.ok).toBe(true);
      expect(recall.result.tracks[0].notes[0]).toMatchObject({ symbol: 64, tick: 0 });
      const id = await send({ command: 'identify', notes: [76, 75, 76, 75, 76, 71].map((symbol) => ({ symbol })) });
      expect(id.result[0].title).toBe('Für Elise (opening)');
      const c = await send({ command: 'complete', notes: [67, 67, 65, 65, 64, 64].map((symbol) => ({ symbol })), count: 2 });
      expect(c.result.notes).toHaveLength(2);
    });

    it('learns a piece sent as MIDI and persists the memory', async () => {
      const midi = encodeMidi([{ name: 'm', notes: [60, 64, 67, 72].map((p, i) => ({ pitch: p, tick: i * 240, duration: 240 })) }], 480, [{ tick: 0, secondsPerTick: 0.5 / 480 }]);
      const r = await send({ command: 'learn', title: `arpeggio ${b.protocolVersion}`, midi: midi.toString('base64') });
      expect(r).toMatchObject({ ok: true, result: { notes: 4 } });
      expect(memory.has(`arpeggio ${b.protocolVersion}`)).toBe(true);
      expect(loadSnapshot(file).has(`arpeggio ${b.protocolVersion}`)).toBe(true);
    });

    it('performs with the simulated arms and reports the result', async () => {
      const r = await send({ command: 'perform', title: 'Yankee Doodle', seconds: 4 });
      expect(r.ok).toBe(true);
      expect(r.result.report.f1).toBe(1);
      await expect.poll(() => events.some((e) => e.type === 'performed' && e.title === 'Yankee Doodle')).toBe(true);
    }, 60_000);

    it('answers every bad message with a clear error and changes nothing', async () => {
      const before = encodeSnapshot(memory);
      const bad: Array<[object | string, RegExp]> = [
        [{ command: 'recall' }, /title: is required/],
        [{ command: 'recall', title: 42 }, /title: must be string/],
        [{ command: 'recall', title: 'Ode to Joy', tempo: -1 }, /tempo: must be >= 0.1/],
        [{ command: 'dance' }, /unknown command 'dance'/],
        // names an object has by inheritance are no commands (they used to crash the agent)
        [{ command: '__proto__' }, /unknown command '__proto__'/],
        [{ command: 'hasOwnProperty' }, /unknown command 'hasOwnProperty'/],
        [{ command: 'valueOf' }, /unknown command 'valueOf'/],
        [{ command: 'x'.repeat(10_000) }, /unknown command 'x{32}\.\.\.' \(one of/],
        [{ command: 'identify', notes: [] }, /notes: must NOT have fewer than 1 items/],
        [{ command: 'recall', title: 'Nope' }, /unknown title 'Nope'/],
        [{ command: 'learn', title: 'broken', midi: Buffer.from('not midi').toString('base64') }, /is not a MIDI file/],
        [{ command: 'list', extra: 1 }, /extra: is not a field of this command/],
      ];
      for (const [msg, re] of bad) {
        const r = await send(msg);
        expect(r.ok, JSON.stringify(msg)).toBe(false);
        expect(r.error).toMatch(re);
      }
      // a message that is not JSON has no reply address: the error goes out as an event
      await client.publishAsync(topics.cmd, '{ not json');
      await expect.poll(() => events.some((e) => e.type === 'error' && /not valid JSON/.test(e.error))).toBe(true);
      expect(encodeSnapshot(memory).equals(before)).toBe(true);
    });
  });
}
