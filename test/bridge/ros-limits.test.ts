import { Topic } from 'roslib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_RUNNING, RosAgent } from '../../bridge/ros/ros-agent.js';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { Emitter } from '../../robots/events.js';
import { checkRoutedText, COMMAND_SCHEMAS } from '../../src/agent/command-schemas.js';
import type { AgentCommand, AgentEvents } from '../../src/agent/commands.js';
import { left, NAMES } from '../helpers/ros-arm.js';
import { startRosbridge } from '../helpers/rosbridge-server.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  cleanup.length = 0;
});

describe('rosbridge messages the agent reads are bounded', () => {
  it('the link takes plain JSON messages only: fragments, png and binary are dropped; a frame over the limit closes the socket and the link comes back', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanup.push(() => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => void sockets.push(ws));
    const link = new RosLink(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`, [20, 100], undefined, 10_000);
    cleanup.push(() => link.close());
    const ups: boolean[] = [];
    link.onConnection((up) => void ups.push(up));
    await link.connect();
    const got: string[] = [];
    await expect.poll(() => ups).toEqual([true]);
    new Topic<{ data: string }>({ ros: link.ros, name: '/x', messageType: 'std_msgs/String' }).subscribe((m) => void got.push(m.data));
    const ws = sockets[0]!;
    const publish = (data: string) => JSON.stringify({ op: 'publish', topic: '/x', msg: { data } });
    // what roslib would have reassembled into a publish on /x
    const whole = publish('assembled');
    ws.send(JSON.stringify({ op: 'fragment', id: 'f', data: whole.slice(0, 20), num: 0, total: 2 }));
    ws.send(JSON.stringify({ op: 'fragment', id: 'f', data: whole.slice(20), num: 1, total: 2 }));
    ws.send(JSON.stringify({ op: 'png', id: 'p', data: 'iVBORw0KGgo=' }));
    ws.send(Buffer.from(publish('binary')), { binary: true });
    ws.send('not json');
    // routing fields roslib turns into event names: an object there once killed the agent (fuzzer)
    ws.send(JSON.stringify({ op: 'publish', topic: { toString: null }, msg: { data: 'x' } }));
    ws.send(JSON.stringify({ op: 'service_response', id: { valueOf: 1 }, values: {} }));
    ws.send(publish('plain'));
    await expect.poll(() => got).toEqual(['plain']);
    // a frame over 10,000 bytes: the socket is closed (ws's maxPayload), the link reconnects by itself
    ws.send(publish('Q'.repeat(20_000)));
    await expect.poll(() => ups).toEqual([true, false, true]);
    sockets[1]!.send(publish('after'));
    await expect.poll(() => got).toEqual(['plain', 'after']);
  });

  it('the command topic and service: long inputs never come back, non-text is refused, nesting is bounded, past MAX_RUNNING busy, stop always runs', async () => {
    const bridge = await startRosbridge();
    cleanup.push(() => bridge.close());
    const events = new Emitter<AgentEvents>();
    const errors: string[] = [];
    events.on('event', (e) => void (e.type === 'error' && errors.push(String(e.error))));
    const ends: Array<() => void> = [];
    const handle = (c: AgentCommand) => (c.command === 'list' ? new Promise((r) => ends.push(() => r([])) ) : Promise.resolve({ ran: c.command }));
    const agent = new RosAgent({ handle, check: checkRoutedText, events, url: bridge.url });
    await agent.start();
    cleanup.push(() => agent.stop());
    await expect.poll(() => bridge.advertisedServices.size).toBe(5);
    const LONG = 'Q'.repeat(200_000);
    const cases: Array<[string, string]> = [
      [JSON.stringify({ id: 'a', command: LONG }), `command: unknown command 'QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ...' (one of ${Object.keys(COMMAND_SCHEMAS).join(', ')})`],
      [JSON.stringify({ id: 'b', command: 'recall', title: LONG }), 'title: must NOT have more than 256 characters'],
      [JSON.stringify({ id: 'c', command: 'stop', robots: ['a', 'a'] }), 'robots: an item is named twice (items 0 and 1)'],
      [`{"id":"d","command":"status","x":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'message: nested deeper than 16 levels'],
    ];
    for (const [json, error] of cases) {
      const r = await bridge.callService('/engram/run', { json });
      expect(r.values.ok).toBe(false);
      expect(r.values.json).not.toContain('Q'.repeat(64));
      expect(JSON.parse(r.values.json).error).toBe(error);
    }
    expect(JSON.parse((await bridge.callService('/engram/run', { json: 42 })).values.json).error).toBe('message: must be JSON text');
    // on the topic: data that is not text is an error event, not a crash
    bridge.publish('/engram/command', { data: { nested: true } });
    bridge.publish('/engram/command', null);
    await expect.poll(() => errors).toEqual(['message on /engram/command refused: message: must be JSON text', 'message on /engram/command refused: message: must be JSON text']);
    // MAX_RUNNING commands that last: the next is busy, stop still runs
    const calls = Array.from({ length: MAX_RUNNING }, (_, i) => bridge.callService('/engram/run', { json: JSON.stringify({ id: `l${i}`, command: 'list' }) }, 20_000));
    await expect.poll(() => ends.length).toBe(MAX_RUNNING);
    const busy = await bridge.callService('/engram/run', { json: JSON.stringify({ id: 'more', command: 'list' }) });
    expect(JSON.parse(busy.values.json)).toEqual({ id: 'more', ok: false, error: `busy: ${MAX_RUNNING} commands are running already; try again` });
    const stop = await bridge.callService('/engram/run', { json: JSON.stringify({ id: 's', command: 'stop' }) });
    expect(JSON.parse(stop.values.json)).toEqual({ id: 's', ok: true, result: { ran: 'stop' } });
    for (const end of ends) end();
    expect((await Promise.all(calls)).every((c) => c.values.ok)).toBe(true);
  }, 30_000);

  it('joint states: a message naming thousands of joints is dropped unread; names quoted in an error are cut', async () => {
    const bridge = await startRosbridge();
    cleanup.push(() => bridge.close());
    const driver = new RosArmDriver({ url: bridge.url, description: left, jointNames: NAMES, staleMs: 100 });
    cleanup.push(() => driver.close());
    const errors: string[] = [];
    driver.events.on('error', (e) => void errors.push(e.message));
    await driver.connect();
    await expect.poll(() => bridge.subscribers('/joint_states')).toBe(1);
    const many = Array.from({ length: 10_000 }, (_, i) => `j${i}`);
    bridge.publish('/joint_states', { header: { stamp: { secs: 1, nsecs: 0 } }, name: many, position: many.map(() => 0), velocity: [] });
    await expect.poll(() => errors).toEqual(['/joint_states: a message naming more than 256 joints was dropped']);
    // states that never name the arm's joints: the error quotes what they do name, each name cut
    const long = 'Q'.repeat(100_000);
    bridge.publish('/joint_states', { header: { stamp: { secs: 1, nsecs: 0 } }, name: [long], position: [0], velocity: [] });
    await new Promise((r) => setTimeout(r, 150));
    bridge.publish('/joint_states', { header: { stamp: { secs: 1, nsecs: 0 } }, name: [long], position: [0], velocity: [] });
    await expect.poll(() => errors.length).toBe(2);
    expect(errors[1]).toBe(`/joint_states: no state for joints 'shoulder_joint', 'elbow_joint', 'wrist_joint' for 100 ms (the last message names ${'Q'.repeat(64)}...)`);
  });
});
