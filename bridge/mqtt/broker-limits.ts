import type { Socket } from 'node:net';

/**
 * Bounds the embedded broker keeps whoever connects to it. aedes (and mqtt-packet under it) has no
 * packet size limit and keeps every retained message forever: one client could make the broker hold a
 * 200 MB message while it arrives, or leave thousands of retained messages on topics of its choosing
 * (2,000 of 100 KB kept 190 MB). Both are bounded here.
 */

/** Largest MQTT packet the broker takes, bytes: an agent command (at most 8 MB, a learn's MIDI) with room for its topic and headers. */
export const MAX_PACKET_BYTES = 9 << 20;

/**
 * Watches the bytes a client sends and closes its connection when a packet's fixed header announces
 * more than `maxBytes` (its remaining length), before the packet's body is read: at most one socket
 * read past the header is ever held. Only reads: aedes reads the socket itself ('readable'), and a
 * 'data' listener beside it sees each chunk as aedes takes it, without changing the flow.
 */
export function limitPacketSize(sock: Socket, maxBytes = MAX_PACKET_BYTES, onRefused?: (announced: number) => void): void {
  // where the reader is: 'type' (the packet's first byte), 'length' (its remaining-length varint), 'body' (bytes to skip)
  let phase: 'type' | 'length' | 'body' = 'type';
  let remaining = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  sock.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (phase === 'body') {
        const skip = Math.min(remaining, chunk.length - i);
        remaining -= skip;
        i += skip;
        if (remaining === 0) phase = 'type';
      } else if (phase === 'type') {
        i++;
        phase = 'length';
        remaining = 0;
        multiplier = 1;
        lengthBytes = 0;
      } else {
        const b = chunk[i++]!;
        remaining += (b & 0x7f) * multiplier;
        multiplier *= 128;
        lengthBytes++;
        if (remaining > maxBytes || (b & 0x80 && lengthBytes === 4)) {
          onRefused?.(remaining);
          sock.destroy();
          return;
        }
        if (!(b & 0x80)) phase = remaining > 0 ? 'body' : 'type';
      }
    }
  });
}

/** Where a retained message means something: a robot's description and online status, the agent's online state. */
export function retainable(topic: string, prefix = 'engram'): boolean {
  if (topic === `${prefix}/agent/state`) return true;
  const rest = topic.startsWith(`${prefix}/robots/`) ? topic.slice(prefix.length + 8).split('/') : [];
  return rest.length === 2 && rest[0] !== '' && (rest[1] === 'description' || rest[1] === 'status');
}

/**
 * What the broker may keep as retained messages: only on retainable topics, at most `maxTopics` topics
 * and `maxBytes` of payload in all. A retained message elsewhere is passed on live and not kept (a robot
 * that retains its joint states still works); one that would go past the budget is refused. An empty
 * retained payload clears a topic and frees its share.
 */
export class RetainedBudget {
  readonly #kept = new Map<string, number>();
  #bytes = 0;
  constructor(
    readonly maxTopics = 1024,
    readonly maxBytes = 32 << 20,
    readonly prefix = 'engram',
  ) {}

  /** Topics and payload bytes kept now. */
  get usage(): { topics: number; bytes: number } {
    return { topics: this.#kept.size, bytes: this.#bytes };
  }

  /**
   * Decides on one publish before the broker handles it: may clear its retain flag (kept nowhere),
   * returns an Error when it must be refused, null when it goes through.
   */
  admit(packet: { topic: string; payload: Buffer | string; retain: boolean }): Error | null {
    if (!packet.retain) return null;
    if (!retainable(packet.topic, this.prefix)) {
      packet.retain = false;
      return null;
    }
    const size = Buffer.byteLength(packet.payload);
    const had = this.#kept.get(packet.topic);
    if (size === 0) {
      if (had !== undefined) this.#bytes -= had;
      this.#kept.delete(packet.topic);
      return null;
    }
    if (had === undefined && this.#kept.size >= this.maxTopics) return new Error(`retained messages: ${this.maxTopics} topics kept already`);
    if (this.#bytes - (had ?? 0) + size > this.maxBytes) return new Error(`retained messages: over ${this.maxBytes} bytes kept`);
    this.#bytes += size - (had ?? 0);
    this.#kept.set(packet.topic, size);
    return null;
  }
}
