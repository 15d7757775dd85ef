import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parsePasswordFile, setPasswordEntry } from '../../bridge/mqtt/passwords.js';

/**
 * `engram passwd <file> <user>`: sets (or, with password null, removes) a user in a password file in
 * mosquitto's format, written whole to a temporary file and renamed over it (mode 0600). Returns what
 * it did, without the password.
 */
export function setMqttPassword(file: string, user: string, password: string | null): string {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  // a file we cannot read back is not rewritten
  const had = parsePasswordFile(before, `password file ${file}`).has(user);
  if (password === null && !had) return `${file}: no user '${user}'`;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, setPasswordEntry(before, user, password), { mode: 0o600 });
  renameSync(tmp, file);
  return password === null ? `${file}: removed '${user}'` : `${file}: ${had ? 'changed' : 'added'} '${user}'`;
}
