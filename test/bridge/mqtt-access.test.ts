import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttAgent } from '../../bridge/mqtt/agent.js';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { MqttRobotDriver } from '../../bridge/mqtt/robot-driver.js';
import { robotTopics } from '../../bridge/mqtt/robot-topics.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import { agentTopics } from '../../bridge/mqtt/topics.js';
import { validateRobot } from '../../robots/description.js';
import type { GoalResult, JointState } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { loadRobot } from '../../robots/load.js';
import { simulatedIndustrialArm } from '../../sim/simulated-robots.js';
import { checkCommand } from '../../src/agent/command-schemas.js';
import type { AgentCommand, AgentEvent, AgentEvents } from '../../src/agent/commands.js';
import { accessFiles } from '../helpers/mqtt-access.js';
import { haveMosquitto, startMosquitto } from '../helpers/mosquitto.js';

/**
 * Issue 11, acceptance 1 (MQTT): with the same password file and ACL file, the embedded broker (aedes,
 * MQTT 3.1.1) and Debian's mosquitto (MQTT 5, configured as the README says) refuse an anonymous client,
 * a wrong password, a robot publishing on another robot's topics or reading its commands, a client that
 * is no operator commanding the agent, a client-id takeover, a retained command and a stale command.
 * Each refusal comes with a positive control showing the same path works for whoever may use it.
 */
const ur5e = loadRobot('ur5e');
const HOME = [0, -1.57, 1.57, -1.57, -1.57, 0];
type Broker = { url: string; stop(): Promise<void> };
const brokers: Array<{ name: string; v: 4 | 5; enabled: boolean; start: (f: ReturnType<typeof accessFiles>) => Promise<Broker> }> = [
  {
    name: 'embedded aedes (MQTT 3.1.1)',
    v: 4,
    enabled: true,
    start: async (f) => {
      const b = await startEmbeddedBroker({ port: 0, access: f.access() });
      return { url: b.url, stop: b.close };
    },
  },
  {
    name: 'Debian mosquitto (MQTT 5)',
    v: 5,
    enabled: haveMosquitto || process.env.ENGRAM_REQUIRE_BROKER === '1',
    start: (f) => startMosquitto({ passwordFile: f.passwordFile, aclFile: f.aclFile }),
  },
];

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes at QoS 1 and resolves once the broker has dealt with it: acknowledged (mosquitto acknowledges
 * and discards what the ACL refuses), or the connection closed (aedes drops a client it refuses).
 */
function attempt(c: MqttClient, topic: string, body: string, retain = false): Promise<'acked' | 'dropped'> {
  return new Promise((resolve) => {
    if (!c.connected) return resolve('dropped');
    c.once('close', () => resolve('dropped'));
    c.publish(topic, body, { qos: 1, retain }, (err) => resolve(err ? 'dropped' : 'acked'));
  });
}

for (const b of brokers) {
  describe.skipIf(!b.enabled)(`MQTT access control: ${b.name}`, () => {
    const files = accessFiles(['arm-a', 'arm-b', 'arm-c']);
    const at = agentTopics();
    const ta = robotTopics('arm-a');
    let broker: Broker;
    let agent: MqttAgent;
    const agentEvents = new Emitter<AgentEvents>();
    const errors: string[] = [];
    const handled: AgentCommand[] = [];
    const robots: SimMqttRobot[] = [];
    let driver: MqttRobotDriver;
    const results: GoalResult[] = [];
    const states: JointState[] = [];
    const statuses: string[] = [];
    const extra: MqttClient[] = [];

    /** A client of its own (no reconnects); rejects when the broker refuses it. */
    // (the robots' watchdogs are not under test here: generous, so a loaded machine does not trip them)
    const client = async (options: IClientOptions) => {
      const c = await mqtt.connectAsync(broker.url, { protocolVersion: b.v, reconnectPeriod: 0, connectTimeout: 3000, ...options });
      extra.push(c);
      return c;
    };

    beforeAll(async () => {
      broker = await b.start(files);
      agentEvents.on('event', (e: AgentEvent) => void (e.type === 'error' && errors.push((e as unknown as { error: string }).error)));
      agent = new MqttAgent({
        handle: async (command) => (handled.push(command), { handled: command.command }),
        check: checkCommand,
        events: agentEvents,
        url: broker.url,
        protocolVersion: b.v,
        ...files.agent,
      });
      await agent.start();
      for (const id of ['arm-a', 'arm-b']) {
        const robot = new SimMqttRobot({ url: broker.url, robotId: id, robot: simulatedIndustrialArm(ur5e, { start: HOME }), protocolVersion: b.v, watchdogMs: 3000, ...files.login(id) });
        await robot.start();
        robots.push(robot);
      }
      driver = await MqttRobotDriver.connect(agent.client!, 'arm-a', { validate: validateRobot });
      driver.events.on('result', (r) => void results.push(r));
      driver.events.on('state', (s) => void states.push(s));
      agent.client!.on('message', (topic, payload) => {
        if (topic === ta.status) statuses.push(payload.toString());
      });
      await agent.client!.subscribeAsync(ta.status, { qos: 1 });
    }, 30_000);

    afterAll(async () => {
      for (const c of extra) await c.endAsync(true).catch(() => undefined);
      driver?.dispose();
      for (const r of robots) await r.stop();
      await agent?.stop();
      await broker?.stop();
      files.remove();
    });

    it('refuses an anonymous client and a wrong password; admits the right one', async () => {
      await expect(client({ clientId: 'anon' })).rejects.toThrow(/not authori[sz]ed|Connection refused/i);
      await expect(client({ clientId: 'guess', username: 'arm-c', password: 'not-it' })).rejects.toThrow(/bad user ?name or password|not authori[sz]ed|Connection refused/i);
      await expect(client({ clientId: 'nobody', username: 'nobody', password: files.operator.password })).rejects.toThrow(/bad user ?name or password|not authori[sz]ed|Connection refused/i);
      const ok = await client({ clientId: 'arm-c', ...files.login('arm-c') });
      expect(ok.connected).toBe(true);
      await ok.endAsync(true);
    });

    it("a robot publishes only its own topics: another robot's state, result and commands are refused; it never reads another's commands", async () => {
      const ownState = new Promise<string>((resolve) => {
        const own = robotTopics('arm-c').state;
        agent.client!.on('message', (topic, payload) => topic === own && resolve(payload.toString()));
        void agent.client!.subscribeAsync(own);
      });
      // positive control: arm-c's own state reaches the agent
      const c = await client({ clientId: 'arm-c', ...files.login('arm-c') });
      const heard: string[] = [];
      c.on('message', (topic) => heard.push(topic));
      await c.subscribeAsync(`${ta.trajectory.replace(/trajectory$/, '#')}`).catch(() => undefined);
      await c.publishAsync(robotTopics('arm-c').state, JSON.stringify({ time: 1, positions: [9.99], velocities: [0] }), { qos: 1 });
      expect(await ownState).toContain('9.99');
      // a goal from the agent to arm-a, which arm-c must not hear
      const goals = results.length;
      driver.follow([{ time: driver.robotNow() + 1, positions: HOME }]);
      await expect.poll(() => results.length, { timeout: 15_000 }).toBe(goals + 1);
      expect(results.at(-1), JSON.stringify(results.at(-1))).toMatchObject({ ok: true });
      // forged state, result and command for arm-a: the agent and arm-a never see them
      const forged = [
        [ta.state, JSON.stringify({ time: 1e6, positions: [4.64, 0, 0, 0, 0, 0], velocities: [0, 0, 0, 0, 0, 0] })],
        [ta.result, JSON.stringify({ ok: false, code: -4, error: 'forged' })],
        [ta.trajectory, JSON.stringify({ points: [{ time: 1e6, positions: [4.64, 0, 0, 0, 0, 0] }], until: 1e9 })],
        [ta.status, JSON.stringify({ online: false })],
      ] as const;
      // a connection each: aedes drops a client at its first refused publish, mosquitto acknowledges and discards
      for (const [i, [topic, body]] of forged.entries()) {
        const forger = await client({ clientId: `arm-c-${i}`, ...files.login('arm-c') });
        await attempt(forger, topic, body);
      }
      // the agent's own next goal still arrives, after anything forged would have
      driver.follow([{ time: driver.robotNow() + 1, positions: HOME }]);
      await expect.poll(() => results.length, { timeout: 15_000 }).toBe(goals + 2);
      await expect.poll(() => states.length).toBeGreaterThan(states.length + 5);
      expect(results.some((r) => r.error === 'forged')).toBe(false);
      expect(states.some((s) => s.time === 1e6 || s.positions[0] === 4.64)).toBe(false);
      expect(robots[0]!.arm.state().positions[0]).toBeCloseTo(HOME[0]!, 3);
      expect(statuses.some((s) => s.includes('false'))).toBe(false);
      expect(heard).toEqual([]);
    }, 30_000);

    it('only an operator commands the agent: a robot or a user without an operator entry is not heard', async () => {
      const before = handled.length;
      for (const user of ['intruder', 'arm-c']) {
        const c = await client({ clientId: `${user}-cmd`, ...files.login(user) });
        const answers: string[] = [];
        c.on('message', (_t, p) => answers.push(p.toString()));
        await c.subscribeAsync(at.resp('#')).catch(() => undefined);
        await attempt(c, at.cmd, JSON.stringify({ id: 'x', replyTo: user, command: 'stop' }));
        expect(answers).toEqual([]);
      }
      // the operator is heard and answered (and, being later, shows the earlier ones were not just slow)
      const op = await client({ clientId: 'op', ...files.operator });
      const answer = new Promise<string>((resolve) => op.on('message', (_t, p) => resolve(p.toString())));
      await op.subscribeAsync(at.resp('op1'));
      await op.publishAsync(at.cmd, JSON.stringify({ id: 'y', replyTo: 'op1', command: 'status' }), { qos: 1 });
      expect(JSON.parse(await answer)).toMatchObject({ id: 'y', ok: true });
      expect(handled.slice(before).map((c) => c.command)).toEqual(['status']);
    });

    it("a client-id takeover of a robot or of the agent by another user is refused: they stay connected", async () => {
      const n = states.length;
      for (const clientId of ['engram-robot-arm-a', agent.client!.options.clientId!]) {
        const attempt = client({ clientId, ...files.login('intruder') });
        if (b.v === 4) await expect(attempt).rejects.toThrow(/Identifier rejected/i);
        // mosquitto (use_username_as_clientid): the newcomer gets its username as client id instead
        else await attempt;
      }
      // the robot and the agent keep their links: states keep coming, nobody went offline
      await expect.poll(() => states.length, { timeout: 5000 }).toBeGreaterThan(n + 20);
      expect(statuses.some((s) => s.includes('false'))).toBe(false);
      expect(agent.client!.connected).toBe(true);
      // the same login may replace its own session (a robot back after a reboot, its old link half-open)
      const first = await client({ clientId: 'arm-c-session', ...files.login('arm-c') });
      const replaced = new Promise<void>((resolve) => first.once('close', () => resolve()));
      const second = await client({ clientId: 'arm-c-session', ...files.login('arm-c') });
      await replaced;
      expect(second.connected).toBe(true);
    });

    it('a retained command is refused by aedes and never run by the agent or a robot from mosquitto', async () => {
      const op = await client({ clientId: 'op-retain', ...files.operator });
      const errorsBefore = errors.length;
      expect(await attempt(op, at.cmd, JSON.stringify({ id: 'r', replyTo: 'op', command: 'stop' }), true)).toBe(b.v === 4 ? 'dropped' : 'acked');
      // an agent subscribing afresh (as after a restart) is not handed the command
      const before = handled.length;
      await agent.client!.unsubscribeAsync(at.cmd);
      await agent.client!.subscribeAsync(at.cmd, { qos: 1 });
      // a status from the operator after it: answered, and the only command run
      const op2 = await client({ clientId: 'op-after', ...files.operator });
      const answer = new Promise<string>((resolve) => op2.on('message', (_t, p) => resolve(p.toString())));
      await op2.subscribeAsync(at.resp('after'));
      await op2.publishAsync(at.cmd, JSON.stringify({ id: 'z', replyTo: 'after', command: 'status' }), { qos: 1 });
      await answer;
      expect(handled.slice(before).map((c) => c.command)).toEqual(['status']);
      // mosquitto kept it (no ACL can refuse a retain flag): the agent (MQTT 5, retain as published) did not
      // run it, neither live nor when it subscribed again, and said so
      if (b.v === 5) expect(errors.slice(errorsBefore).some((e) => /retained command is never run/.test(e))).toBe(true);
      if (b.v === 5) await attempt(op2, at.cmd, '', true); // clears it

      // a retained goal for a robot: only the agent may write there; a robot coming back never runs it
      const tb = robotTopics('arm-b');
      const goal = JSON.stringify({ points: [{ time: 0.5, positions: HOME.map((q) => q + 0.5) }], until: 1e9 });
      await robots[1]!.stop();
      const retained = agent.client!.publishAsync(tb.trajectory, goal, { qos: 0, retain: true });
      robots[1] = new SimMqttRobot({ url: broker.url, robotId: 'arm-b', robot: simulatedIndustrialArm(ur5e, { start: HOME }), protocolVersion: b.v, watchdogMs: 3000, ...files.login('arm-b') });
      if (b.v === 5) {
        await retained;
        await robots[1].start();
        await expect.poll(() => robots[1]!.refused.some((e) => /retained command ignored/.test(e))).toBe(true);
        await agent.client!.publishAsync(tb.trajectory, '', { qos: 0, retain: true });
      } else {
        await retained.catch(() => undefined);
        // aedes refused it and dropped the publisher; the agent's link comes back by itself
        await expect.poll(() => agent.client!.connected, { timeout: 5000 }).toBe(true);
        await robots[1].start();
      }
      await tick(200);
      robots[1]!.arm.state().positions.forEach((q, j) => expect(q).toBeCloseTo(HOME[j]!, 3));
    }, 30_000);

    it('a stale command is dropped and answered saying so; a fresh one runs (and over MQTT 5 carries an expiry)', async () => {
      await expect.poll(() => agent.client!.connected, { timeout: 5000 }).toBe(true);
      const n = results.length;
      const now = driver.robotNow();
      await agent.client!.publishAsync(ta.trajectory, JSON.stringify({ points: [{ time: now + 0.3, positions: HOME.map((q) => q + 0.5) }], until: now - 0.5 }));
      await expect.poll(() => results.length, { timeout: 15_000 }).toBe(n + 1);
      expect(results.at(-1)).toMatchObject({ ok: false, code: -3, error: expect.stringMatching(/stale command dropped/) });
      robots[0]!.arm.state().positions.forEach((q, j) => expect(q).toBeCloseTo(HOME[j]!, 3));
      driver.follow([{ time: driver.robotNow() + 1, positions: HOME }]);
      await expect.poll(() => results.length, { timeout: 15_000 }).toBe(n + 2);
      expect(results.at(-1), JSON.stringify(results.at(-1))).toMatchObject({ ok: true });
      expect(robots[0]!.lastExpiryInterval).toBe(b.v === 5 ? 1 : undefined);
    }, 30_000);
  });
}
