import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A ROS 2 action goal as the test bridge's action handler sees it; report feedback and the outcome through it. */
export interface TestActionGoal {
  id: string;
  action: string;
  args: any;
  feedback(values: unknown): void;
  /** The goal finished: status 4 succeeded, 5 canceled, 6 aborted (action_msgs/GoalStatus); values is the action's result. */
  result(values: unknown, status?: number): void;
  /** The server refused the goal: rosbridge answers with no result (a ROS 2 rejection carries no error code). */
  reject(): void;
  canceled: boolean;
  onCancel: (() => void) | null;
}

export interface TestRosbridgeOptions {
  /**
   * Which ROS the bridge pretends to run on: type names are checked (ROS 1 'pkg/Type'; ROS 2 also
   * 'pkg/msg/Type'), and /rosapi/get_param and /rosapi/get_time answer in that ROS's form. Unset: any.
   */
  rosVersion?: 1 | 2;
  /**
   * rosauth's secret: like rosbridge_suite (ROS 1) run with authenticate:=true, each connection's first
   * message must be an auth op whose mac rosauth accepts, or the bridge closes the connection.
   */
  authSecret?: string;
}

/**
 * A rosbridge v2 server for tests, over a real WebSocket on 127.0.0.1, as strict as rosbridge_suite where
 * a client could get it wrong: advertise, unadvertise, publish, subscribe, unsubscribe (a topic has one
 * type: a client naming another gets a status error, as rosbridge's type conflict does); call_service
 * answered by the test (`services`), by the bridge's own rosapi (/rosapi/get_param from `params`,
 * /rosapi/get_time), or forwarded to the client that advertised it (advertise_service /
 * service_response, as a ROS node calling the agent's services), and a call to a service nobody offers
 * fails; ROS 2 actions (send_action_goal, cancel_action_goal, action_feedback, action_result) handled by
 * `actions`, answered the way rosbridge does (a rejected goal: result false, status 0, no values). ROS 1
 * actionlib needs nothing more: it is topics (goal, cancel, status, feedback, result). Unknown ops and
 * messages missing a required field get a status error naming them, like rosbridge's; text that is not
 * JSON is dropped, as rosbridge does. Latched topics (`latch`) reach subscribers that come later, unless
 * `lateSubscribersMissLatched` (rosbridge_suite issue #941).
 */
export interface TestRosbridge {
  url: string;
  port: number;
  /** Publishes a message on a topic to every subscriber (as the ROS side would). */
  publish(topic: string, msg: unknown): void;
  /** Declares a topic the ROS side publishes, with its type (clients naming another type get an error). */
  advertise(topic: string, type: string): void;
  /** Publishes a latched message: every later subscriber gets it too (std_msgs/String /robot_description on ROS 2). */
  latch(topic: string, type: string, msg: unknown): void;
  /** Emulates rosbridge_suite issue #941: a subscriber that comes after the latched message misses it. */
  lateSubscribersMissLatched: boolean;
  /** Messages clients published, by topic. */
  published: Map<string, unknown[]>;
  /** With authSecret: each connection's authentication, accepted or not, in order. */
  authAttempts: boolean[];
  onPublish: ((topic: string, msg: unknown) => void) | null;
  services: Map<string, (args: unknown) => unknown>;
  actions: Map<string, (goal: TestActionGoal) => void>;
  /**
   * Parameters rosapi serves: ROS 1 names ('/robot_description'), ROS 2 'node:param' names
   * ('/robot_state_publisher:robot_description').
   */
  params: Map<string, unknown>;
  /** Services clients advertised, with their types. */
  advertisedServices: Map<string, string>;
  /** Calls a service a client advertised, as a ROS node would; resolves with {result, values}. */
  callService(service: string, args: unknown, timeoutMs?: number): Promise<{ result: boolean; values: any }>;
  subscribers(topic: string): number;
  /** Status messages sent to clients (errors the bridge reported). */
  statuses: string[];
  close(): Promise<void>;
}

const OPS = ['advertise', 'unadvertise', 'publish', 'subscribe', 'unsubscribe', 'call_service', 'advertise_service', 'unadvertise_service', 'service_response', 'send_action_goal', 'cancel_action_goal'];
/** Fields each op must carry (rosbridge's basic_type_check). */
const REQUIRED: Record<string, string[]> = {
  advertise: ['topic', 'type'],
  unadvertise: ['topic'],
  publish: ['topic', 'msg'],
  subscribe: ['topic'],
  unsubscribe: ['topic'],
  call_service: ['service'],
  advertise_service: ['service', 'type'],
  unadvertise_service: ['service'],
  service_response: ['service', 'id'],
  send_action_goal: ['action', 'action_type'],
  cancel_action_goal: ['action', 'id'],
};

/**
 * Fields of the message types whose content the bridge checks, as rosbridge's message_conversion
 * populates a message: a field the type has not is NonexistentFieldException, a value of the wrong
 * kind FieldTypeMismatchException; a field left out takes its default (so it is no error). 'any':
 * not checked here. Types by their ROS 1 name ('pkg/Type'); ROS 2 action goals by 'pkg/action/Type'.
 */
type FieldKind = 'float64' | 'bool' | 'string' | 'any' | { [field: string]: FieldKind };
const GRIPPER_COMMAND: FieldKind = { position: 'float64', max_effort: 'float64' };
const MESSAGE_FIELDS: Record<string, FieldKind> = {
  'control_msgs/GripperCommandActionGoal': { header: 'any', goal_id: 'any', goal: { command: GRIPPER_COMMAND } },
  'control_msgs/action/GripperCommand': { command: GRIPPER_COMMAND },
};

/** Throws as rosbridge's populate_instance does when a message does not fit its type. */
function populate(type: string, kind: FieldKind, value: unknown, field = ''): void {
  if (kind === 'any') return;
  const ros = { float64: 'float64', bool: 'bool', string: 'string' } as const;
  const jsType = value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value === 'object' ? 'dict' : typeof value === 'string' ? 'str' : typeof value;
  if (typeof kind === 'string') {
    const fits = kind === 'float64' ? typeof value === 'number' : kind === 'bool' ? typeof value === 'boolean' : typeof value === 'string';
    if (!fits) throw new Error(`FieldTypeMismatchException: ${type} message requires a ${ros[kind]} for field ${field}, but got a ${jsType}`);
    return;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`FieldTypeMismatchException: ${type} message requires a dict for field ${field || '(the message)'}, but got a ${jsType}`);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = kind[k];
    if (sub === undefined) throw new Error(`NonexistentFieldException: Message type ${type} does not have a field ${field ? `${field}.` : ''}${k}`);
    populate(type, sub, v, field ? `${field}.${k}` : k);
  }
}

/** rosauth's ros_mac_authentication: t within 5 s of now, end ahead, and the SHA-512 mac of the fields. */
function rosauthAccepts(secret: string, m: Record<string, unknown>): boolean {
  const now = Date.now() / 1000;
  const { mac, client, dest, rand, t, level, end } = m;
  if (typeof t !== 'number' || typeof end !== 'number' || Math.abs(t - now) >= 5 || end <= now) return false;
  const want = createHash('sha512').update(`${secret}${String(client)}${String(dest)}${String(rand)}${Math.floor(t)}${String(level)}${Math.floor(end)}`).digest('hex');
  return mac === want;
}

export async function startRosbridge(port = 0, options: TestRosbridgeOptions = {}): Promise<TestRosbridge> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const v = options.rosVersion;
  const subs = new Map<string, Set<WebSocket>>();
  const types = new Map<string, string>();
  const latched = new Map<string, unknown>();
  const providers = new Map<string, WebSocket>();
  const pending = new Map<string, (m: { result: boolean; values: unknown }) => void>();
  let calls = 0;
  const send = (ws: WebSocket, m: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));
  /** ROS names are global here: 'rosapi/get_param' is '/rosapi/get_param' (rosbridge runs in the root namespace). */
  const global = (name: string) => (name.startsWith('/') ? name : `/${name}`);
  /** A type name as this ROS accepts it, or an error. ROS 2 takes 'pkg/Type' for 'pkg/msg/Type'. */
  const typeName = (type: string): string => {
    const parts = type.split('/');
    if (parts.length === 3 && v === 1) throw new Error(`${type} is not a valid type string`);
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) throw new Error(`${type} is not a valid type string`);
    return parts.length === 3 ? `${parts[0]}/${parts[2]}` : type;
  };
  const claimType = (topic: string, type: string) => {
    const t = typeName(type);
    const known = types.get(topic);
    if (known !== undefined && known !== t) throw new Error(`Tried to register topic ${topic} with type ${type} but it is already established with type ${known}`);
    types.set(topic, t);
  };
  const stamp = () => {
    const t = Date.now() / 1000;
    const sec = Math.floor(t);
    const ns = Math.round((t - sec) * 1e9);
    return v === 2 ? { sec, nanosec: ns } : { secs: sec, nsecs: ns };
  };
  /** rosapi's get_param: ROS 1 {name, default} -> the value as JSON ('null' when unset); ROS 2 'node:param' -> JSON (the default, '""', when unset). */
  const getParam = (args: any) => {
    const name = String(args?.name ?? '');
    if (v === 2) {
      const i = name.indexOf(':');
      if (i < 0) return { value: '' }; // rosapi logs "Malformed parameter name" and answers an empty value
      const key = `${global(name.slice(0, i))}:${name.slice(i + 1)}`;
      return { value: JSON.stringify(server.params.has(key) ? server.params.get(key) : (args?.default_value ?? '')) };
    }
    const key = global(name);
    const fallback = args?.default ? JSON.parse(args.default) : null;
    return { value: JSON.stringify(server.params.has(key) ? server.params.get(key) : fallback) };
  };
  const rosapi = new Map<string, (args: unknown) => unknown>([
    ['/rosapi/get_param', getParam],
    ['/rosapi/get_time', () => ({ time: stamp() })],
  ]);
  const server: TestRosbridge = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    port: (wss.address() as AddressInfo).port,
    published: new Map(),
    authAttempts: [],
    onPublish: null,
    services: new Map(),
    actions: new Map(),
    params: new Map(),
    advertisedServices: new Map(),
    statuses: [],
    lateSubscribersMissLatched: false,
    publish(topic, msg) {
      for (const ws of subs.get(topic) ?? []) send(ws, { op: 'publish', topic, msg });
    },
    advertise(topic, type) {
      claimType(topic, type);
    },
    latch(topic, type, msg) {
      claimType(topic, type);
      latched.set(topic, msg);
      server.publish(topic, msg);
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
  const status = (ws: WebSocket, msg: string, id?: string) => {
    server.statuses.push(msg);
    send(ws, { op: 'status', level: 'error', msg, ...(id !== undefined ? { id } : {}) });
  };
  wss.on('connection', (ws) => {
    const goals = new Map<string, TestActionGoal>();
    let authenticated = options.authSecret === undefined;
    ws.on('message', (data) => {
      let m: { op?: string; topic?: string; msg?: unknown; service?: string; type?: string; args?: unknown; id?: string; values?: unknown; result?: boolean; action?: string; action_type?: string };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return; // rosbridge keeps text that is not JSON in its buffer, waiting for the rest: no answer
      }
      if (!m || typeof m !== 'object') return;
      if (!authenticated) {
        // rosbridge's websocket handler: an auth op checked by rosauth, else "did not authenticate", closed
        authenticated = m.op === 'auth' && rosauthAccepts(options.authSecret!, m as Record<string, unknown>);
        server.authAttempts.push(authenticated);
        if (!authenticated) ws.close();
        return;
      }
      if (typeof m.op !== 'string') return status(ws, `Received a message without an op.  All messages require 'op' field with value one of: ${JSON.stringify(OPS)}.`, m.id);
      if (!OPS.includes(m.op)) return status(ws, `Unknown operation: ${m.op}.  Allowed operations: ${JSON.stringify(OPS)}`, m.id);
      const missing = REQUIRED[m.op]!.find((f) => !(f in m));
      if (missing) return status(ws, `${m.op}: Expected a ${missing} field but none was found.`, m.id);
      try {
        handle(ws, goals, m);
      } catch (err) {
        status(ws, `${m.op}: ${(err as Error).message}`, m.id);
      }
    });
    ws.on('close', () => {
      for (const set of subs.values()) set.delete(ws);
      for (const [name, p] of providers) if (p === ws) providers.delete(name);
    });
  });

  function handle(ws: WebSocket, goals: Map<string, TestActionGoal>, m: any): void {
    switch (m.op) {
      case 'subscribe': {
        if (m.type !== undefined) claimType(m.topic, m.type);
        const set = subs.get(m.topic) ?? subs.set(m.topic, new Set()).get(m.topic)!;
        const fresh = !set.has(ws);
        set.add(ws);
        if (fresh && latched.has(m.topic) && !server.lateSubscribersMissLatched) send(ws, { op: 'publish', topic: m.topic, msg: latched.get(m.topic) });
        break;
      }
      case 'unsubscribe':
        subs.get(m.topic)?.delete(ws);
        break;
      case 'advertise':
        claimType(m.topic, m.type);
        break;
      case 'unadvertise':
        break;
      case 'publish': {
        if (!types.has(m.topic)) throw new Error(`Cannot infer topic type for topic ${m.topic} as it is not yet advertised`);
        // a message that does not fit its type is not published (rosbridge says why in a status)
        const fields = MESSAGE_FIELDS[types.get(m.topic)!];
        if (fields) populate(types.get(m.topic)!, fields, m.msg);
        const list = server.published.get(m.topic) ?? server.published.set(m.topic, []).get(m.topic)!;
        list.push(m.msg);
        server.onPublish?.(m.topic, m.msg);
        server.publish(m.topic, m.msg);
        break;
      }
      case 'advertise_service':
        providers.set(m.service, ws);
        server.advertisedServices.set(m.service, m.type);
        break;
      case 'unadvertise_service':
        if (providers.get(m.service) === ws) providers.delete(m.service);
        break;
      case 'service_response': {
        const p = pending.get(m.id);
        pending.delete(m.id);
        p?.({ result: m.result ?? false, values: m.values });
        break;
      }
      case 'call_service': {
        const name = global(m.service);
        const handler = server.services.get(name) ?? rosapi.get(name);
        const provider = providers.get(name);
        if (!handler && provider) {
          // a client calling another client's service: forward, and route the answer back
          void server.callService(name, m.args).then(
            (r) => send(ws, { op: 'service_response', service: m.service, id: m.id, values: r.values, result: r.result }),
            (e: Error) => send(ws, { op: 'service_response', service: m.service, id: m.id, values: e.message, result: false }),
          );
          break;
        }
        if (!handler) {
          status(ws, `call_service InvalidServiceException: Service ${name} does not exist`, m.id);
          send(ws, { op: 'service_response', service: m.service, id: m.id, values: `Service ${name} does not exist`, result: false });
          break;
        }
        let values: unknown;
        try {
          values = handler(m.args);
        } catch (err) {
          send(ws, { op: 'service_response', service: m.service, id: m.id, values: (err as Error).message, result: false });
          break;
        }
        send(ws, { op: 'service_response', service: m.service, id: m.id, values, result: true });
        break;
      }
      case 'send_action_goal': {
        typeName(m.action_type);
        // goal arguments that do not fit the action's goal: a status error and a failed result, as
        // rosbridge's send_action_goal answers (_failure); no goal reaches the server
        const goalFields = MESSAGE_FIELDS[m.action_type];
        if (goalFields) {
          try {
            populate(m.action_type, goalFields, m.args ?? {});
          } catch (err) {
            status(ws, `send_action_goal: ${(err as Error).message}`, m.id);
            send(ws, { op: 'action_result', id: m.id, action: m.action, values: (err as Error).message.replace(/^\w+: /, ''), result: false });
            break;
          }
        }
        const handler = server.actions.get(m.action);
        if (!handler) {
          send(ws, { op: 'action_result', id: m.id, action: m.action, values: `Action server ${m.action} not available`, status: 0, result: false });
          break;
        }
        let open = true;
        const goal: TestActionGoal = {
          id: m.id,
          action: m.action,
          args: m.args,
          canceled: false,
          onCancel: null,
          feedback: (values) => open && send(ws, { op: 'action_feedback', id: m.id, action: m.action, values }),
          result: (values, st = 4) => {
            if (!open) return;
            open = false;
            goals.delete(m.id);
            send(ws, { op: 'action_result', id: m.id, action: m.action, values, status: st, result: true });
          },
          reject: () => {
            if (!open) return;
            open = false;
            goals.delete(m.id);
            send(ws, { op: 'action_result', id: m.id, action: m.action, values: 'Action goal was rejected', status: 0, result: false });
          },
        };
        goals.set(m.id, goal);
        handler(goal);
        break;
      }
      case 'cancel_action_goal': {
        const goal = goals.get(m.id);
        if (goal) {
          goal.canceled = true;
          goal.onCancel?.();
        }
        break;
      }
    }
  }
  return server;
}
