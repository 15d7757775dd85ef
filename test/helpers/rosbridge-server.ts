import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A ROS 2 action goal as the test bridge's action handler sees it; report feedback and the result through it. */
export interface TestActionGoal {
  id: string;
  action: string;
  args: any;
  feedback(values: unknown): void;
  /** status: 4 succeeded, 5 canceled, 6 aborted (action_msgs/GoalStatus). */
  result(values: unknown, status?: number): void;
  canceled: boolean;
  onCancel: (() => void) | null;
}

/**
 * A rosbridge v2 server for tests, over a real WebSocket on 127.0.0.1: advertise, unadvertise, publish,
 * subscribe, unsubscribe; call_service answered by the test (`services`) or forwarded to the client that
 * advertised it (advertise_service / service_response, as a ROS node calling the agent's services);
 * ROS 2 actions (send_action_goal, cancel_action_goal, action_feedback, action_result) handled by
 * `actions`. ROS 1 actionlib needs nothing more: it is topics (goal, cancel, status, feedback, result).
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
  actions: Map<string, (goal: TestActionGoal) => void>;
  /** Services clients advertised, with their types. */
  advertisedServices: Map<string, string>;
  /** Calls a service a client advertised, as a ROS node would; resolves with {result, values}. */
  callService(service: string, args: unknown, timeoutMs?: number): Promise<{ result: boolean; values: any }>;
  subscribers(topic: string): number;
  /** Status messages sent to clients (errors the bridge reported). */
  statuses: unknown[];
  close(): Promise<void>;
}

export async function startRosbridge(port = 0): Promise<TestRosbridge> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const subs = new Map<string, Set<WebSocket>>();
  const providers = new Map<string, WebSocket>();
  const pending = new Map<string, (m: { result: boolean; values: unknown }) => void>();
  let calls = 0;
  const send = (ws: WebSocket, m: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));
  const server: TestRosbridge = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    port: (wss.address() as AddressInfo).port,
    published: new Map(),
    onPublish: null,
    services: new Map(),
    actions: new Map(),
    advertisedServices: new Map(),
    statuses: [],
    publish(topic, msg) {
      for (const ws of subs.get(topic) ?? []) send(ws, { op: 'publish', topic, msg });
    },
    callService(service, args, timeoutMs = 5000) {
      const ws = providers.get(service);
      if (!ws) return Promise.reject(new Error(`service ${service} is not advertised`));
      const id = `test_call:${service}:${++calls}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => (pending.delete(id), reject(new Error(`service ${service}: no response within ${timeoutMs} ms`))), timeoutMs);
        pending.set(id, (m) => (clearTimeout(timer), resolve(m as { result: boolean; values: any })));
        send(ws, { op: 'call_service', id, service, args });
      });
    },
    subscribers: (topic) => subs.get(topic)?.size ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
  const status = (ws: WebSocket, msg: string) => {
    server.statuses.push(msg);
    send(ws, { op: 'status', level: 'error', msg });
  };
  wss.on('connection', (ws) => {
    const goals = new Map<string, TestActionGoal>();
    ws.on('message', (data) => {
      let m: { op?: string; topic?: string; msg?: unknown; service?: string; type?: string; args?: unknown; id?: string; values?: unknown; result?: boolean; action?: string };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return status(ws, 'not valid JSON');
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
        case 'advertise_service':
          providers.set(m.service!, ws);
          server.advertisedServices.set(m.service!, m.type!);
          break;
        case 'unadvertise_service':
          if (providers.get(m.service!) === ws) providers.delete(m.service!);
          break;
        case 'service_response': {
          const p = pending.get(m.id!);
          pending.delete(m.id!);
          p?.({ result: m.result ?? false, values: m.values });
          break;
        }
        case 'call_service': {
          const handler = server.services.get(m.service!);
          const provider = providers.get(m.service!);
          if (!handler && provider) {
            // a client calling another client's service: forward, and route the answer back
            void server.callService(m.service!, m.args).then(
              (r) => send(ws, { op: 'service_response', service: m.service, id: m.id, values: r.values, result: r.result }),
              (e: Error) => send(ws, { op: 'service_response', service: m.service, id: m.id, values: e.message, result: false }),
            );
            break;
          }
          const reply = handler
            ? { op: 'service_response', service: m.service, id: m.id, values: handler(m.args), result: true }
            : { op: 'service_response', service: m.service, id: m.id, values: `service ${m.service} does not exist`, result: false };
          send(ws, reply);
          break;
        }
        case 'send_action_goal': {
          const handler = server.actions.get(m.action!);
          if (!handler) {
            send(ws, { op: 'action_result', id: m.id, action: m.action, values: `action ${m.action} does not exist`, status: 6, result: false });
            break;
          }
          const goal: TestActionGoal = {
            id: m.id!,
            action: m.action!,
            args: m.args,
            canceled: false,
            onCancel: null,
            feedback: (values) => send(ws, { op: 'action_feedback', id: m.id, action: m.action, values }),
            result: (values, st = 4) => {
              goals.delete(m.id!);
              send(ws, { op: 'action_result', id: m.id, action: m.action, values, status: st, result: st === 4 });
            },
          };
          goals.set(m.id!, goal);
          handler(goal);
          break;
        }
        case 'cancel_action_goal': {
          const goal = goals.get(m.id!);
          if (goal) {
            goal.canceled = true;
            goal.onCancel?.();
          }
          break;
        }
        default:
          status(ws, `unknown op ${m.op}`);
      }
    });
    ws.on('close', () => {
      for (const set of subs.values()) set.delete(ws);
      for (const [name, p] of providers) if (p === ws) providers.delete(name);
    });
  });
  return server;
}
