import { vi } from 'vitest';
import type { RosLink } from '../../bridge/ros/ros-link.js';

/**
 * Fake time for tests against the rosbridge test server: timers and Date are faked (the arm behind the
 * bridge, the drivers, the gate and the fleet all run on them), the sockets stay real. After each step
 * of fake time, a round trip through the bridge on the test's link (/rosapi/get_time) lets every message
 * sent before it cross the socket and be handled: the bridge answers a call only after what came before
 * it, and its answer arrives after what it sent before.
 */
export function useRosFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

/** Advances fake time by `ms`, `dt` at a time, with a round trip through the bridge after each step. */
export async function step(link: RosLink, ms: number, dt = 8): Promise<void> {
  for (let t = 0; t < ms; t += dt) {
    await vi.advanceTimersByTimeAsync(Math.min(dt, ms - t));
    await link.call('/rosapi/get_time', {}, 60_000);
  }
}

/** Steps fake time until `done()` holds; fails naming `what` after `maxMs` of fake time. */
export async function until(link: RosLink, done: () => boolean, maxMs: number, what: string): Promise<void> {
  for (let t = 0; !done(); t += 8) {
    if (t >= maxMs) throw new Error(`${what}: not within ${maxMs} ms of robot time`);
    await step(link, 8);
  }
}

/** Steps fake time until a promise settles; its value, or its error as a value. */
export async function settle<T>(link: RosLink, p: Promise<T>, maxMs: number, what: string): Promise<T | Error> {
  const box: { done: boolean; v?: T | Error } = { done: false };
  p.then(
    (v) => Object.assign(box, { done: true, v }),
    (e: Error) => Object.assign(box, { done: true, v: e }),
  );
  await until(link, () => box.done, maxMs, what);
  return box.v as T | Error;
}
