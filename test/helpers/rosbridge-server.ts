import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A minimal rosbridge v2 server for tests, over a real WebSocket on 127.0.0.1: advertise, unadvertise,
 * publish, subscribe, unsubscribe, call_service / service_response. Topics fan out to subscribers;
 * `onPublish` and `services` let a test put a simulated robot behind it.
 */
export interface TestRosbridge {
  url: string;
  port: number;
  /** Publishes a message on a topic to every subscriber (as the ROS side would). */
  publish(topic: string, msg: unknown): void;
  /** Messages clients published, by topic. */
  published: Map<string, unknown[]>;
  onPublish: ((topic: string, msg: unknown) => void) | null;
  services: Map<string, (args: unknown) => unknown>;
  subscribers(topic: string): number;
  close(): Promise<void>;
}

export async function startRosbridge(port = 0): Promise<TestRosbridge> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const subs = new Map<string, Set<WebSocket>>();
  const server: TestRosbridge = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    port: (wss.address() as AddressInfo).port,
    published: new Map(),
    onPublish: null,
    services: new Map(),
    publish(topic, msg) {
      for (const ws of subs.get(topic) ?? []) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ op: 'publish', topic, msg }));
    },
    subscribers: (topic) => subs.get(topic)?.size ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      let m: { op?: string; topic?: string; msg?: unknown; service?: string; args?: unknown; id?: string };
      try {
        m = JSON.parse(data.toString());
      } catch {
        ws.send(JSON.stringify({ op: 'status', level: 'error', msg: 'not valid JSON' }));
        return;
      }
      switch (m.op) {
        case 'subscribe':
          (subs.get(m.topic!) ?? subs.set(m.topic!, new Set()).get(m.topic!)!).add(ws);
          break;
        case 'unsubscribe':
          subs.get(m.topic!)?.delete(ws);
          break;
        case 'advertise':
        case 'unadvertise':
          break;
        case 'publish': {
          const list = server.published.get(m.topic!) ?? server.published.set(m.topic!, []).get(m.topic!)!;
          list.push(m.msg);
          server.onPublish?.(m.topic!, m.msg);
          server.publish(m.topic!, m.msg);
          break;
        }
        case 'call_service': {
          const handler = server.services.get(m.service!);
          const reply = handler
            ? { op: 'service_response', service: m.service, id: m.id, values: handler(m.args), result: true }
            : { op: 'service_response', service: m.service, id: m.id, values: `service ${m.service} does not exist`, result: false };
          ws.send(JSON.stringify(reply));
          break;
        }
        default:
          ws.send(JSON.stringify({ op: 'status', level: 'error', msg: `unknown op ${m.op}` }));
      }
    });
    ws.on('close', () => {
      for (const set of subs.values()) set.delete(ws);
    });
  });
  return server;
}
