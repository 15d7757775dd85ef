import type { Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Fleet } from '../../bridge/fleet.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import type { RobotDescription } from '../../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { loadKeyboard } from '../../robots/load.js';
import type { MotionSource } from '../../robots/motion/motion-source.js';
import { plannedPath } from '../../robots/motion/planned-path.js';
import { completeVelocities, sampleCurve } from '../../robots/motion/spline.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { robotStream, type RobotStreamMessage } from '../../src/agent/robots-api.js';
import { serve } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';

const JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_1', 'wrist_2', 'wrist_3'];
const arm: RobotDescription = {
  name: 'six',
  source: 'test',
  joints: JOINTS.map((name) => ({ name, type: 'revolute', min: -3, max: 3, maxSpeed: 3, maxAccel: 15, maxEffort: 100 })),
  urdf: '<robot name="six"/>',
};

/** A robot whose joint states the test makes, and which records what it is told to follow. */
class TestDriver implements RobotDriver {
  readonly events = new Emitter<DriverEvents>();
  readonly followed: TrajectoryPoint[][] = [];
  #state: JointState = { time: 0, positions: JOINTS.map(() => 0), velocities: JOINTS.map(() => 0), fingers: [] };
  constructor(readonly description: RobotDescription) {}
  push(time: number, q: number): void {
    this.#state = { time, positions: JOINTS.map(() => q), velocities: JOINTS.map(() => 0), fingers: [] };
    this.events.emit('state', this.#state);
  }
  follow(points: TrajectoryPoint[]): void {
    this.followed.push(points);
  }
  /** Reports states along the last trajectory, every 8 ms of its clock, to 0.5 s past its end. */
  play(): void {
    const pts = completeVelocities(this.followed[this.followed.length - 1]!);
    for (let t = pts[0]!.time; t <= pts[pts.length - 1]!.time + 0.5; t += 0.008) {
      const q = sampleCurve(pts, t).positions;
      this.#state = { time: t, positions: q, velocities: q.map(() => 0), fingers: [] };
      this.events.emit('state', this.#state);
    }
  }
  press(): void {}
  release(): void {}
  state(): JointState {
    return this.#state;
  }
  stop(): void {}
}

/** A motion source that recalls one fixed skill (the memory is not what is tested here). */
const motion: MotionSource = {
  planPiece: () => Promise.reject(new Error('no pieces here')),
  recallSkill: async (skill) => ({
    skill,
    tempo: 1,
    joints: JOINTS.map((name) => ({ name, min: -3, max: 3 })),
    keyframes: [
      { time: 0, positions: JOINTS.map(() => 0.2), dwell: 0 },
      { time: 1, positions: JOINTS.map(() => 0.8), dwell: 0 },
      { time: 2, positions: JOINTS.map(() => 0.3), dwell: 0 },
    ],
    incomplete: 0,
    spikes: 0,
  }),
};

function fleetWith(ids: string[]) {
  const fleet = new Fleet(motion, { keyboard: loadKeyboard() });
  const drivers = new Map<string, TestDriver>();
  for (const id of ids) {
    const d = new TestDriver(arm);
    drivers.set(id, d);
    // the gate's watchdog on an interval that never fires: these robots move only when the test says
    fleet.add({ id, transport: 'mqtt', gate: new SafetyGate(d, { setInterval: () => 0, clearInterval: () => undefined }), jointNames: JOINTS });
  }
  return { fleet, drivers };
}

describe('the robots stream: joint states thinned per robot, status, paths, members', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends at most 30 states per robot per second from a 125 Hz robot, and always the latest', () => {
    vi.useFakeTimers();
    const { fleet, drivers } = fleetWith(['a', 'b']);
    const got: RobotStreamMessage[] = [];
    const sentAt = new Map<RobotStreamMessage, number>();
    const stop = robotStream(fleet, (m) => (got.push(m), sentAt.set(m, Date.now())), { hz: 30 });
    expect(got).toEqual([{ type: 'robots', ids: ['a', 'b'] }]);
    // robot a at 125 Hz for 1 s, robot b at 10 Hz
    for (let k = 1; k <= 125; k++) {
      vi.advanceTimersByTime(8);
      drivers.get('a')!.push(k * 0.008, k / 1000);
      if (k % 12 === 0) drivers.get('b')!.push(k * 0.008, -k / 1000);
    }
    vi.advanceTimersByTime(100);
    const states = (id: string) => got.filter((m): m is Extract<RobotStreamMessage, { type: 'robot-state' }> => m.type === 'robot-state' && m.id === id);
    const a = states('a');
    // 1 s of states at 30 Hz: the first at once, one per 33 ms after it, the last one up to 33 ms late
    expect(a.length).toBeGreaterThanOrEqual(30);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(a[a.length - 1]!.positions[0]).toBe(0.125); // the last state is never dropped
    // no two of a robot's states sent closer than the period
    for (let i = 1; i < a.length; i++) expect(sentAt.get(a[i]!)! - sentAt.get(a[i - 1]!)!).toBeGreaterThanOrEqual(33);
    // a slow robot is not thinned, and not held back by the fast one
    expect(states('b').map((m) => m.positions[0])).toEqual(Array.from({ length: 10 }, (_, i) => -((i + 1) * 12) / 1000));
    expect(states('b')[0]!.positions).toHaveLength(6);
    stop();
    drivers.get('a')!.push(2, 1);
    vi.advanceTimersByTime(100);
    expect(states('a')).toHaveLength(a.length); // stopped: nothing more
    fleet.close();
  });

  it('tells when a robot stops, resumes, joins and leaves', () => {
    vi.useFakeTimers();
    const { fleet, drivers } = fleetWith(['a']);
    const got: RobotStreamMessage[] = [];
    const stop = robotStream(fleet, (m) => got.push(m));
    fleet.stop('test stop', ['a']);
    const status = () => got.filter((m): m is Extract<RobotStreamMessage, { type: 'robot-status' }> => m.type === 'robot-status');
    expect(status().at(-1)).toMatchObject({ id: 'a', stopped: true, stopReason: 'test stop' });
    fleet.resume(['a']);
    expect(status().at(-1)).toMatchObject({ id: 'a', stopped: false });
    drivers.get('a')!.events.emit('connection', false);
    expect(status().at(-1)).toMatchObject({ id: 'a', connected: false });
    const d = new TestDriver(arm);
    fleet.add({ id: 'c', transport: 'ros', gate: new SafetyGate(d, { setInterval: () => 0, clearInterval: () => undefined }), jointNames: JOINTS });
    fleet.remove('a');
    expect(got.filter((m) => m.type === 'robots')).toEqual([
      { type: 'robots', ids: ['a'] },
      { type: 'robots', ids: ['a', 'c'] },
      { type: 'robots', ids: ['c'] },
    ]);
    stop();
    fleet.close();
  });

  it('a skill sends the path it will follow (the executed curve, bounded), then the robot goes idle', async () => {
    vi.useFakeTimers();
    const { fleet, drivers } = fleetWith(['a']);
    const got: RobotStreamMessage[] = [];
    const stop = robotStream(fleet, (m) => got.push(m));
    const events: string[] = [];
    const done = fleet.performSkill('wave', 'a', {}, (e) => events.push(e.type));
    await vi.advanceTimersByTimeAsync(10);
    const path = got.find((m): m is Extract<RobotStreamMessage, { type: 'robot-path' }> => m.type === 'robot-path');
    expect(path).toBeDefined();
    expect(path!.id).toBe('a');
    expect(path!.title).toBe('wave');
    expect(path!.times.length).toBe(path!.positions.length);
    expect(path!.times.length).toBeLessThanOrEqual(160);
    // it is the trajectory that went to the robot: same start, same end, through the middle keyframe
    const sent = drivers.get('a')!.followed[0]!;
    expect(path!.times[0]).toBeCloseTo(sent[0]!.time, 3);
    expect(path!.positions.at(-1)![0]).toBeCloseTo(0.3, 4);
    expect(Math.max(...path!.positions.map((q) => q[3]!))).toBeGreaterThanOrEqual(0.79);
    const statuses = () => got.filter((m) => m.type === 'robot-status').map((m) => (m as { activity: string }).activity);
    expect(statuses()).toEqual(['performing wave']);
    drivers.get('a')!.play();
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(statuses()).toEqual(['performing wave', 'idle']);
    expect(events).toContain('performed');
    stop();
    fleet.close();
  });

  it('plannedPath samples the executed curve within its bound', () => {
    const pts: TrajectoryPoint[] = Array.from({ length: 400 }, (_, k) => ({ time: k * 0.01, positions: [Math.sin(k / 20), k / 400] }));
    const p = plannedPath(pts, 100);
    expect(p.times).toHaveLength(100);
    expect(p.times[0]).toBe(0);
    expect(p.times.at(-1)).toBeCloseTo(3.99, 6);
    expect(p.positions.at(-1)![1]).toBeCloseTo(399 / 400, 4);
    expect(plannedPath([{ time: 1, positions: [0.5] }])).toEqual({ times: [1], positions: [[0.5]] });
    expect(plannedPath([])).toEqual({ times: [], positions: [] });
  });
});

describe('GET /api/robots and /api/robots/live', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('describes every robot with its URDF and streams its states', async () => {
    const { fleet, drivers } = fleetWith(['arm6']);
    const agent = new AgentCore({ memory: new MemoryOnThread(new SequenceMemory()), robots: fleet });
    server = await serve({ agent, port: 0 });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const body = (await (await fetch(`${base}/api/robots`)).json()) as { keyboard: { keys: number }; robots: Array<{ id: string; joints: string[]; description: RobotDescription }> };
    expect(body.keyboard.keys).toBe(88);
    expect(body.robots.map((r) => [r.id, r.joints.length, r.description.urdf])).toEqual([['arm6', 6, '<robot name="six"/>']]);
    expect((await fetch(`${base}/api/robots`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(405);

    const abort = new AbortController();
    const res = await fetch(`${base}/api/robots/live`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const messages: RobotStreamMessage[] = [];
    let text = '';
    const next = async (pred: (m: RobotStreamMessage) => boolean) => {
      for (;;) {
        const found = messages.find(pred);
        if (found) return found;
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        const parts = text.split('\n\n');
        text = parts.pop()!;
        for (const p of parts) if (p.startsWith('data: ')) messages.push(JSON.parse(p.slice(6)) as RobotStreamMessage);
      }
    };
    expect(await next((m) => m.type === 'robots')).toEqual({ type: 'robots', ids: ['arm6'] });
    drivers.get('arm6')!.push(1.5, 0.25);
    expect(await next((m) => m.type === 'robot-state')).toEqual({ type: 'robot-state', id: 'arm6', time: 1.5, positions: JOINTS.map(() => 0.25) });
    abort.abort();
    fleet.close();
  });
});
