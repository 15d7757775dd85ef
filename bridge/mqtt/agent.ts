import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import type { Emitter } from '../../robots/events.js';
import type { CheckedMessage } from '../../src/agent/command-schemas.js';
import type { AgentCommand, AgentEvent, AgentEvents, CommandHandler } from '../../src/agent/commands.js';
import { sendAtOnce } from './no-delay.js';
import { agentTopics } from './topics.js';

export interface MqttAgentOptions {
  /** Runs a validated command (the agent's one dispatcher); its result or error is the answer. */
  handle: CommandHandler;
  /** Checks a payload against the agent's command schemas (handed in: the agent owns its vocabulary). */
  check: (payload: Buffer | string) => CheckedMessage;
  /** The agent's events: published on <prefix>/agent/events; a refused message without a reply address goes out there too. */
  events: Emitter<AgentEvents>;
  /** Broker URL (mqtt://, mqtts://, ws://); the embedded broker's when none is given. */
  url: string;
  username?: string;
  password?: string;
  /** TLS material for mqtts:// (PEM). */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  prefix?: string;
  clientId?: string;
}

/** Commands from MQTT running at once, at most; more are answered busy (stop is never refused). */
export const MAX_RUNNING = 16;

/**
 * The agent on MQTT: takes commands on <prefix>/agent/cmd, validates each against its JSON schema,
 * runs it and answers on <prefix>/agent/resp/<replyTo> with the same id; reports events; keeps a
 * retained online state with a last will. mqtt.js reconnects and re-subscribes on its own.
 */
export class MqttAgent {
  readonly #opts: MqttAgentOptions;
  readonly #topics: ReturnType<typeof agentTopics>;
  readonly #handle: CommandHandler;
  readonly #check: MqttAgentOptions['check'];
  readonly #events: Emitter<AgentEvents>;
  #offEvents: (() => void) | null = null;
  #client: MqttClient | null = null;
  /** Commands handled (for status and tests). */
  handled = 0;
  /** Commands running now. */
  #running = 0;

  constructor(options: MqttAgentOptions) {
    this.#opts = options;
    this.#topics = agentTopics(options.prefix);
    this.#handle = options.handle;
    this.#check = options.check;
    this.#events = options.events;
  }

  get client(): MqttClient | null {
    return this.#client;
  }

  async start(): Promise<void> {
    const o = this.#opts;
    const options: IClientOptions = {
      clientId: o.clientId ?? `engram-agent-${randomUUID().slice(0, 8)}`,
      protocolVersion: o.protocolVersion ?? 4,
      username: o.username,
      password: o.password,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      reconnectPeriod: 500,
      connectTimeout: 5000,
      will: { topic: this.#topics.state, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
    };
    const client = sendAtOnce(await mqtt.connectAsync(o.url, options));
    this.#client = client;
    this.#offEvents = this.#events.on('event', (e) => this.emit(e));
    client.on('message', (topic, payload) => {
      if (topic === this.#topics.cmd) void this.#onCommand(payload);
    });
    client.on('connect', () => void this.#announce());
    await client.subscribeAsync(this.#topics.cmd, { qos: 1 });
    await this.#announce();
  }

  async stop(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    this.#offEvents?.();
    if (c.connected) await c.publishAsync(this.#topics.state, JSON.stringify({ online: false, time: Date.now() }), { qos: 1, retain: true }).catch(() => undefined);
    await c.endAsync();
    this.#client = null;
  }

  emit(event: AgentEvent): void {
    this.#client?.publish(this.#topics.events, JSON.stringify(event), { qos: 0 });
  }

  /** The retained online state, with the number of titles the agent's status reports. */
  async #announce(): Promise<void> {
    const status = (await this.#handle({ command: 'status' }, 'mqtt').catch(() => ({}))) as { titles?: number };
    await this.#client?.publishAsync(this.#topics.state, JSON.stringify({ online: true, titles: status.titles, time: Date.now() }), { qos: 1, retain: true });
  }

  async #onCommand(payload: Buffer): Promise<void> {
    const checked = this.#check(payload);
    this.handled++;
    if (!checked.ok) {
      if (checked.replyTo) this.#reply(checked.replyTo, { id: checked.id ?? null, ok: false, error: checked.error });
      else this.#events.emit('event', { type: 'error', time: Date.now(), channel: 'mqtt', error: `message on ${this.#topics.cmd} refused: ${checked.error}` });
      return;
    }
    const { id, replyTo } = checked.message;
    // commands queue in the memory worker: past MAX_RUNNING at once they are answered busy, not held (stop always runs)
    if (checked.message.command !== 'stop' && this.#running >= MAX_RUNNING) return this.#reply(replyTo, { id, ok: false, error: `busy: ${MAX_RUNNING} commands are running already; try again` });
    this.#running++;
    try {
      const { id: _id, replyTo: _replyTo, ...command } = checked.message;
      const result = await this.#handle(command as AgentCommand, 'mqtt');
      this.#reply(replyTo, { id, ok: true, result });
    } catch (err) {
      this.#reply(replyTo, { id, ok: false, error: (err as Error).message });
    } finally {
      this.#running--;
    }
  }

  #reply(replyTo: string, body: unknown): void {
    this.#client?.publish(this.#topics.resp(replyTo), JSON.stringify(body), { qos: 1 });
  }
}
