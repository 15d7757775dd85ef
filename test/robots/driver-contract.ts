import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GoalResult, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { SafetyError } from '../../bridge/safety-gate.js';

/**
 * The contract every RobotDriver keeps, simulated or real, one suite for all: it describes its joints
 * and reports their state on its own clock; it follows a reachable trajectory to its last point by its
 * last time, reporting states as it goes; it refuses a trajectory for the wrong joints without moving;
 * stop() drops what is queued, holds still and says so; after a stop the next commands do what the
 * driver documents. Time is fake (vi.useFakeTimers: setTimeout, setInterval, Date) or the simulation's
 * own; nothing depends on the wall clock.
 */
export interface DriverUnderTest {
  driver: RobotDriver;
  /** Lets `seconds` of the robot's time pass: fake timers or simulation steps, and the messages they cause. */
  advance(seconds: number): Promise<void>;
  /** After stop(): the driver takes the next trajectory at once, or refuses commands (SafetyError 'stopped') until resume(). */
  afterStop: { accepts: true } | { accepts: false; resume(): void };
  /** A pose the arm reaches from `q` without touching anything (default: each joint 0.2 rad towards the middle of its range). */
  reachable?(q: readonly number[]): number[];
  /** How close the arm must get to a target, rad or m (default 0.02), and how long after the last point it may take, s (default 0.1). */
  tolerance?: number;
  settle?: number;
  close(): Promise<void>;
}

/** The timers the contract fakes: real sockets still work (setImmediate and I/O stay real). */
export const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

/** The real clock and timer, taken before any test fakes them: waiting for sockets needs real time. */
const realNow = () => performance.now();
const realSetTimeout = globalThis.setTimeout;

/** One turn of the real event loop, so socket I/O can happen between fake-timer steps. */
export const ioTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Advances fake time by `seconds` in `stepMs` steps; after each step waits (in real time, at most
 * `maxWaitMs`) until `delivered()` says the messages that step caused have arrived. Over real sockets
 * delivery takes real time that fake time knows nothing of: without the wait the robot's clock would
 * run ahead of its own messages.
 */
export async function advanceDelivered(seconds: number, delivered: () => boolean, stepMs = 5, maxWaitMs = 2000): Promise<void> {
  for (let t = 0; t < seconds * 1000 - 1e-6; t += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, seconds * 1000 - t));
    const deadline = realNow() + maxWaitMs;
    await ioTurn();
    while (!delivered()) {
      if (realNow() > deadline) throw new Error(`messages were not delivered within ${maxWaitMs} ms (real time)`);
      await new Promise<void>((resolve) => realSetTimeout(resolve, 1));
    }
  }
}

/**
 * Awaits a promise that needs fake time and real I/O to settle (connecting over a socket, say): fake
 * time moves `stepMs` per real millisecond or so, so a timeout in fake time still gives the sockets
 * real time to answer.
 */
export async function pump<T>(promise: Promise<T>, stepMs = 5): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined);
  for (let i = 0; !settled; i++) {
    if (i > 20_000) throw new Error('pump: the promise did not settle');
    await vi.advanceTimersByTimeAsync(stepMs);
    await new Promise<void>((resolve) => realSetTimeout(resolve, 1));
  }
  return watched;
}

const distance = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, j) => Math.abs(x - b[j]!)));

export function describeDriverContract(name: string, setup: () => Promise<DriverUnderTest>): void {
  describe(`${name}: the RobotDriver contract`, () => {
    let h: DriverUnderTest | undefined;
    beforeEach(async () => {
      vi.useFakeTimers({ toFake: [...FAKED] });
      h = await setup();
    });
    afterEach(async () => {
      await h?.close();
      h = undefined;
      vi.useRealTimers();
    });

    const under = () => h!;
    const tol = () => under().tolerance ?? 0.02;
    const towards = (q: readonly number[]) =>
      under().reachable?.(q) ??
      q.map((x, j) => {
        const lim = under().driver.description.joints[j]!;
        return x + 0.2 * Math.sign((lim.min + lim.max) / 2 - x || 1);
      });
    /** From where the arm is, through a midway point, to `target`, starting 0.1 s from now. */
    const trajectory = (target: readonly number[], duration: number): TrajectoryPoint[] => {
      const s = under().driver.state();
      const t0 = s.time + 0.1;
      return [
        { time: t0, positions: [...s.positions] },
        { time: t0 + duration / 2, positions: s.positions.map((x, j) => (x + target[j]!) / 2) },
        { time: t0 + duration, positions: [...target] },
      ];
    };
    /** Lets the robot's clock reach `time` plus the settle allowance. */
    const until = async (time: number) => under().advance(Math.max(0, time + (under().settle ?? 0.1) - under().driver.state().time));

    it('describes its joints and reports their state on its own clock', async () => {
      const { driver, advance } = under();
      const joints = driver.description.joints;
      expect(joints.length).toBeGreaterThan(0);
      expect(new Set(joints.map((j) => j.name)).size).toBe(joints.length);
      for (const j of joints) {
        expect(j.min).toBeLessThan(j.max);
        expect(j.maxSpeed).toBeGreaterThan(0);
        expect(j.maxAccel).toBeGreaterThan(0);
      }
      const s = driver.state();
      expect(s.positions).toHaveLength(joints.length);
      expect(s.positions.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(s.time)).toBe(true);
      let states = 0;
      const off = driver.events.on('state', (st) => {
        states++;
        expect(st.positions).toHaveLength(joints.length);
      });
      await advance(0.5);
      off();
      expect(states).toBeGreaterThan(0);
      expect(driver.state().time - s.time).toBeGreaterThan(0.4);
      expect(driver.state().time - s.time).toBeLessThan(0.6);
    });

    it('follows a reachable trajectory to its last point by its last time, reporting states as it goes', async () => {
      const { driver } = under();
      const start = driver.state().positions;
      const target = towards(start);
      const points = trajectory(target, 1.5);
      const seen: number[][] = [];
      const off = driver.events.on('state', (s) => void seen.push([...s.positions]));
      driver.follow(points);
      await until(points[points.length - 1]!.time);
      off();
      expect(distance(driver.state().positions, target)).toBeLessThan(tol());
      // it moved through the states it reported, not in one jump: some were well between start and target
      const between = seen.filter((q) => distance(q, start) > 0.05 && distance(q, target) > 0.05);
      expect(between.length).toBeGreaterThan(3);
    });

    it('refuses a trajectory for the wrong joints and does not move', async () => {
      const { driver, advance } = under();
      const start = driver.state().positions;
      const good = trajectory(towards(start), 1);
      const results: GoalResult[] = [];
      const off = driver.events.on('result', (r) => void results.push(r));
      for (const wrong of [(q: number[]) => [...q, 0], (q: number[]) => q.slice(1)]) {
        let threw: unknown = null;
        try {
          driver.follow(good.map((p) => ({ ...p, positions: wrong(p.positions) })));
        } catch (err) {
          threw = err;
        }
        await advance(0.2);
        // refused where the caller hears it: thrown (naming the joints), or a failed goal result
        if (threw) expect((threw as Error).message).toMatch(/joint/);
        else expect(results.some((r) => !r.ok)).toBe(true);
      }
      await advance(1);
      off();
      expect(distance(driver.state().positions, start)).toBeLessThan(tol());
    });

    it('stop() drops what is queued, holds the arm still and says so', async () => {
      const { driver, advance } = under();
      const target = towards(driver.state().positions);
      const points = trajectory(target, 3);
      driver.follow(points);
      await advance(1);
      const stops: string[] = [];
      const off = driver.events.on('stopped', (s) => void stops.push(s.reason));
      driver.stop();
      await advance(0.3);
      expect(stops).toHaveLength(1);
      const held = driver.state().positions;
      await until(points[points.length - 1]!.time);
      off();
      expect(distance(driver.state().positions, held)).toBeLessThan(tol() / 2);
      expect(distance(driver.state().positions, target)).toBeGreaterThan(0.05);
    });

    it('after stop() the next commands do what the driver documents', async () => {
      const { driver, advance, afterStop } = under();
      driver.stop();
      await advance(0.2);
      const start = driver.state().positions;
      const target = towards(start);
      if (!afterStop.accepts) {
        let refused: unknown = null;
        try {
          driver.follow(trajectory(target, 1));
        } catch (err) {
          refused = err;
        }
        expect(refused).toBeInstanceOf(SafetyError);
        expect((refused as SafetyError).reason).toBe('stopped');
        await advance(1.3);
        expect(distance(driver.state().positions, start)).toBeLessThan(tol());
        afterStop.resume();
      }
      const points = trajectory(target, 1);
      driver.follow(points);
      await until(points[points.length - 1]!.time);
      expect(distance(driver.state().positions, target)).toBeLessThan(tol());
    });
  });
}
