import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { askAgent } from '../../bridge/mqtt/ask.js';
import { setPasswordEntry } from '../../bridge/mqtt/passwords.js';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { haveMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { accessFiles } from '../helpers/mqtt-access.js';

/**
 * `engram serve` as npm start runs it: no password file, yet no anonymous client gets in; the agent and
 * its simulated robot log in with passwords made at start; the operator's login is kept (0600) for the
 * CLI. With a certificate the embedded broker speaks TLS only.
 */
const dir = mkdtempSync(join(tmpdir(), 'engram-mqtt-defaults-'));
const running: RunningAgent[] = [];
afterAll(async () => {
  for (const a of running) await a.close();
  rmSync(dir, { recursive: true, force: true });
});
const base = { memoryFile: join(dir, 'memory.engram'), bundled: false, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 0, mqttRobots: [], log: () => undefined };

describe('MQTT access as engram serve sets it up', () => {
  it('default: the sim arm is on with made-up logins, anonymous refused, the kept operator login commands the agent', { timeout: 60_000 }, async () => {
    const operatorFile = join(dir, 'config', 'mqtt-operator.json');
    const agent = await runAgent({ ...base, simArm: true, operatorFile });
    running.push(agent);
    expect(agent.fleet.list().map((r) => r.id)).toEqual(['sim-arm']);
    await expect(mqtt.connectAsync(agent.mqttUrl, { reconnectPeriod: 0, connectTimeout: 3000 })).rejects.toThrow(/not authori[sz]ed/i);
    await expect(mqtt.connectAsync(agent.mqttUrl, { reconnectPeriod: 0, username: 'sim-arm', password: 'guess' })).rejects.toThrow(/bad user ?name or password/i);
    expect(statSync(operatorFile).mode & 0o777).toBe(0o600);
    const login = JSON.parse(readFileSync(operatorFile, 'utf8')) as { username: string; password: string };
    expect(login).toEqual(agent.mqttOperator);
    const r = await askAgent(agent.mqttUrl, { command: 'status' }, login);
    expect(r.ok).toBe(true);
    expect(r.result).toMatchObject({ robots: [expect.objectContaining({ id: 'sim-arm' })] });
    await agent.close();
    running.pop();
    // the next start keeps the same operator login
    const again = await runAgent({ ...base, simArm: false, operatorFile });
    running.push(again);
    expect(again.mqttOperator).toEqual(login);
    expect((await askAgent(again.mqttUrl, { command: 'status' }, login)).ok).toBe(true);
  });

  it('with a password file: its users log in (robots by id), nobody else; no operator login is made', { timeout: 60_000 }, async () => {
    const passwordFile = join(dir, 'passwd');
    writeFileSync(passwordFile, setPasswordEntry(setPasswordEntry('', 'operator', 'op-pass'), 'shop-arm', 'arm-pass'));
    const agent = await runAgent({ ...base, simArm: false, mqttPasswordFile: passwordFile, operatorFile: join(dir, 'unused.json') });
    running.push(agent);
    expect(agent.mqttOperator).toBeNull();
    expect(existsSync(join(dir, 'unused.json'))).toBe(false);
    expect((await askAgent(agent.mqttUrl, { command: 'status' }, { username: 'operator', password: 'op-pass' })).ok).toBe(true);
    await expect(askAgent(agent.mqttUrl, { command: 'status' }, { username: 'operator', password: 'wrong' })).rejects.toThrow(/refused the login/);
    // a robot's login may not read the agent's answers (nor command it: mqtt-access.test.ts)
    await expect(askAgent(agent.mqttUrl, { command: 'stop' }, { username: 'shop-arm', password: 'arm-pass', timeoutMs: 1500 })).rejects.toThrow(/refused engram\/agent\/resp\/cli-\w+ to this login: is it an operator's\?/);
    await agent.close();
    running.pop();
  });

  it.skipIf(!existsSync('/usr/bin/openssl'))('with a certificate: TLS only (mqtts), checked against the CA', { timeout: 60_000 }, async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    expect(made.status).toBe(0);
    const operatorFile = join(dir, 'tls-operator.json');
    const agent = await runAgent({ ...base, simArm: true, operatorFile, mqttTls: { cert, key } });
    running.push(agent);
    expect(agent.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(agent.fleet.list().map((r) => r.id)).toEqual(['sim-arm']);
    const login = agent.mqttOperator!;
    expect((await askAgent(agent.mqttUrl, { command: 'status' }, { ...login, ca: readFileSync(cert) })).ok).toBe(true);
    // without the CA the certificate is not trusted; plain MQTT is not spoken
    await expect(askAgent(agent.mqttUrl, { command: 'status' }, login)).rejects.toThrow(/self[- ]signed|certificate/i);
    await expect(askAgent(agent.mqttUrl.replace('mqtts', 'mqtt'), { command: 'status' }, { ...login, timeoutMs: 1500 })).rejects.toThrow();
    await agent.close();
    running.pop();
  });

  it.skipIf(!haveMosquitto)('on an external mosquitto with the shipped ACL: the agent and its simulated arm log in as the README says', { timeout: 60_000 }, async () => {
    const files = accessFiles(['sim-arm'], ['operator'], { 'sim-arm': 'sim-secret' });
    const broker = await startMosquitto({ passwordFile: files.passwordFile, aclFile: files.aclFile });
    try {
      const agent = await runAgent({ ...base, broker: broker.url, ...files.agent, simRobotPassword: 'sim-secret', simArm: true });
      running.push(agent);
      const r = await askAgent(broker.url, { command: 'status' }, files.operator);
      expect(r.ok).toBe(true);
      expect(r.result).toMatchObject({ robots: [expect.objectContaining({ id: 'sim-arm', connected: true })] });
      await agent.close();
      running.pop();
    } finally {
      await broker.stop();
      files.remove();
    }
  });
});
