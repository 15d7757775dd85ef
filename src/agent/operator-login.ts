import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { OPERATOR_USER } from '../../bridge/mqtt/access.js';
import { randomPassword } from '../../bridge/mqtt/passwords.js';

/**
 * The operator's MQTT login that `engram serve` makes when no password file is given, kept in the
 * user's config (readable by the user only) so `engram status|stop|resume` on the same machine can use
 * it: $ENGRAM_MQTT_LOGIN or ~/.engram/mqtt-operator.json.
 */
export function defaultOperatorFile(): string {
  return process.env.ENGRAM_MQTT_LOGIN || join(homedir(), '.engram', 'mqtt-operator.json');
}

export interface OperatorLogin {
  username: string;
  password: string;
}

/** The login in `file`, or null when there is none or it is not one. */
export function readOperatorLogin(file: string): OperatorLogin | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<OperatorLogin>;
    return typeof v.username === 'string' && typeof v.password === 'string' && v.username && v.password ? { username: v.username, password: v.password } : null;
  } catch {
    return null;
  }
}

/** The login in `file`; made (random password, mode 0600) when the file is missing or not a login. */
export function loadOperatorLogin(file: string): OperatorLogin {
  const have = existsSync(file) ? readOperatorLogin(file) : null;
  if (have) return have;
  const login = { username: OPERATOR_USER, password: randomPassword() };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(login)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return login;
}
