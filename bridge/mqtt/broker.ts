import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { limitPacketSize, RetainedBudget } from './broker-limits.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) on 127.0.0.1 by default; port 0 picks a free port.
 * Used when no external broker URL is given. A packet over maxPacketBytes closes its client's
 * connection; retained messages are kept only on description, status and agent state topics, within a
 * budget (broker-limits.ts).
 */
export async function startEmbeddedBroker(options: { host?: string; port?: number; maxPacketBytes?: number; retainedTopics?: number; retainedBytes?: number } = {}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  // retained messages only where they mean something, within a budget (broker-limits.ts)
  const retained = new RetainedBudget(options.retainedTopics, options.retainedBytes);
  aedes.authorizePublish = (_client, packet, done) => done(retained.admit(packet));
  // every packet at once: small packets (joint states, commands) must not wait for the last one's ACK
  const server = createServer({ noDelay: true }, (sock) => {
    aedes.handle(sock);
    limitPacketSize(sock, options.maxPacketBytes);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 1883, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    // idempotent: stop accepting, close the broker, drop every connection (clients would reconnect)
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        aedes.close(() => undefined);
        for (const sock of sockets) sock.destroy();
      })),
  };
}
