import { Service, Topic } from 'roslib';
import type { Emitter } from '../../robots/events.js';
import type { checkRoutedText } from '../../src/agent/command-schemas.js';
import type { AgentEvent, AgentEvents, CommandHandler } from '../../src/agent/commands.js';
import { RosLink } from './ros-link.js';

export interface RosAgentOptions {
  /** Runs a validated command (the agent's one dispatcher); its result or error is the answer. */
  handle: CommandHandler;
  /** Checks a message (JSON text) against the agent's command schemas, its size and nesting first (handed in: the agent owns its vocabulary). */
  check: typeof checkRoutedText;
  /** The agent's events: published on <ns>/events (notes also on <ns>/notes); refused topic messages go out there too. */
  events: Emitter<AgentEvents>;
  /** rosbridge WebSocket URL, e.g. ws://127.0.0.1:9090; or a link shared with an arm driver on the same rosbridge. */
  url?: string;
  link?: RosLink;
  rosVersion?: 1 | 2;
  /** Namespace of the agent's services and topics. */
  namespace?: string;
  /** Reconnect backoff, ms: first delay and cap. */
  backoffMs?: [number, number];
}

/** Commands from ROS running at once, at most; more are answered busy (stop is never refused). */
export const MAX_RUNNING = 16;

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
  readonly #o: Required<Omit<RosAgentOptions, 'handle' | 'check' | 'events' | 'url' | 'link'>>;
  readonly #run: CommandHandler;
  readonly #check: RosAgentOptions['check'];
  readonly #events: Emitter<AgentEvents>;
  readonly #link: RosLink;
  readonly #ownLink: boolean;
  readonly #out: { response: Topic; events: Topic; notes: Topic };
  #offEvents: (() => void) | null = null;
  #offLink: () => void = () => undefined;
  /** Advertises one service (each Service object is made once). */
  #services: Array<() => void> = [];
  /** Commands running now. */
  #running = 0;

  constructor(options: RosAgentOptions) {
    this.#run = options.handle;
    this.#check = options.check;
    this.#events = options.events;
    const { handle: _h, events: _e, url: _u, link: _l, ...rest } = options;
    this.#o = { rosVersion: 1, namespace: '/engram', backoffMs: [200, 5000], ...rest };
    if (!options.link && !options.url) throw new TypeError('RosAgent: give the rosbridge url or a link');
    this.#ownLink = !options.link;
    this.#link = options.link ?? new RosLink(options.url!, this.#o.backoffMs);
    const ros = this.#link.ros;
    const ns = this.#o.namespace;
    const str = this.#type('std_msgs', 'msg', 'String');
    this.#out = {
      response: new Topic({ ros, name: `${ns}/response`, messageType: str }),
      events: new Topic({ ros, name: `${ns}/events`, messageType: str }),
      notes: new Topic({ ros, name: `${ns}/notes`, messageType: str }),
    };
    new Topic<{ data: string }>({ ros, name: `${ns}/command`, messageType: str }).subscribe((m) => void this.#onCommandTopic((m as { data?: unknown } | null)?.data));
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  /** Connects (or joins a shared link) and advertises; later drops reconnect by themselves. */
  async start(timeoutMs = 5000): Promise<void> {
    this.#offEvents = this.#events.on('event', (e) => this.#onEvent(e));
    this.#offLink = this.#link.onConnection((up) => up && this.#advertise());
    if (this.#link.connected) this.#advertise(); // a shared link already up: no connection event will come
    await this.#link.connect(timeoutMs);
  }

  stop(): void {
    this.#offEvents?.();
    this.#offLink();
    if (this.#ownLink) this.#link.close();
  }

  #type(pkg: string, kind: 'msg' | 'srv', name: string): string {
    return this.#o.rosVersion === 2 ? `${pkg}/${kind}/${name}` : `${pkg}/${name}`;
  }

  /**
   * Advertises the services; after a reconnect the same Service objects advertise again (roslib then
   * drops their old handler first, so a call is never answered twice).
   */
  #advertise(): void {
    if (this.#services.length === 0) {
      const ns = this.#o.namespace;
      const ros = this.#link.ros;
      for (const command of TRIGGERS) {
        const s = new Service<Record<string, never>, { success: boolean; message: string }>({ ros, name: `${ns}/${command}`, serviceType: this.#type('std_srvs', 'srv', 'Trigger') });
        const answer = async () => {
          try {
            return { success: true, message: JSON.stringify(await this.#run({ command }, 'ros')) };
          } catch (err) {
            return { success: false, message: (err as Error).message };
          }
        };
        this.#services.push(() => void s.advertiseAsync(answer));
      }
      const run = new Service<{ json: string }, { ok: boolean; json: string }>({ ros, name: `${ns}/run`, serviceType: this.#type('engram_msgs', 'srv', 'Command') });
      const answer = async (req: { json: string }) => {
        const r = await this.#handle((req as { json?: unknown } | null)?.json);
        return { ok: r.ok, json: JSON.stringify(r) };
      };
      this.#services.push(() => void run.advertiseAsync(answer));
    }
    for (const advertise of this.#services) advertise();
  }

  /**
   * Validates and runs one command given as JSON; never throws (the answer says what went wrong). Past
   * MAX_RUNNING at once a command is answered busy, not held (stop always runs).
   */
  async #handle(json: unknown): Promise<{ id: string | null; ok: boolean; result?: unknown; error?: string }> {
    const checked = this.#check(json, 'ros', { requireId: true });
    if (!checked.ok) return { id: checked.id, ok: false, error: checked.error };
    if (checked.command.command !== 'stop' && this.#running >= MAX_RUNNING) return { id: checked.id, ok: false, error: `busy: ${MAX_RUNNING} commands are running already; try again` };
    this.#running++;
    try {
      return { id: checked.id, ok: true, result: await this.#run(checked.command, 'ros') };
    } catch (err) {
      return { id: checked.id, ok: false, error: (err as Error).message };
    } finally {
      this.#running--;
    }
  }

  async #onCommandTopic(json: unknown): Promise<void> {
    const r = await this.#handle(json);
    if (r.id === null && !r.ok) {
      this.#events.emit('event', { type: 'error', time: Date.now(), channel: 'ros', error: `message on ${this.#o.namespace}/command refused: ${r.error}` });
      return;
    }
    this.#send(this.#out.response, r);
  }

  #onEvent(e: AgentEvent): void {
    this.#send(this.#out.events, e);
    if (e.type === 'note') this.#send(this.#out.notes, e);
  }

  #send(topic: Topic, body: unknown): void {
    if (this.#link.connected) topic.publish({ data: JSON.stringify(body) });
  }
}
