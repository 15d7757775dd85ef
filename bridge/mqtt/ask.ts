import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { agentTopics } from './topics.js';

/** Sends one command to a running agent over MQTT and waits for its answer (the CLI's status/stop/resume). */
export async function askAgent(
  url: string,
  command: Record<string, unknown>,
  options: { username?: string; password?: string; ca?: string | Buffer; prefix?: string; timeoutMs?: number } = {},
): Promise<{ id: string; ok: boolean; result?: unknown; error?: string }> {
  const t = agentTopics(options.prefix);
  const replyTo = `cli-${randomUUID().slice(0, 8)}`;
  const client = await mqtt
    .connectAsync(url, { clientId: replyTo, username: options.username, password: options.password, ca: options.ca, reconnectPeriod: 0, connectTimeout: 3000 }, false)
    .catch((err: Error) => {
      const refused = /not authori[sz]ed|bad user ?name or password/i.test(err.message);
      throw new Error(refused ? `the broker at ${url} refused the login (${err.message}): give an operator's --username and --password` : `no agent's broker at ${url} (${err.message}): is engram serve running? (--broker <url> or --mqtt-port <n>)`);
    });
  try {
    await client.subscribeAsync(t.resp(replyTo), { qos: 1 }).catch(() => {
      throw new Error(`the broker at ${url} refused ${t.resp(replyTo)} to this login: is it an operator's? (see README, MQTT access control)`);
    });
    const id = randomUUID();
    const answer = new Promise<{ id: string; ok: boolean; result?: unknown; error?: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the agent on ${t.cmd} within ${options.timeoutMs ?? 10000} ms`)), options.timeoutMs ?? 10000);
      client.on('message', (_topic, payload) => {
        const body = JSON.parse(payload.toString()) as { id: string; ok: boolean };
        if (body.id === id) (clearTimeout(timer), resolve(body));
      });
    });
    await client.publishAsync(t.cmd, JSON.stringify({ id, replyTo, ...command }), { qos: 1 });
    return await answer;
  } finally {
    await client.endAsync(true);
  }
}
