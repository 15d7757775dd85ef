import { afterEach, describe, expect, it } from 'vitest';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { startRosbridge, type TestRosbridge } from '../helpers/rosbridge-server.js';

/**
 * rosbridge's authentication (ROS 1 with rosauth): the link authenticates first on every connection;
 * without the secret, or with a wrong one, the bridge closes the connection and nothing gets through.
 */
describe('rosbridge authentication (ROS 1 rosauth)', () => {
  const SECRET = 'abcdefghijklmnop';
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });
  const start = async () => {
    const bridge = await startRosbridge(0, { rosVersion: 1, authSecret: SECRET });
    cleanup.push(() => bridge.close());
    return bridge;
  };
  const link = (bridge: TestRosbridge, secret?: string) => {
    const l = new RosLink(bridge.url, [50, 200], secret === undefined ? undefined : { secret });
    cleanup.push(() => l.close());
    return l;
  };

  it('with the secret: authenticated first, then served', async () => {
    const bridge = await start();
    const l = link(bridge, SECRET);
    await l.connect();
    await expect(l.call('/rosapi/get_time', {})).resolves.toMatchObject({ time: { secs: expect.any(Number) } });
    expect(bridge.authAttempts).toEqual([true]);
  });

  it('without it or with a wrong one: the bridge closes the connection, no call is answered', async () => {
    const bridge = await start();
    for (const secret of [undefined, 'wrong-secret-123']) {
      const l = link(bridge, secret);
      await l.connect();
      const dropped = new Promise<void>((resolve) => l.onConnection((up) => !up && resolve()));
      await expect(l.call('/rosapi/get_time', {}, 1000)).rejects.toThrow(/no answer|link .* is down/);
      await dropped;
      l.close();
    }
    // (each link kept trying to reconnect until closed: refused every time)
    expect(bridge.authAttempts.length).toBeGreaterThanOrEqual(2);
    expect(bridge.authAttempts.every((ok) => !ok)).toBe(true);
  });
});
