import { AbstractTransport, Ros, type ITransport } from 'roslib';
import WebSocket from 'ws';

/**
 * Largest rosbridge message the agent takes, bytes: a command (a learn's MIDI, at most 8 MB), a URDF, a
 * joint state. A larger frame closes the WebSocket (ws's maxPayload; without it ws takes 100 MB) and the
 * link reconnects.
 */
export const MAX_ROSBRIDGE_MESSAGE_BYTES = 12 << 20;

/**
 * roslib's WebSocket transport with bounds: frames up to MAX_ROSBRIDGE_MESSAGE_BYTES, JSON text only.
 * rosbridge fragments, compresses (png) or encodes (BSON, CBOR) a message only when the client asks,
 * and the agent never does: such messages are dropped here (roslib would reassemble fragments of any
 * number and size, and inflate compressed ones, before anything sees them).
 */
class BoundedTransport extends AbstractTransport {
  readonly #socket: WebSocket;
  constructor(url: string, maxBytes: number) {
    super();
    this.#socket = new WebSocket(url, { maxPayload: maxBytes });
    this.#socket.onopen = (e) => this.emit('open', e);
    this.#socket.onclose = (e) => this.emit('close', e);
    this.#socket.onerror = (e) => this.emit('error', e);
    this.#socket.onmessage = (e) => this.#receive(e.data);
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') return void this.emit('error', new Error('rosbridge: a binary message was dropped (none was asked for)'));
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return void this.emit('error', new Error('rosbridge: a message that is not JSON was dropped'));
    }
    const op = (msg as { op?: unknown } | null)?.op;
    if (typeof op !== 'string' || op === 'fragment' || op === 'png') return void this.emit('error', new Error('rosbridge: a message without a plain op was dropped'));
    this.emit('message', msg as Parameters<ITransport['send']>[0]);
  }

  send(message: Parameters<ITransport['send']>[0]): void {
    this.#socket.send(JSON.stringify(message));
  }
  close(): void {
    this.#socket.close();
  }
  isConnecting(): boolean {
    return this.#socket.readyState === WebSocket.CONNECTING;
  }
  isOpen(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }
  isClosing(): boolean {
    return this.#socket.readyState === WebSocket.CLOSING;
  }
  isClosed(): boolean {
    return this.#socket.readyState === WebSocket.CLOSED;
  }
}

/**
 * One WebSocket to a rosbridge, shared by whatever speaks through it (the agent's services, an arm
 * driver). roslib never reconnects by itself: this does, with exponential backoff, and tells its
 * listeners when the link goes down or comes back (roslib re-subscribes topics on reconnect; services
 * must be advertised again).
 */
export class RosLink {
  readonly ros: Ros;
  readonly url: string;
  readonly #backoff: [number, number];
  readonly #listeners = new Set<(up: boolean) => void>();
  #connected = false;
  #closed = false;
  #started = false;
  #delay: number;
  #calls = 0;

  constructor(url: string, backoffMs: [number, number] = [200, 5000], maxMessageBytes = MAX_ROSBRIDGE_MESSAGE_BYTES) {
    this.ros = new Ros({ transportFactory: (u) => Promise.resolve(new BoundedTransport(u, maxMessageBytes)) });
    this.url = url;
    this.#backoff = backoffMs;
    this.#delay = backoffMs[0];
    this.ros.on('connection', () => {
      this.#connected = true;
      this.#delay = this.#backoff[0];
      for (const l of this.#listeners) l(true);
    });
    this.ros.on('close', () => {
      const was = this.#connected;
      this.#connected = false;
      if (was) for (const l of this.#listeners) l(false);
      this.#reconnect();
    });
    this.ros.on('error', () => undefined); // close follows
  }

  /** Up as far as both this link and roslib's socket know. */
  get connected(): boolean {
    return this.#connected && this.ros.isConnected;
  }

  /** Adds a listener for the link going down (false) or coming up (true); returns its remover. */
  onConnection(listener: (up: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Connects (once; later callers wait for the same link); resolves when the socket is open. */
  async connect(timeoutMs = 5000): Promise<void> {
    if (this.connected) return;
    const up = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rosbridge ${this.url}: no connection within ${timeoutMs} ms`)), timeoutMs);
      this.ros.once('connection', () => (clearTimeout(timer), resolve()));
    });
    if (!this.#started) {
      this.#started = true;
      void this.ros.connect(this.url).catch(() => undefined);
    }
    await up;
  }

  /**
   * Calls a ROS service through the bridge once and resolves with its response values; rejects with
   * rosbridge's text when the call fails, after `timeoutMs` without an answer, or at once while the link
   * is down (nothing is queued).
   */
  call<T = unknown>(service: string, args: unknown, timeoutMs = 3000): Promise<T> {
    if (!this.connected) return Promise.reject(new Error(`${service}: the rosbridge link ${this.url} is down`));
    const id = `call_service:${service}:${++this.#calls}`;
    return new Promise<T>((resolve, reject) => {
      const answer = (msg: unknown) => {
        const m = msg as { result?: boolean; values?: unknown };
        clearTimeout(timer);
        if (m.result) resolve(m.values as T);
        else reject(new Error(`${service}: ${typeof m.values === 'string' ? m.values : 'the call failed'}`));
      };
      const timer = setTimeout(() => {
        this.ros.off(id, answer);
        reject(new Error(`${service}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.ros.once(id, answer);
      this.ros.callOnConnection({ op: 'call_service', id, service, args });
    });
  }

  close(): void {
    this.#closed = true;
    this.ros.close();
  }

  #reconnect(): void {
    if (this.#closed) return;
    const delay = this.#delay;
    this.#delay = Math.min(this.#backoff[1], delay * 2);
    setTimeout(() => {
      if (!this.#closed && !this.#connected) void this.ros.connect(this.url).catch(() => this.#reconnect());
    }, delay).unref();
  }
}
