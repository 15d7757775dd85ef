import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_USER, aclTemplate, readAccess, type BrokerAccess } from '../../bridge/mqtt/access.js';
import { randomPassword, setPasswordEntry } from '../../bridge/mqtt/passwords.js';

/** A login for mqtt.js's connect options. */
export interface Login {
  username: string;
  password: string;
}

/**
 * A password file and the shipped ACL in a temp folder, for the embedded broker and mosquitto alike:
 * the agent (engram-agent), an operator, the named robots (username = robot id) and 'intruder', a valid
 * user the ACL gives nothing of its own. Passwords are random unless `fixed` names them.
 */
export function accessFiles(robots: string[], operators = ['operator'], fixed: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'engram-mqtt-access-'));
  const logins = new Map<string, Login>();
  let text = '';
  for (const username of [AGENT_USER, ...operators, ...robots, 'intruder']) {
    const password = fixed[username] ?? randomPassword();
    logins.set(username, { username, password });
    text = setPasswordEntry(text, username, password);
  }
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl.conf');
  writeFileSync(passwordFile, text);
  writeFileSync(aclFile, aclTemplate('engram', AGENT_USER, operators));
  const login = (user: string): Login => {
    const l = logins.get(user);
    if (!l) throw new Error(`no test login '${user}'`);
    return l;
  };
  return {
    passwordFile,
    aclFile,
    login,
    agent: login(AGENT_USER),
    operator: login(operators[0]!),
    /** The embedded broker's access from the same files. */
    access: (): BrokerAccess => readAccess(passwordFile, aclFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
