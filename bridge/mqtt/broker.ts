import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { BrokerAccess } from './access.js';
import { isCommandTopic } from './access.js';
import { verifyPassword } from './passwords.js';
import { limitPacketSize, RetainedBudget } from './broker-limits.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host?: string;
  port?: number;
  /** Who may connect and what each may publish and read (access.ts). There is no anonymous mode. */
  access: BrokerAccess;
  /** PEM certificate and key: the broker listens with TLS (mqtts://). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** A packet announcing more than this closes its client's connection (broker-limits.ts). */
  maxPacketBytes?: number;
  /** Retained messages are kept only on description, status and agent state topics, within this budget. */
  retainedTopics?: number;
  retainedBytes?: number;
}

/** A hash no password matches, checked for unknown users so they take as long as known ones. */
const NOBODY = '$7$101$AAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';

/** An MQTT 3.1.1 CONNACK refusal: 2 identifier rejected, 4 bad username or password, 5 not authorized. */
function refusal(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) on 127.0.0.1 by default; port 0 picks a free port.
 * Used when no external broker URL is given. Every client logs in (password entries in mosquitto's
 * format); what it may publish and read is the ACL's (mosquitto's syntax and decisions); a client id
 * in use by another user cannot be taken over (the same user may: a robot coming back replaces its own
 * stale session); retained messages on command topics are refused.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { access } = options;
  const prefix = access.prefix ?? 'engram';
  const aedes = await Aedes.createBroker();
  // retained messages only where they mean something, within a budget (broker-limits.ts)
  const retained = new RetainedBudget(options.retainedTopics, options.retainedBytes);
  // who each connection logged in as, and its ACL rules (filled in once, at login)
  const who = new WeakMap<Client, { username: string; rules: ReturnType<BrokerAccess['acl']['rulesFor']> }>();
  const owners = new Map<string, Client>();
  aedes.authenticate = (client, username, password, done) => {
    if (typeof username !== 'string' || username === '' || !password) return done(refusal(5, 'anonymous clients are not accepted'), false);
    const ok = verifyPassword(access.passwords.get(username) ?? NOBODY, password) && access.passwords.has(username);
    if (!ok) return done(refusal(4, 'bad username or password'), false);
    // the login that holds this client id (set here, so two logins connecting at once cannot both pass)
    const holder = owners.get(client.id);
    if (holder && holder !== client && !(holder as { closed?: boolean }).closed && who.get(holder)?.username !== username) return done(refusal(2, 'client id in use by another user'), false);
    owners.set(client.id, client);
    // freed when its connection ends, whether or not it got as far as registering
    (client.conn as { once(e: 'close', f: () => void): unknown }).once('close', () => {
      if (owners.get(client.id) === client) owners.delete(client.id);
    });
    who.set(client, { username, rules: access.acl.rulesFor(username, client.id) });
    done(null, true);
  };
  aedes.authorizePublish = (client, packet, done) => {
    // client null: a will published after its client left (it was authorized when the client connected)
    if (!client) return done(null);
    const w = who.get(client);
    if (packet.topic.startsWith('$')) return done(new Error('$ topics are reserved'));
    if (!w || !access.acl.allows(w.username, client.id, packet.topic, 'write', w.rules)) return done(new Error('not authorized to publish there'));
    if (packet.retain && isCommandTopic(packet.topic, prefix)) return done(new Error('retained messages are refused on command topics'));
    // last, so refused publishes are not counted against the budget
    done(retained.admit(packet));
  };
  aedes.authorizeSubscribe = (client, sub, done) => {
    const w = who.get(client);
    done(null, w && access.acl.allowsSubscribe(w.username, client.id, sub.topic, w.rules) ? sub : null);
  };
  aedes.authorizeForward = (client, packet) => {
    const w = who.get(client);
    return w && access.acl.allows(w.username, client.id, packet.topic, 'read', w.rules) ? packet : null;
  };
  const onConnection = (sock: Socket) => {
    (aedes.handle as (sock: Socket) => void)(sock);
    limitPacketSize(sock, options.maxPacketBytes);
  };
  // every packet at once: small packets (joint states, commands) must not wait for the last one's ACK
  const server: Server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onConnection) : createServer({ noDelay: true }, onConnection);
  if (options.tls) server.on('secureConnection', (sock: Socket) => sock.setNoDelay(true));
  const sockets = new Set<Socket>();
  // raw sockets (under TLS too): destroying them ends every connection at close
  server.on('connection', (sock: Socket) => {
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
    url: `${options.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
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
