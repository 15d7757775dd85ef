/**
 * A real agent as a child process for the persistence benchmarks: `engram serve` (dist/src/agent/cli.js)
 * on free ports with its own memory file, spoken to through its HTTP API, killed as a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/mosquitto.js';

/** cli.js of this build (dist/src/agent/cli.js beside dist/test/bench). */
export function cliPath(): string {
  return fileURLToPath(new URL('../../src/agent/cli.js', import.meta.url));
}

export interface AgentChild {
  child: ChildProcess;
  port: number;
  /** stderr so far (the reason a start failed). */
  stderr(): string;
  /** POST /api/command; resolves with {ok, result|error}, rejects if the connection fails (a kill). */
  command(body: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown; error?: string }>;
  /** SIGKILL, and the exit seen. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `engram serve` on `file`; resolves once its API listens, rejects with its stderr if it exits first. */
export async function startAgentChild(file: string, extra: string[] = [], timeoutMs = 120_000): Promise<AgentChild> {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [cliPath(), 'serve', '--memory', file, '--port', String(port), '--mqtt-port', String(mqttPort), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start in ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('web app and API on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with code ${code} at start: ${err.trim()}`));
    });
  });
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}/api/command`;
  return {
    child,
    port,
    stderr: () => err,
    exited,
    async command(body) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as { ok: boolean; result?: unknown; error?: string };
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Temporary files of saves beside `file` (`.<name>.tmp-*`). */
export function tempFiles(file: string): string[] {
  const dir = file.slice(0, file.lastIndexOf('/'));
  const prefix = `.${file.slice(file.lastIndexOf('/') + 1)}.tmp-`;
  return readdirSync(dir).filter((n) => n.startsWith(prefix));
}
