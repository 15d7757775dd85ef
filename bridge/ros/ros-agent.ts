import { Ros, Service, Topic } from 'roslib';
import type { AgentCore } from '../../src/agent/agent-core.js';
import type { AgentCommand, AgentEvent } from '../../src/agent/commands.js';
import { checkCommand } from '../mqtt/schemas.js';

export interface RosAgentOptions {
  agent: AgentCore;
  /** rosbridge WebSocket URL, e.g. ws://127.0.0.1:9090 */
  url: string;
  rosVersion?: 1 | 2;
  /** Namespace of the agent's services and topics. */
  namespace?: string;
  /** Reconnect backoff, ms: first delay and cap. */
  backoffMs?: [number, number];
}

/** Commands without arguments, offered as std_srvs/Trigger services (the answer's JSON is in `message`). */
const TRIGGERS = ['status', 'list', 'stop', 'resume'] as const;

/**
 * The agent on ROS, through a rosbridge (ROS 1 or 2):
 *   <ns>/status, <ns>/list, <ns>/stop, <ns>/resume   std_srvs/Trigger services (message: the result as JSON)
 *   <ns>/run        engram_msgs/Command service: request json (a command), response ok + json
 *                   (the package is in bridge/ros/engram_msgs; build it in your workspace to call it;
 *                   not named <ns>/command: roslib routes topics and services of one name together)
 *   <ns>/command    std_msgs/String topic in: {"id", "command", ...} as JSON, for any command, no package needed
 *   <ns>/response   std_msgs/String topic out: {"id", "ok", "result" | "error"}
 *   <ns>/events     std_msgs/String topic out: every agent event (learned, performing, keyframe, error, ...)
 *   <ns>/notes      std_msgs/String topic out: notes played by robots ({"robot", "pitch", "on", ...})
 * Every command is validated with the same schemas as on MQTT. The link reconnects with backoff and the
 * services are advertised again; nothing is published while the link is down (roslib would queue it).
 */
export class RosAgent {
  readonly #o: Required<Omit<RosAgentOptions, 'agent'>>;
  readonly #agent: AgentCore;
  readonly #ros: Ros;
  readonly #out: { response: Topic; events: Topic; notes: Topic };
  #connected = false;
  #closed = false;
  #delay: number;
  #offEvents: (() => void) | null = null;
  #services: Service[] = [];

  constructor(options: RosAgentOptions) {
    this.#agent = options.agent;
    this.#o = { rosVersion: 1, namespace: '/engram', backoffMs: [200, 5000], ...options };
    this.#delay = this.#o.backoffMs[0];
    this.#ros = new Ros({});
    const ns = this.#o.namespace;
    const str = this.#type('std_msgs', 'msg', 'String');
    this.#out = {
      response: new Topic({ ros: this.#ros, name: `${ns}/response`, messageType: str }),
      events: new Topic({ ros: this.#ros, name: `${ns}/events`, messageType: str }),
      notes: new Topic({ ros: this.#ros, name: `${ns}/notes`, messageType: str }),
    };
    new Topic<{ data: string }>({ ros: this.#ros, name: `${ns}/command`, messageType: str }).subscribe((m) => void this.#onCommandTopic(m.data));
    this.#ros.on('connection', () => {
      this.#connected = true;
      this.#delay = this.#o.backoffMs[0];
      this.#advertise();
    });
    this.#ros.on('close', () => {
      this.#connected = false;
      this.#reconnect();
    });
    this.#ros.on('error', () => undefined); // close follows
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Connects; resolves on the first connection (later drops reconnect by themselves). */
  async start(timeoutMs = 5000): Promise<void> {
    this.#offEvents = this.#agent.onEvent((e) => this.#onEvent(e));
    const up = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rosbridge ${this.#o.url}: no connection within ${timeoutMs} ms`)), timeoutMs);
      this.#ros.once('connection', () => (clearTimeout(timer), resolve()));
    });
    void this.#ros.connect(this.#o.url).catch(() => undefined);
    await up;
  }

  stop(): void {
    this.#closed = true;
    this.#offEvents?.();
    this.#ros.close();
  }

  #type(pkg: string, kind: 'msg' | 'srv', name: string): string {
    return this.#o.rosVersion === 2 ? `${pkg}/${kind}/${name}` : `${pkg}/${name}`;
  }

  #reconnect(): void {
    if (this.#closed) return;
    const delay = this.#delay;
    this.#delay = Math.min(this.#o.backoffMs[1], delay * 2);
    setTimeout(() => {
      if (!this.#closed && !this.#connected) void this.#ros.connect(this.#o.url).catch(() => this.#reconnect());
    }, delay).unref();
  }

  /** (Re-)advertises the services: a rosbridge forgets them when the link drops. */
  #advertise(): void {
    const ns = this.#o.namespace;
    this.#services = [];
    for (const command of TRIGGERS) {
      const s = new Service<Record<string, never>, { success: boolean; message: string }>({ ros: this.#ros, name: `${ns}/${command}`, serviceType: this.#type('std_srvs', 'srv', 'Trigger') });
      void s.advertiseAsync(async () => {
        try {
          return { success: true, message: JSON.stringify(await this.#agent.run({ command }, 'ros')) };
        } catch (err) {
          return { success: false, message: (err as Error).message };
        }
      });
      this.#services.push(s);
    }
    const cmd = new Service<{ json: string }, { ok: boolean; json: string }>({ ros: this.#ros, name: `${ns}/run`, serviceType: this.#type('engram_msgs', 'srv', 'Command') });
    void cmd.advertiseAsync(async (req) => {
      const r = await this.#handle(req?.json ?? '');
      return { ok: r.ok, json: JSON.stringify(r) };
    });
    this.#services.push(cmd);
  }

  /** Validates and runs one command given as JSON; never throws (the answer says what went wrong). */
  async #handle(json: string): Promise<{ id: string | null; ok: boolean; result?: unknown; error?: string }> {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return { id: null, ok: false, error: 'message: not valid JSON' };
    }
    // ROS answers on its own topic or service: no replyTo needed
    const withReply = raw && typeof raw === 'object' && !Array.isArray(raw) ? { replyTo: 'ros', ...(raw as object) } : raw;
    const checked = checkCommand(JSON.stringify(withReply));
    if (!checked.ok) return { id: checked.id ?? null, ok: false, error: checked.error };
    const { id, replyTo: _r, ...command } = checked.message;
    try {
      return { id, ok: true, result: await this.#agent.run(command as AgentCommand, 'ros') };
    } catch (err) {
      return { id, ok: false, error: (err as Error).message };
    }
  }

  async #onCommandTopic(json: string): Promise<void> {
    const r = await this.#handle(json);
    if (r.id === null && !r.ok) {
      this.#agent.emit({ type: 'error', time: Date.now(), channel: 'ros', error: `message on ${this.#o.namespace}/command refused: ${r.error}` });
      return;
    }
    this.#send(this.#out.response, r);
  }

  #onEvent(e: AgentEvent): void {
    this.#send(this.#out.events, e);
    if (e.type === 'note') this.#send(this.#out.notes, e);
  }

  #send(topic: Topic, body: unknown): void {
    if (this.#connected && this.#ros.isConnected) topic.publish({ data: JSON.stringify(body) });
  }
}
