import type { MqttClient } from 'mqtt';
import type { RobotDescription } from '../../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { SafetyError } from '../safety-gate.js';
import { parseChecked, robotTopics, validateState } from './robot-topics.js';

/**
 * A robot reached over MQTT, seen from the agent: the RobotDriver interface as messages on the robot's
 * topics. Commands go out at QoS 0 and only while connected (mqtt.js would otherwise hold them and
 * deliver them in a burst after a reconnect); the agent's heartbeat lets the robot stop by itself when
 * the agent goes quiet. Put a SafetyGate in front of it.
 */
export class MqttRobotDriver implements RobotDriver {
  readonly description: RobotDescription;
  readonly robotId: string;
  readonly #client: MqttClient;
  readonly #t: ReturnType<typeof robotTopics>;
  #state: JointState = { time: 0, positions: [], velocities: [], fingers: [] };
  #heartbeat: NodeJS.Timeout;
  /** Key events the robot reported, in its clock. */
  readonly keys: Array<{ pitch: number; on: boolean; time: number }> = [];
  /** state (the safety gate's watchdog feeds on it), connection, stopped (a stop sent), error (a malformed message from the robot). */
  readonly events = new Emitter<DriverEvents>();
  readonly #onClose = () => this.events.emit('connection', false);
  readonly #onConnect = () => this.events.emit('connection', true);

  private constructor(client: MqttClient, robotId: string, description: RobotDescription, prefix: string) {
    this.#client = client;
    this.robotId = robotId;
    this.description = description;
    this.#t = robotTopics(robotId, prefix);
    // one listener per robot on a shared client
    client.setMaxListeners(client.getMaxListeners() + 1);
    client.on('message', (topic, payload) => {
      if (topic === this.#t.state) {
        const r = parseChecked<JointState>(topic, payload, validateState);
        if (!r.ok) return void this.events.emit('error', { message: r.error });
        this.#state = r.value;
        this.events.emit('state', r.value);
      } else if (topic === this.#t.keys) {
        try {
          this.keys.push(JSON.parse(payload.toString()) as { pitch: number; on: boolean; time: number });
        } catch {
          this.events.emit('error', { message: `${topic}: not valid JSON` });
        }
      }
    });
    this.#heartbeat = setInterval(() => {
      if (client.connected) client.publish(this.#t.heartbeat, JSON.stringify({ time: Date.now() }), { qos: 0 });
    }, 100);
    this.#heartbeat.unref();
    client.on('close', this.#onClose);
    client.on('connect', this.#onConnect);
  }

  /** Waits for the robot's retained description, then subscribes to its state and keys. */
  static async connect(client: MqttClient, robotId: string, options: { prefix?: string; timeoutMs?: number; validate?: (raw: unknown, where: string) => RobotDescription } = {}): Promise<MqttRobotDriver> {
    const prefix = options.prefix ?? 'engram';
    const t = robotTopics(robotId, prefix);
    const description = await new Promise<RobotDescription>((resolve, reject) => {
      const timer = setTimeout(() => (client.off('message', onMsg), reject(new Error(`robot '${robotId}': no description on ${t.description} within ${options.timeoutMs ?? 5000} ms`))), options.timeoutMs ?? 5000);
      const onMsg = (topic: string, payload: Buffer) => {
        if (topic !== t.description) return;
        clearTimeout(timer);
        client.off('message', onMsg);
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
    await client.subscribeAsync([t.state, t.keys], { qos: 0 });
    const driver = new MqttRobotDriver(client, robotId, description, prefix);
    // wait for a first joint state, so the robot's clock is known
    const start = Date.now();
    while (driver.#state.positions.length === 0 && Date.now() - start < (options.timeoutMs ?? 5000)) await new Promise((r) => setTimeout(r, 10));
    if (driver.#state.positions.length === 0) throw new Error(`robot '${robotId}': no joint state on ${t.state}`);
    return driver;
  }

  #send(topic: string, body: unknown): void {
    if (!this.#client.connected) throw new SafetyError('disconnected', `robot '${this.robotId}': the link is down, the command is refused (not queued)`);
    this.#client.publish(topic, JSON.stringify(body), { qos: 0 });
  }

  follow(points: TrajectoryPoint[]): void {
    // the robot would drop a goal for the wrong joints without a word: refuse it here, where the caller hears
    const n = this.description.joints.length;
    points.forEach((p, k) => {
      if (p.positions.length !== n) throw new SafetyError('malformed', `robot '${this.robotId}': trajectory point ${k} needs ${n} joint positions, got ${p.positions.length}`);
    });
    // large trajectories go in chunks
    for (let i = 0; i < points.length; i += 500) this.#send(this.#t.trajectory, { points: points.slice(i, i + 500) });
  }

  press(finger: number, extension: number, at?: number): void {
    this.#send(this.#t.finger, { finger, extension, ...(at === undefined ? {} : { at }) });
  }

  release(finger: number, at?: number): void {
    this.#send(this.#t.finger, { finger, extension: 0, ...(at === undefined ? {} : { at }) });
  }

  state(): JointState {
    return this.#state;
  }

  stop(): void {
    // best effort when connected; when not, the robot's own watchdog stops it
    if (!this.#client.connected) return;
    this.#client.publish(this.#t.stop, '{}', { qos: 0 });
    this.events.emit('stopped', { reason: 'stop command' });
  }

  dispose(): void {
    clearInterval(this.#heartbeat);
    this.#client.off('close', this.#onClose);
    this.#client.off('connect', this.#onConnect);
  }
}
