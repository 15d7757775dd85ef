import mqtt, { type MqttClient } from 'mqtt';
import type { KeyboardDescription, PianoArm } from '../../robots/description.js';
import type { TrajectoryPoint } from '../../robots/driver.js';
import { World } from '../../sim/world.js';
import { sendAtOnce } from './no-delay.js';
import { parseChecked, robotTopics, validateFinger, validateTrajectory } from './robot-topics.js';

export interface SimRobotOptions {
  url: string;
  robotId: string;
  robot: PianoArm;
  startQ: number[];
  keyboard: KeyboardDescription;
  prefix?: string;
  protocolVersion?: 4 | 5;
  /** Stop when the agent's heartbeats stop for this long while commands are queued, ms. */
  watchdogMs?: number;
  stateHz?: number;
  username?: string;
  password?: string;
}

/**
 * A simulated arm reached over MQTT: the Matter.js arm at its own keyboard, stepped in real time,
 * taking trajectory, finger and stop commands, publishing joint states and key events. Like a real
 * robot controller it stops by itself when the agent goes quiet.
 */
export class SimMqttRobot {
  readonly #o: Required<Omit<SimRobotOptions, 'prefix' | 'protocolVersion' | 'username' | 'password'>> & { prefix: string; protocolVersion: 4 | 5; username?: string; password?: string };
  readonly #t: ReturnType<typeof robotTopics>;
  #client: MqttClient | null = null;
  #world: World;
  #t0 = 0;
  #loop: NodeJS.Timeout | null = null;
  #lastHeartbeat = 0;
  #keysSent = 0;
  #busyUntil = -Infinity;
  /** Commands refused (malformed), stops done by the watchdog. */
  refused: string[] = [];
  watchdogStops = 0;

  constructor(options: SimRobotOptions) {
    this.#o = { prefix: 'engram', protocolVersion: 4, watchdogMs: 400, stateHz: 50, ...options };
    this.#t = robotTopics(options.robotId, this.#o.prefix);
    this.#world = new World(options.keyboard, [{ robot: options.robot, startQ: options.startQ }], { dtMs: 2 });
  }

  get arm() {
    return this.#world.arms[0]!;
  }

  /** Seconds on this robot's clock. */
  now(): number {
    return (Date.now() - this.#t0) / 1000;
  }

  async start(): Promise<void> {
    const t = this.#t;
    this.#t0 = Date.now();
    const client = await mqtt.connectAsync(this.#o.url, {
      clientId: `engram-robot-${this.#o.robotId}`,
      protocolVersion: this.#o.protocolVersion,
      username: this.#o.username,
      password: this.#o.password,
      reconnectPeriod: 300,
      queueQoSZero: false,
      will: { topic: t.status, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
    });
    this.#client = sendAtOnce(client);
    const announce = async () => {
      await client.publishAsync(t.description, JSON.stringify(this.#o.robot), { qos: 1, retain: true });
      await client.publishAsync(t.status, JSON.stringify({ online: true }), { qos: 1, retain: true });
    };
    client.on('connect', () => void announce().catch(() => undefined));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    await client.subscribeAsync([t.trajectory, t.finger, t.stop, t.heartbeat], { qos: 0 });
    await announce();
    let lastState = 0;
    this.#loop = setInterval(() => {
      const now = this.now();
      this.#world.run(now);
      this.#checkWatchdog(now);
      if (!client.connected) return;
      if (now - lastState >= 1 / this.#o.stateHz) {
        lastState = now;
        client.publish(t.state, JSON.stringify(this.arm.state()), { qos: 0 });
      }
      const events = this.#world.events;
      for (; this.#keysSent < events.length; this.#keysSent++) client.publish(t.keys, JSON.stringify(events[this.#keysSent]), { qos: 0 });
    }, 5);
  }

  async stop(): Promise<void> {
    if (this.#loop) clearInterval(this.#loop);
    this.#loop = null;
    const c = this.#client;
    this.#client = null;
    if (c) {
      if (c.connected) await c.publishAsync(this.#t.status, JSON.stringify({ online: false }), { qos: 1, retain: true }).catch(() => undefined);
      await c.endAsync(true);
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    const t = this.#t;
    this.#lastHeartbeat = this.now();
    if (topic === t.heartbeat) return;
    if (topic === t.stop) {
      this.arm.stop();
      this.#busyUntil = -Infinity;
      return;
    }
    if (topic === t.trajectory) {
      const r = parseChecked<{ points: TrajectoryPoint[] }>(topic, payload, validateTrajectory);
      if (!r.ok) return void this.refused.push(r.error);
      try {
        this.arm.follow(r.value.points);
        const last = r.value.points[r.value.points.length - 1];
        if (last) this.#busyUntil = Math.max(this.#busyUntil, last.time);
      } catch (err) {
        this.refused.push(`${topic}: ${(err as Error).message}`);
      }
      return;
    }
    if (topic === t.finger) {
      const r = parseChecked<{ finger: number; extension: number; at?: number }>(topic, payload, validateFinger);
      if (!r.ok) return void this.refused.push(r.error);
      try {
        if (r.value.extension > 0) this.arm.press(r.value.finger, r.value.extension, r.value.at);
        else this.arm.release(r.value.finger, r.value.at);
        this.#busyUntil = Math.max(this.#busyUntil, r.value.at ?? 0);
      } catch (err) {
        this.refused.push(`${topic}: ${(err as Error).message}`);
      }
    }
  }

  /** With commands still ahead and no word from the agent for watchdogMs: stop. */
  #checkWatchdog(now: number): void {
    if (now < this.#busyUntil && (now - this.#lastHeartbeat) * 1000 > this.#o.watchdogMs) {
      this.arm.stop();
      this.#busyUntil = -Infinity;
      this.watchdogStops++;
    }
  }
}
