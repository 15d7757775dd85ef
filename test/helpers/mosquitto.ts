import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
export const haveMosquitto = existsSync(MOSQUITTO);

/** A free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Debian's mosquitto (MQTT 5 and 3.1.1) on 127.0.0.1:<port>, in the foreground, stopped by stop(). With
 * a password file and an ACL file it runs as the README tells users to run it: no anonymous clients,
 * those two files, and the username as client id (no takeover of another user's client id).
 */
export async function startMosquitto(options: { port?: number; passwordFile?: string; aclFile?: string } = {}): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const p = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'engram-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  const access = options.passwordFile
    ? `allow_anonymous false\npassword_file ${options.passwordFile}\n${options.aclFile ? `acl_file ${options.aclFile}\n` : ''}use_username_as_clientid true\n`
    : 'allow_anonymous true\n';
  // run as root (a CI container), mosquitto would switch to its own user, who cannot read our temp files
  const user = process.getuid?.() === 0 ? 'user root\n' : '';
  writeFileSync(conf, `listener ${p} 127.0.0.1\n${access}${user}persistence false\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  // ready when the port accepts connections
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(p, '127.0.0.1');
      sock.once('connect', () => (sock.end(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() - start > 5000 || child.exitCode !== null) throw new Error(`mosquitto did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve(rmSync(dir, { recursive: true, force: true }));
        child.once('exit', () => resolve(rmSync(dir, { recursive: true, force: true })));
        child.kill('SIGTERM');
      }),
  };
}
