import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aclTemplate, isCommandTopic } from '../../bridge/mqtt/access.js';
import { Acl, AclFileError } from '../../bridge/mqtt/acl.js';
import { hashPassword, parsePasswordFile, PasswordFileError, readPasswordFile, setPasswordEntry, verifyPassword } from '../../bridge/mqtt/passwords.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-mqtt-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

describe('password files in mosquitto’s format', () => {
  it.skipIf(!existsSync(MOSQUITTO_PASSWD))('verifies what mosquitto_passwd writes: $7$ (PBKDF2-SHA512, 2.0) and $6$ (SHA-512, 1.6)', () => {
    const file = join(dir, 'mosq.passwd');
    writeFileSync(file, '');
    expect(spawnSync(MOSQUITTO_PASSWD, ['-b', file, 'robot7', 'pä ss:word']).status).toBe(0);
    expect(spawnSync(MOSQUITTO_PASSWD, ['-H', 'sha512', '-b', file, 'robot6', 'old one']).status).toBe(0);
    const users = readPasswordFile(file);
    expect(users.get('robot7')).toMatch(/^\$7\$101\$/);
    expect(users.get('robot6')).toMatch(/^\$6\$/);
    expect(verifyPassword(users.get('robot7')!, 'pä ss:word')).toBe(true);
    expect(verifyPassword(users.get('robot7')!, 'pä ss:worD')).toBe(false);
    expect(verifyPassword(users.get('robot6')!, 'old one')).toBe(true);
    expect(verifyPassword(users.get('robot6')!, 'old one ')).toBe(false);
  });

  it('writes $7$ entries with a fresh salt each time; adds, replaces and removes users in place', () => {
    const a = hashPassword('x');
    const b = hashPassword('x');
    expect(a).not.toBe(b);
    expect(verifyPassword(a, 'x') && verifyPassword(b, 'x')).toBe(true);
    let text = '# robots\nr1:' + a + '\n';
    text = setPasswordEntry(text, 'r2', 'two');
    text = setPasswordEntry(text, 'r1', 'one');
    const users = parsePasswordFile(text, 'f');
    expect([...users.keys()]).toEqual(['r1', 'r2']);
    expect(verifyPassword(users.get('r1')!, 'one')).toBe(true);
    expect(text.startsWith('# robots\nr1:$7$')).toBe(true);
    expect([...parsePasswordFile(setPasswordEntry(text, 'r1', null), 'f').keys()]).toEqual(['r2']);
    expect(() => setPasswordEntry(text, 'a:b', 'p')).toThrow(/cannot contain ':'/);
  });

  it('refuses a malformed file by line, never echoing it; a plain-text password is refused, not compared', () => {
    expect(() => parsePasswordFile('ok:' + hashPassword('p') + '\nrobot:hunter2-secret\n', 'password file f')).toThrow(PasswordFileError);
    try {
      parsePasswordFile('ok:' + hashPassword('p') + '\nrobot:hunter2-secret\n', 'password file f');
    } catch (err) {
      expect((err as Error).message).toMatch(/^password file f, line 2: the password is not a \$7\$/);
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(verifyPassword('hunter2', 'hunter2')).toBe(false);
    expect(verifyPassword('$7$999999999$AAAA$AAAA', 'x')).toBe(false); // iterations past the bound: refused, not computed
  });

  it('engram passwd writes a file mosquitto_passwd and the embedded broker both read, readable by its owner only', { timeout: 90_000 }, () => {
    const file = join(dir, 'cli.passwd');
    const cli = (args: string[], input?: string) => spawnSync(process.execPath, ['--import', 'tsx', resolve('src/agent/cli.ts'), 'passwd', file, ...args], { encoding: 'utf8', input });
    expect(cli(['arm-1'], 'from stdin\n')).toMatchObject({ status: 0, stdout: `${file}: added 'arm-1'\n` });
    expect(cli(['op', '--password', 'given'])).toMatchObject({ status: 0, stdout: `${file}: added 'op'\n` });
    expect(cli(['arm-1'], 'changed\n').stdout).toBe(`${file}: changed 'arm-1'\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const users = readPasswordFile(file);
    expect(verifyPassword(users.get('arm-1')!, 'changed')).toBe(true);
    expect(verifyPassword(users.get('op')!, 'given')).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toMatch(/changed|given/);
    if (existsSync(MOSQUITTO_PASSWD)) {
      // mosquitto_passwd updates the same file in place, keeping engram's entries
      expect(spawnSync(MOSQUITTO_PASSWD, ['-b', file, 'arm-2', 'two']).status).toBe(0);
      expect([...readPasswordFile(file).keys()].sort()).toEqual(['arm-1', 'arm-2', 'op']);
    }
    expect(cli(['op', '--delete']).stdout).toBe(`${file}: removed 'op'\n`);
    const bad = cli(['x:y', '--password', 'p']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/cannot contain ':'/);
  });
});

describe('ACL files in mosquitto’s syntax', () => {
  it('decides as mosquitto: user blocks, patterns with %u and %c, readwrite by default, deny first', () => {
    const acl = Acl.parse(
      ['topic read public/#', 'user alice', 'topic a/#', 'topic deny a/secret', 'user bob', 'topic write b/+/in', 'pattern read dev/%u/cmd/#', 'pattern write dev/%c/state', ''].join('\n'),
      't',
    );
    expect(acl.allows('alice', 'c1', 'a/x/y', 'write')).toBe(true);
    expect(acl.allows('alice', 'c1', 'a/x/y', 'read')).toBe(true);
    expect(acl.allows('alice', 'c1', 'a/secret', 'read')).toBe(false);
    expect(acl.allows('bob', 'c2', 'b/9/in', 'write')).toBe(true);
    expect(acl.allows('bob', 'c2', 'b/9/in', 'read')).toBe(false);
    expect(acl.allows('bob', 'c2', 'a/x', 'read')).toBe(false);
    expect(acl.allows('bob', 'c2', 'dev/bob/cmd/go', 'read')).toBe(true);
    expect(acl.allows('bob', 'c2', 'dev/alice/cmd/go', 'read')).toBe(false);
    expect(acl.allows('bob', 'c2', 'dev/c2/state', 'write')).toBe(true);
    // lines before the first user are for anonymous clients only
    expect(acl.allows(undefined, 'anon', 'public/x', 'read')).toBe(true);
    expect(acl.allows('bob', 'c2', 'public/x', 'read')).toBe(false);
    // a username that would widen a pattern is not substituted
    expect(acl.allows('+', 'c3', 'dev/x/cmd/go', 'read')).toBe(false);
    expect(acl.allows('a/b', 'c3', 'dev/a/b/cmd/go', 'read')).toBe(false);
    // subscriptions: inside a read grant, never touching a deny
    expect(acl.allowsSubscribe('bob', 'c2', 'dev/bob/cmd/#')).toBe(true);
    expect(acl.allowsSubscribe('bob', 'c2', 'dev/+/cmd/#')).toBe(false);
    expect(acl.allowsSubscribe('alice', 'c1', 'a/#')).toBe(false);
    expect(acl.allowsSubscribe('alice', 'c1', 'a/x/#')).toBe(true);
  });

  it('refuses a malformed file naming the line', () => {
    expect(() => Acl.parse('user r\ntopic read a/#/b\n', 'ACL file f')).toThrow(new AclFileError('ACL file f, line 2: not a valid topic filter (+ and # stand alone in a level, # only last)'));
    expect(() => Acl.parse('usr r\n', 'ACL file f')).toThrow(/line 1: expected 'user', 'topic' or 'pattern'/);
  });

  it('the shipped docs/mqtt-acl.conf is the built-in ACL; robots, operators and the agent get what the issue asks', () => {
    const text = readFileSync(new URL('../../docs/mqtt-acl.conf', import.meta.url), 'utf8');
    expect(text).toBe(aclTemplate());
    const acl = Acl.parse(text, 'docs/mqtt-acl.conf');
    // a robot: its own state, keys, status, results and description out; its own commands in
    for (const t of ['state', 'keys', 'status', 'result', 'description']) expect(acl.allows('arm-1', 'x', `engram/robots/arm-1/${t}`, 'write')).toBe(true);
    expect(acl.allows('arm-1', 'x', 'engram/robots/arm-2/state', 'write')).toBe(false);
    expect(acl.allows('arm-1', 'x', 'engram/robots/arm-1/cmd/trajectory', 'read')).toBe(true);
    expect(acl.allows('arm-1', 'x', 'engram/robots/arm-2/cmd/trajectory', 'read')).toBe(false);
    expect(acl.allows('arm-1', 'x', 'engram/robots/arm-1/cmd/trajectory', 'write')).toBe(false);
    expect(acl.allows('arm-1', 'x', 'engram/agent/cmd', 'write')).toBe(false);
    // only an operator commands the agent; only the agent commands robots
    expect(acl.allows('operator', 'x', 'engram/agent/cmd', 'write')).toBe(true);
    expect(acl.allows('operator', 'x', 'engram/robots/arm-1/cmd/stop', 'write')).toBe(false);
    expect(acl.allows('engram-agent', 'x', 'engram/robots/arm-1/cmd/stop', 'write')).toBe(true);
    expect(acl.allows('engram-agent', 'x', 'engram/agent/cmd', 'write')).toBe(false);
    // the gripper: only the agent commands it, only the robot answers for it, an operator neither
    expect(acl.allows('engram-agent', 'x', 'engram/robots/arm-1/cmd/gripper', 'write')).toBe(true);
    expect(acl.allows('arm-1', 'x', 'engram/robots/arm-1/cmd/gripper', 'read')).toBe(true);
    expect(acl.allows('operator', 'x', 'engram/robots/arm-1/cmd/gripper', 'write')).toBe(false);
    expect(acl.allows('arm-1', 'x', 'engram/robots/arm-1/gripper', 'write')).toBe(true);
    expect(acl.allows('arm-2', 'x', 'engram/robots/arm-1/gripper', 'write')).toBe(false);
    expect(acl.allows('engram-agent', 'x', 'engram/robots/arm-1/gripper', 'read')).toBe(true);
    expect(isCommandTopic('engram/robots/a/cmd/gripper')).toBe(true);
    expect(isCommandTopic('engram/agent/cmd') && isCommandTopic('engram/robots/a/cmd/stop')).toBe(true);
    expect(isCommandTopic('engram/robots/a/state') || isCommandTopic('engram/agent/state')).toBe(false);
  });
});
