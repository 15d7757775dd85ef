import mqtt, { type MqttClient } from 'mqtt';
import { robotTopics } from '../../bridge/mqtt/robot-topics.js';
import type { RobotDescription } from '../../robots/description.js';
import type { TrajectoryPoint } from '../../robots/driver.js';
import { completeVelocities, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';

export const SIX_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_1', 'wrist_2', 'wrist_3'];

/**
 * A 6-joint arm (UR-like proportions: upright at zero, 0.4 m upper arm, 0.35 m forearm, three wrist
 * joints) in URDF with primitive visuals, so a page can draw it without mesh files.
 */
export function sixJointUrdf(name = 'test-six'): string {
  const link = (n: string, geom: string, z: number, rgba: string) =>
    `<link name="${n}"><visual><origin xyz="0 0 ${z}"/><geometry>${geom}</geometry><material name="${n}_m"><color rgba="${rgba}"/></material></visual></link>`;
  const joint = (n: string, parent: string, child: string, z: number, axis: string) =>
    `<joint name="${n}" type="revolute"><parent link="${parent}"/><child link="${child}"/><origin xyz="0 0 ${z}" rpy="0 0 0"/><axis xyz="${axis}"/><limit lower="-6.28" upper="6.28" effort="150" velocity="3.14"/></joint>`;
  return `<?xml version="1.0"?>
<robot name="${name}">
  ${link('base_link', '<cylinder radius="0.08" length="0.1"/>', 0.05, '0.35 0.4 0.45 1')}
  ${link('shoulder_link', '<cylinder radius="0.06" length="0.12"/>', 0.06, '0.2 0.55 0.9 1')}
  ${link('upper_arm_link', '<box size="0.08 0.08 0.4"/>', 0.2, '0.9 0.6 0.2 1')}
  ${link('forearm_link', '<box size="0.07 0.07 0.35"/>', 0.175, '0.2 0.8 0.5 1')}
  ${link('wrist_1_link', '<cylinder radius="0.045" length="0.1"/>', 0.05, '0.85 0.3 0.6 1')}
  ${link('wrist_2_link', '<cylinder radius="0.04" length="0.08"/>', 0.04, '0.6 0.6 0.95 1')}
  ${link('wrist_3_link', '<box size="0.05 0.05 0.06"/>', 0.03, '0.95 0.95 0.3 1')}
  <link name="tool0"/>
  ${joint('shoulder_pan', 'base_link', 'shoulder_link', 0.1, '0 0 1')}
  ${joint('shoulder_lift', 'shoulder_link', 'upper_arm_link', 0.12, '0 1 0')}
  ${joint('elbow', 'upper_arm_link', 'forearm_link', 0.4, '0 1 0')}
  ${joint('wrist_1', 'forearm_link', 'wrist_1_link', 0.35, '0 1 0')}
  ${joint('wrist_2', 'wrist_1_link', 'wrist_2_link', 0.1, '0 0 1')}
  ${joint('wrist_3', 'wrist_2_link', 'wrist_3_link', 0.08, '0 1 0')}
  <joint name="tool0_fixed" type="fixed"><parent link="wrist_3_link"/><child link="tool0"/><origin xyz="0 0 0.06"/></joint>
</robot>`;
}

/** The engram description of the arm above (what a URDF loader would give, written out). */
export function sixJointDescription(name = 'test-six'): RobotDescription {
  return {
    name,
    source: 'test arm (test/helpers/mqtt-urdf-arm.ts)',
    joints: SIX_JOINTS.map((n) => ({ name: n, type: 'revolute', min: -6.28, max: 6.28, maxSpeed: 3.14, maxAccel: 15, maxEffort: 150 })),
    urdf: sixJointUrdf(name),
  };
}

/**
 * A robot on MQTT for tests, as a third party would write one: it publishes its retained description
 * (with its URDF) and its joint states at `stateHz`, follows trajectories on the curve a trajectory
 * controller executes, and stops on cmd/stop. hold() moves it to a pose (as a hand would); pause()
 * stops its joint states (a robot gone quiet).
 */
export class MqttUrdfArm {
  readonly robotId: string;
  readonly #url: string;
  readonly #t: ReturnType<typeof robotTopics>;
  readonly #description: RobotDescription;
  readonly #hz: number;
  #client: MqttClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  #t0 = Date.now();
  #q: number[];
  #plan: { points: FullPoint[]; from: FullPoint } | null = null;
  #paused = false;
  /** Trajectory points received. */
  received = 0;

  readonly #login: { username?: string; password?: string };

  constructor(options: { url: string; robotId: string; description?: RobotDescription; stateHz?: number; username?: string; password?: string }) {
    this.#url = options.url;
    this.#login = { username: options.username, password: options.password };
    this.robotId = options.robotId;
    this.#t = robotTopics(options.robotId);
    this.#description = options.description ?? sixJointDescription();
    this.#hz = options.stateHz ?? 50;
    this.#q = this.#description.joints.map(() => 0);
  }

  now(): number {
    return (Date.now() - this.#t0) / 1000;
  }

  get positions(): number[] {
    return [...this.#q];
  }

  async start(): Promise<void> {
    const t = this.#t;
    const client = await mqtt.connectAsync(this.#url, { clientId: `test-arm-${this.robotId}`, reconnectPeriod: 200, queueQoSZero: false, ...this.#login });
    this.#client = client;
    client.on('message', (topic, payload) => {
      if (topic === t.stop) this.#plan = null;
      else if (topic === t.trajectory) {
        const body = JSON.parse(payload.toString()) as { points: TrajectoryPoint[] };
        this.received += body.points.length;
        const now = this.now();
        const pts = [...(this.#plan?.points ?? []).filter((p) => p.time < body.points[0]!.time), ...body.points];
        this.#plan = { points: completeVelocities(pts), from: { time: now, positions: [...this.#q], velocities: this.#q.map(() => 0) } };
      }
    });
    await client.subscribeAsync([t.trajectory, t.stop], { qos: 0 });
    await client.publishAsync(t.description, JSON.stringify(this.#description), { qos: 1, retain: true });
    this.#timer = setInterval(() => this.#tick(), 1000 / this.#hz);
    this.#tick();
  }

  #tick(): void {
    const now = this.now();
    if (this.#plan) {
      const { points, from } = this.#plan;
      this.#q = sampleCurve(points, now, from).positions;
      if (now > points[points.length - 1]!.time) this.#plan = null;
    }
    if (this.#paused || !this.#client?.connected) return;
    this.#client.publish(this.#t.state, JSON.stringify({ time: now, positions: this.#q, velocities: this.#q.map(() => 0), fingers: [] }), { qos: 0 });
  }

  /**
   * Moves the arm to a pose as a person's hand would: smoothly, no joint faster than `speed` rad/s (a
   * real arm cannot jump, and the agent's gate stops a robot whose states say it did).
   */
  hold(q: number[], speed = 1.5): void {
    const now = this.now();
    const far = Math.max(...q.map((x, j) => Math.abs(x - this.#q[j]!)));
    const zeros = q.map(() => 0);
    // a rest-to-rest cubic peaks at 1.5x its average speed
    const seconds = Math.max(0.05, (1.5 * far) / speed);
    this.#plan = { points: completeVelocities([{ time: now + seconds, positions: [...q], velocities: zeros }]), from: { time: now, positions: [...this.#q], velocities: zeros } };
    this.#tick();
  }

  /** Stops or restarts its joint states. */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const c = this.#client;
    this.#client = null;
    if (c) {
      await c.publishAsync(this.#t.description, '', { qos: 1, retain: true }).catch(() => undefined);
      await c.endAsync(true);
    }
  }
}
