import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { GoalResult, GripperResult, JointState, TrajectoryPoint } from '../../robots/driver.js';
import type { SimulatedRobot } from '../../robots/simulated.js';
import { sendAtOnce } from './no-delay.js';
import { parseChecked, robotTopics, STALE_COMMAND_CODE, validateFinger, validateGripper, validateHeartbeat, validateTrajectory } from './robot-topics.js';

export interface SimRobotOptions {
  url: string;
  robotId: string;
  /** The simulated robot (a Matter.js piano arm, an industrial arm): the wiring builds it. */
  robot: SimulatedRobot;
  prefix?: string;
  protocolVersion?: 4 | 5;
  /** Stop when the agent's heartbeats stop for this long while commands are queued, ms. */
  watchdogMs?: number;
  username?: string;
  password?: string;
  /** CA certificate (PEM) for an mqtts:// broker. */
  ca?: string | Buffer;
}

/** How many refused commands are kept for inspection (the newest). */
const REFUSED_KEPT = 20;

/**
 * A simulated robot reached over MQTT like a real one: its clock runs in real time, it takes trajectory,
 * finger and stop commands, publishes its description (retained), joint states at its own rate, goal
 * results and key events. Like a real robot controller it stops by itself when the agent's heartbeats
 * stop while commands are still ahead, drops commands past their deadline and never runs a retained one.
 */
export class SimMqttRobot {
  readonly #o: Required<Omit<SimRobotOptions, 'prefix' | 'protocolVersion' | 'username' | 'password' | 'ca'>> & { prefix: string; protocolVersion: 4 | 5; username?: string; password?: string; ca?: string | Buffer };
  readonly #t: ReturnType<typeof robotTopics>;
  readonly #robot: SimulatedRobot;
  #client: MqttClient | null = null;
  #t0 = 0;
  #loop: NodeJS.Timeout | null = null;
  #lastHeartbeat = 0;
  #lastState = -Infinity;
  #keysSent = 0;
  #busyUntil = -Infinity;
  readonly #unsubscribe: Array<() => void> = [];
  /** The newest commands refused (malformed or refused by the robot), newest last. */
  readonly refused: string[] = [];
  /** Stops done by the watchdog. */
  watchdogStops = 0;
  /** Heartbeats that counted (well-formed, fresh, not retained). */
  heartbeats = 0;
  /** The message expiry interval (s) the newest command arrived with over MQTT 5, if any. */
  lastExpiryInterval: number | undefined;

  constructor(options: SimRobotOptions) {
    this.#o = { prefix: 'engram', protocolVersion: 4, watchdogMs: 400, ...options };
    this.#t = robotTopics(options.robotId, this.#o.prefix);
    this.#robot = options.robot;
  }

  /** The simulated robot's driver (what it executes, its state). */
  get arm() {
    return this.#robot.driver;
  }

  /** Seconds on this robot's clock. */
  now(): number {
    return (Date.now() - this.#t0) / 1000;
  }

  async start(): Promise<void> {
    const t = this.#t;
    const driver = this.#robot.driver;
    this.#t0 = Date.now();
    const client = await mqtt.connectAsync(this.#o.url, {
      clientId: `engram-robot-${this.#o.robotId}`,
      protocolVersion: this.#o.protocolVersion,
      username: this.#o.username,
      password: this.#o.password,
      ca: this.#o.ca,
      reconnectPeriod: 300,
      queueQoSZero: false,
      will: { topic: t.status, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
    });
    this.#client = sendAtOnce(client);
    const announce = async () => {
      await client.publishAsync(t.description, JSON.stringify(driver.description), { qos: 1, retain: true });
      await client.publishAsync(t.status, JSON.stringify({ online: true }), { qos: 1, retain: true });
    };
    client.on('connect', () => void announce().catch(() => undefined));
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    // joint states at the robot's rate, by its clock; goal results as they happen
    const period = 1 / this.#robot.stateHz;
    this.#unsubscribe.push(
      driver.events.on('state', (s: JointState) => {
        if (!client.connected || s.time - this.#lastState < period - 1e-6) return;
        this.#lastState = s.time;
        client.publish(t.state, JSON.stringify(s), { qos: 0 });
      }),
      driver.events.on('result', (r: GoalResult) => this.#publishResult(r)),
      driver.events.on('gripper', (r: GripperResult) => this.#publishGripper(r)),
    );
    // MQTT 5: the retain flag as published, so a retained command is refused on live delivery too
    await client.subscribeAsync([t.trajectory, t.finger, t.gripper, t.stop, t.heartbeat], { qos: 0, ...(this.#o.protocolVersion === 5 ? { rap: true } : {}) });
    await announce();
    this.#loop = setInterval(() => {
      const now = this.now();
      this.#robot.advance(now);
      this.#checkWatchdog(now);
      if (!client.connected || !this.#robot.keyEvents) return;
      const keys = this.#robot.keyEvents();
      for (; this.#keysSent < keys.length; this.#keysSent++) client.publish(t.keys, JSON.stringify(keys[this.#keysSent]), { qos: 0 });
    }, Math.min(5, 500 / this.#robot.stateHz));
  }

  async stop(): Promise<void> {
    if (this.#loop) clearInterval(this.#loop);
    this.#loop = null;
    for (const off of this.#unsubscribe.splice(0)) off();
    const c = this.#client;
    this.#client = null;
    if (c) {
      if (c.connected) await c.publishAsync(this.#t.status, JSON.stringify({ online: false }), { qos: 1, retain: true }).catch(() => undefined);
      await c.endAsync(true);
    }
  }

  #publishResult(r: GoalResult): void {
    // QoS 1: an answer is worth delivering late after a reconnect
    this.#client?.publish(this.#t.result, JSON.stringify({ ok: r.ok, code: r.code, ...(r.error ? { error: r.error } : {}) }), { qos: 1 });
  }

  /** A gripper command's answer, on the gripper topic (QoS 1, as goal results). */
  #publishGripper(r: GripperResult): void {
    const body: GripperResult = { ok: r.ok, closure: r.closure };
    if (r.position !== undefined) body.position = Math.min(2, Math.max(-1, r.position));
    if (r.stalled !== undefined) body.stalled = r.stalled;
    if (r.error) body.error = r.error.slice(0, 2000);
    this.#client?.publish(this.#t.gripperResult, JSON.stringify(body), { qos: 1 });
  }

  #refuse(error: string, goal: boolean, code = -1, gripper?: number): void {
    this.refused.push(error);
    if (this.refused.length > REFUSED_KEPT) this.refused.shift();
    // a trajectory goal is always answered, even a malformed one; a dropped command is answered too
    if (gripper !== undefined) this.#publishGripper({ ok: false, closure: gripper, error });
    else if (goal) this.#publishResult({ ok: false, code, error });
  }

  /** A command past its deadline (on this robot's clock) is dropped, and answered saying so. */
  #stale(topic: string, until: number, now: number): boolean {
    if (until >= now) return false;
    this.#refuse(`${topic}: stale command dropped (its deadline passed ${(now - until).toFixed(3)} s ago)`, true, STALE_COMMAND_CODE);
    return true;
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const t = this.#t;
    const driver = this.#robot.driver;
    const now = this.now();
    const expiry = packet.properties?.messageExpiryInterval;
    if (topic === t.stop) {
      // a stop is always obeyed, retained or late: stopping is the safe side
      driver.stop('stop command');
      this.#busyUntil = -Infinity;
      return;
    }
    // a retained command may be any age and comes back at every reconnect: never run it
    if (packet.retain) return this.#refuse(`${topic}: retained command ignored`, topic === t.trajectory || topic === t.finger);
    if (topic === t.gripper) return this.#gripperCommand(topic, payload, now, expiry);
    if (topic === t.heartbeat) {
      // only a well-formed, fresh heartbeat (or command) is word from the agent; the broker lets only the agent write them
      const r = parseChecked<{ until: number }>(topic, payload, validateHeartbeat);
      if (r.ok && r.value.until >= now) {
        this.#lastHeartbeat = now;
        this.heartbeats++;
      }
      return;
    }
    if (topic === t.trajectory) {
      const r = parseChecked<{ points: TrajectoryPoint[]; until: number }>(topic, payload, validateTrajectory);
      if (!r.ok) return this.#refuse(r.error, true);
      this.lastExpiryInterval = expiry;
      if (this.#stale(topic, r.value.until, now)) return;
      // a well-formed, fresh command is word from the agent too (only the agent may write it)
      this.#lastHeartbeat = now;
      try {
        driver.follow(r.value.points);
        const last = r.value.points[r.value.points.length - 1];
        if (last) this.#busyUntil = Math.max(this.#busyUntil, last.time);
      } catch (err) {
        this.#refuse(`${topic}: ${(err as Error).message}`, true);
      }
      return;
    }
    if (topic === t.finger) {
      const r = parseChecked<{ finger: number; extension: number; at?: number; until: number }>(topic, payload, validateFinger);
      if (!r.ok) return this.#refuse(r.error, false);
      this.lastExpiryInterval = expiry;
      if (this.#stale(topic, r.value.until, now)) return;
      this.#lastHeartbeat = now;
      try {
        if (r.value.extension > 0) driver.press(r.value.finger, r.value.extension, r.value.at);
        else driver.release(r.value.finger, r.value.at);
        this.#busyUntil = Math.max(this.#busyUntil, r.value.at ?? 0);
      } catch (err) {
        this.#refuse(`${topic}: ${(err as Error).message}`, false);
      }
    }
  }

  /**
   * A gripper command: malformed ones are dropped (no closure to answer for), a stale one answered as
   * such on the gripper topic, a fresh one queued on the gripper (which answers when it gets there).
   */
  #gripperCommand(topic: string, payload: Buffer, now: number, expiry: number | undefined): void {
    const r = parseChecked<{ closure: number; at?: number; until: number }>(topic, payload, validateGripper);
    if (!r.ok) return this.#refuse(r.error, false);
    this.lastExpiryInterval = expiry;
    const { closure, at, until } = r.value;
    if (until < now) return this.#refuse(`${topic}: stale command dropped (its deadline passed ${(now - until).toFixed(3)} s ago)`, false, STALE_COMMAND_CODE, closure);
    this.#lastHeartbeat = now;
    const driver = this.#robot.driver;
    if (!driver.grip) return this.#refuse(`${topic}: ${driver.description.name} has no gripper`, false, -1, closure);
    driver.grip(closure, at);
    this.#busyUntil = Math.max(this.#busyUntil, at ?? 0);
  }

  /** With commands still ahead and no word from the agent (a fresh heartbeat or command) for watchdogMs: stop. */
  #checkWatchdog(now: number): void {
    if (now < this.#busyUntil && (now - this.#lastHeartbeat) * 1000 > this.#o.watchdogMs) {
      this.#robot.driver.stop(`watchdog: no word from the agent for ${this.#o.watchdogMs} ms`);
      this.#busyUntil = -Infinity;
      this.watchdogStops++;
    }
  }
}
