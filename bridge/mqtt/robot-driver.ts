import type { MqttClient } from 'mqtt';
import type { RobotDescription } from '../../robots/description.js';
import type { DriverEvents, GoalResult, GripperResult, KeyPress, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { SafetyError } from '../safety-gate.js';
import { MAX_BYTES, MAX_POINTS, parseChecked, robotTopics, validateGripperResult, validateKey, validateResult, validateState } from './robot-topics.js';

/**
 * A robot reached over MQTT, seen from the agent: the RobotDriver interface as messages on the robot's
 * topics. Commands go out at QoS 0 and only while connected (mqtt.js would otherwise hold them and
 * deliver them in a burst after a reconnect); the agent's heartbeat lets the robot stop by itself when
 * the agent goes quiet. Each follow() is one goal; the robot answers each on its result topic, passed on
 * as a 'result' event. Put a SafetyGate in front of it.
 */
export class MqttRobotDriver implements RobotDriver {
  readonly description: RobotDescription;
  readonly robotId: string;
  readonly #client: MqttClient;
  readonly #t: ReturnType<typeof robotTopics>;
  #state: JointState = { time: 0, positions: [], velocities: [], fingers: [] };
  /** When the newest joint state arrived (performance.now(), ms); null before the first. */
  #stateAt: number | null = null;
  /** How long a command stays good after it is sent, ms (its deadline, on the robot's clock). */
  readonly #ttlMs: number;
  #heartbeat: NodeJS.Timeout;
  /** state (the safety gate's watchdog feeds on it), result (each goal's answer), connection, stopped (a stop sent), key, error (a malformed message from the robot). */
  readonly events = new Emitter<DriverEvents>();
  readonly #onClose = () => this.events.emit('connection', false);
  readonly #onConnect = () => this.events.emit('connection', true);
  readonly #onMessage = (topic: string, payload: Buffer): void => {
    if (topic === this.#t.state) {
      const r = parseChecked<JointState>(topic, payload, validateState, MAX_BYTES.state);
      if (!r.ok) return void this.events.emit('error', { message: r.error });
      const n = this.description.joints.length;
      if (r.value.positions.length !== n || r.value.velocities.length !== n) {
        return void this.events.emit('error', { message: `${topic}: a joint state needs ${n} positions and velocities, got ${r.value.positions.length} and ${r.value.velocities.length}` });
      }
      this.#state = r.value;
      this.#stateAt = performance.now();
      this.events.emit('state', r.value);
    } else if (topic === this.#t.result) {
      const r = parseChecked<GoalResult>(topic, payload, validateResult, MAX_BYTES.result);
      if (!r.ok) return void this.events.emit('error', { message: r.error });
      this.events.emit('result', r.value);
    } else if (topic === this.#t.gripperResult) {
      const r = parseChecked<GripperResult>(topic, payload, validateGripperResult, MAX_BYTES.result);
      if (!r.ok) return void this.events.emit('error', { message: r.error });
      this.events.emit('gripper', r.value);
    } else if (topic === this.#t.keys) {
      const r = parseChecked<KeyPress>(topic, payload, validateKey, MAX_BYTES.keys);
      if (!r.ok) return void this.events.emit('error', { message: r.error });
      this.events.emit('key', r.value);
    }
  };

  private constructor(client: MqttClient, robotId: string, description: RobotDescription, prefix: string, ttlMs: number) {
    this.#client = client;
    this.#ttlMs = ttlMs;
    this.robotId = robotId;
    this.description = description;
    this.#t = robotTopics(robotId, prefix);
    // one listener per robot on a shared client
    client.setMaxListeners(client.getMaxListeners() + 1);
    client.on('message', this.#onMessage);
    this.#heartbeat = setInterval(() => {
      // time: the agent's wall clock, ms (latency measurements); until: on the robot's clock, so only once a joint state has told it
      if (client.connected && this.#stateAt !== null) this.#publish(this.#t.heartbeat, { time: Date.now(), until: this.#deadline() });
    }, 100);
    this.#heartbeat.unref();
    client.on('close', this.#onClose);
    client.on('connect', this.#onConnect);
  }

  /** Waits for the robot's retained description, then subscribes to its state, results and keys and waits for a first joint state. */
  static async connect(client: MqttClient, robotId: string, options: { prefix?: string; timeoutMs?: number; validate?: (raw: unknown, where: string) => RobotDescription; commandTtlMs?: number } = {}): Promise<MqttRobotDriver> {
    const prefix = options.prefix ?? 'engram';
    const t = robotTopics(robotId, prefix);
    const description = await new Promise<RobotDescription>((resolve, reject) => {
      const timer = setTimeout(() => (client.off('message', onMsg), reject(new Error(`robot '${robotId}': no description on ${t.description} within ${options.timeoutMs ?? 5000} ms`))), options.timeoutMs ?? 5000);
      const onMsg = (topic: string, payload: Buffer) => {
        if (topic !== t.description) return;
        clearTimeout(timer);
        client.off('message', onMsg);
        if (payload.length > MAX_BYTES.description) return reject(new Error(`${t.description}: a description of ${payload.length} bytes is over ${MAX_BYTES.description}`));
        try {
          const raw = JSON.parse(payload.toString()) as unknown;
          resolve(options.validate ? options.validate(raw, t.description) : (raw as RobotDescription));
        } catch (err) {
          reject(err);
        }
      };
      client.on('message', onMsg);
      void client.subscribeAsync(t.description, { qos: 1 });
    });
    const driver = new MqttRobotDriver(client, robotId, description, prefix, options.commandTtlMs ?? 1000);
    // a first joint state, so the robot's clock is known
    const first = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => (off(), resolve(false)), options.timeoutMs ?? 5000);
      const off = driver.events.once('state', () => (clearTimeout(timer), resolve(true)));
    });
    await client.subscribeAsync([t.state, t.keys], { qos: 0 });
    await client.subscribeAsync(t.result, { qos: 1 });
    if (description.gripper) await client.subscribeAsync(t.gripperResult, { qos: 1 });
    if (!(await first)) {
      driver.dispose();
      throw new Error(`robot '${robotId}': no joint state on ${t.state} within ${options.timeoutMs ?? 5000} ms`);
    }
    return driver;
  }

  /** The robot's clock now, as far as its newest joint state and the time since tell. */
  robotNow(): number {
    return this.#state.time + (this.#stateAt === null ? 0 : (performance.now() - this.#stateAt) / 1000);
  }

  #deadline(): number {
    return this.robotNow() + this.#ttlMs / 1000;
  }

  /** QoS 0; over MQTT 5 with a message expiry, so a broker drops what it could not deliver in time. */
  #publish(topic: string, body: object): void {
    const v5 = this.#client.options.protocolVersion === 5;
    this.#client.publish(topic, JSON.stringify(body), v5 ? { qos: 0, properties: { messageExpiryInterval: Math.max(1, Math.ceil(this.#ttlMs / 1000)) } } : { qos: 0 });
  }

  /**
   * Sends a command with its deadline: the robot's clock now plus the time to live, or its start when
   * that is later (a command sent well ahead is good until it is due).
   */
  #send(topic: string, body: object, start?: number): void {
    if (!this.#client.connected) throw new SafetyError('disconnected', `robot '${this.robotId}': the link is down, the command is refused (not queued)`);
    this.#publish(topic, { ...body, until: Math.max(this.#deadline(), start ?? -Infinity) });
  }

  /** Sends the trajectory as one goal (the robot answers it once, on its result topic). */
  follow(points: TrajectoryPoint[]): void {
    if (points.length > MAX_POINTS) throw new SafetyError('malformed', `robot '${this.robotId}': a goal of ${points.length} points is over ${MAX_POINTS}: split it`);
    const n = this.description.joints.length;
    points.forEach((p, k) => {
      if (p.positions.length !== n) throw new SafetyError('malformed', `robot '${this.robotId}': trajectory point ${k} needs ${n} joint positions, got ${p.positions.length}`);
    });
    this.#send(this.#t.trajectory, { points }, points[0]?.time);
  }

  press(finger: number, extension: number, at?: number): void {
    this.#send(this.#t.finger, { finger, extension, ...(at === undefined ? {} : { at }) }, at);
  }

  release(finger: number, at?: number): void {
    this.#send(this.#t.finger, { finger, extension: 0, ...(at === undefined ? {} : { at }) }, at);
  }

  /** Sends a gripper command (the robot answers it on its gripper topic); at: when, on the robot's clock. */
  grip(closure: number, at?: number): void {
    this.#send(this.#t.gripper, { closure, ...(at === undefined ? {} : { at }) }, at);
  }

  state(): JointState {
    return this.#state;
  }

  stop(reason = 'stop command'): void {
    // best effort when connected; when not, the robot's own watchdog stops it
    if (!this.#client.connected) return;
    this.#client.publish(this.#t.stop, '{}', { qos: 0 });
    this.events.emit('stopped', { reason });
  }

  dispose(): void {
    clearInterval(this.#heartbeat);
    this.#client.off('close', this.#onClose);
    this.#client.off('connect', this.#onConnect);
    this.#client.off('message', this.#onMessage);
  }
}
