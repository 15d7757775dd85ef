import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Password files in mosquitto's format, one `username:hash` a line, as mosquitto 2.0's `mosquitto_passwd`
 * writes them:
 *
 *   $7$<iterations>$<salt, base64>$<PBKDF2-HMAC-SHA512 of the password, 64 bytes, base64>   (2.0's default)
 *   $6$<salt, base64>$<SHA-512 of password + salt, base64>                                  (1.6 and earlier)
 *
 * so the same file serves the embedded broker and an external mosquitto (`password_file`).
 */

/** A password file that cannot be used: names the file and line, never its content. */
export class PasswordFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

/** mosquitto_passwd's defaults: 12 bytes of salt, 101 iterations, a 64-byte key. */
const SALT_BYTES = 12;
export const PBKDF2_ITERATIONS = 101;
const KEY_BYTES = 64;

/** A `$7$` entry for this password with a fresh random salt. */
export function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): string {
  const salt = randomBytes(SALT_BYTES);
  const key = pbkdf2Sync(password, salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Most PBKDF2 iterations a file may ask for (a hostile file must not stall every connect). */
const MAX_ITERATIONS = 1_000_000;

/** Checks a password against a `$7$` or `$6$` entry in constant time; false for anything malformed. */
export function verifyPassword(encoded: string, password: string | Buffer): boolean {
  const parts = encoded.split('$');
  let expected: Buffer;
  let actual: Buffer;
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (parts.length === 5 && parts[0] === '' && parts[1] === '7') {
    const iterations = Number(parts[2]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return false;
    const salt = Buffer.from(parts[3]!, 'base64');
    expected = Buffer.from(parts[4]!, 'base64');
    if (salt.length === 0 || expected.length === 0) return false;
    actual = pbkdf2Sync(pw, salt, iterations, expected.length, 'sha512');
  } else if (parts.length === 4 && parts[0] === '' && parts[1] === '6') {
    const salt = Buffer.from(parts[2]!, 'base64');
    expected = Buffer.from(parts[3]!, 'base64');
    if (salt.length === 0 || expected.length !== 64) return false;
    actual = createHash('sha512').update(pw).update(salt).digest();
  } else return false;
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const HASH_FORM = /^\$(7\$\d+\$[A-Za-z0-9+/=]+|6)\$[A-Za-z0-9+/=]+(\$[A-Za-z0-9+/=]+)?$/;

/** The entries of a password file's text: username -> hash. `where` names the file in errors. */
export function parsePasswordFile(text: string, where: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0) throw new PasswordFileError(`${where}, line ${i + 1}: not 'username:hash'`);
    if (!HASH_FORM.test(hash)) {
      throw new PasswordFileError(`${where}, line ${i + 1}: the password is not a $7$ (PBKDF2-SHA512) or $6$ (SHA-512) hash: write entries with 'engram passwd' or mosquitto_passwd`);
    }
    users.set(user, hash);
  });
  return users;
}

export function readPasswordFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PasswordFileError(`password file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
  }
  return parsePasswordFile(text, `password file ${file}`);
}

/** A username mosquitto can store: no ':' (the separator), no control characters, not empty. */
export function checkUsername(user: string): string | null {
  if (user.length === 0) return 'a username cannot be empty';
  if (user.length > 128) return 'a username is at most 128 characters';
  if (/[:\s\u0000-\u001f\u007f]/.test(user)) return "a username cannot contain ':', spaces or control characters";
  return null;
}

/** The file's text with `user` set to a new hash of `password` (added at the end, or replaced in place), or removed when password is null. */
export function setPasswordEntry(text: string, user: string, password: string | null): string {
  const problem = checkUsername(user);
  if (problem) throw new PasswordFileError(problem);
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const entry = password === null ? null : `${user}:${hashPassword(password)}`;
  const at = lines.findIndex((l) => l.trim().startsWith(`${user}:`));
  if (at >= 0) {
    if (entry === null) lines.splice(at, 1);
    else lines[at] = entry;
  } else if (entry !== null) lines.push(entry);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** A random password (24 bytes, base64url: 32 characters). */
export function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}
