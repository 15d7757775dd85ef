import { readFileSync } from 'node:fs';

/**
 * Access control lists in mosquitto's `acl_file` syntax, so one file serves the embedded broker and an
 * external mosquitto:
 *
 *   # comment
 *   user <username>                             the topic lines below are this user's
 *   topic [read|write|readwrite|deny] <filter>  (no access word: readwrite)
 *   pattern [read|write|readwrite|deny] <filter> for every user; %u is the username, %c the client id
 *
 * topic lines before the first user line are for anonymous clients (which engram never admits).
 * Decisions as mosquitto 2.0 takes them: a matching deny wins, then a matching grant with the access
 * asked, else denied; a pattern is not applied for a username or client id containing + # or /.
 */

export type Access = 'read' | 'write' | 'readwrite' | 'deny';

interface Rule {
  access: Access;
  /** The topic filter, split at '/'; in a pattern it may hold %u and %c levels. */
  levels: string[];
}

export class AclFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AclFileError';
  }
}

const ACCESS = new Set<string>(['read', 'write', 'readwrite', 'deny']);

/** Does an MQTT topic filter match a topic (both split at '/')? Wildcards do not match topics beginning with $. */
function filterMatches(filter: readonly string[], topic: readonly string[]): boolean {
  if (topic[0]?.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === '#') return true;
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** Is every topic that `sub` matches also matched by `rule`? */
function covers(rule: readonly string[], sub: readonly string[]): boolean {
  for (let i = 0; i < rule.length; i++) {
    const r = rule[i];
    if (r === '#') return true;
    if (i >= sub.length) return false;
    const s = sub[i];
    if (s === '#') return false;
    if (r !== '+' && r !== s) return false;
  }
  return rule.length === sub.length;
}

/** Could some topic be matched by both filters? */
function intersects(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === '#' || y === '#') return true;
    if (x === undefined || y === undefined) return false;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
  return true;
}

const grants = (rule: Access, want: 'read' | 'write') => rule === 'readwrite' || rule === want;

export class Acl {
  readonly #users = new Map<string, Rule[]>();
  readonly #anonymous: Rule[] = [];
  readonly #patterns: Rule[] = [];

  /** Parses an ACL's text; `where` names it in errors (line numbers, never the content). */
  static parse(text: string, where: string): Acl {
    const acl = new Acl();
    let current: Rule[] = acl.#anonymous;
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.replace(/^\s+/, '').replace(/\s+$/, '');
      if (line === '' || line.startsWith('#')) return;
      const bad = (why: string) => new AclFileError(`${where}, line ${i + 1}: ${why}`);
      const [word] = line.split(/\s+/, 1);
      const rest = line.slice(word!.length).trim();
      if (word === 'user') {
        if (rest === '') throw bad("'user' needs a username");
        current = acl.#users.get(rest) ?? [];
        acl.#users.set(rest, current);
      } else if (word === 'topic' || word === 'pattern') {
        let access: Access = 'readwrite';
        let filter = rest;
        const first = rest.split(/\s+/, 1)[0]!;
        if (ACCESS.has(first) && rest.length > first.length) {
          access = first as Access;
          filter = rest.slice(first.length).trim();
        }
        if (filter === '') throw bad(`'${word}' needs a topic filter`);
        const levels = filter.split('/');
        if (levels.some((l, k) => (l.includes('#') && (l !== '#' || k !== levels.length - 1)) || (l.includes('+') && l !== '+'))) throw bad('not a valid topic filter (+ and # stand alone in a level, # only last)');
        (word === 'pattern' ? acl.#patterns : current).push({ access, levels });
      } else throw bad("expected 'user', 'topic' or 'pattern'");
    });
    return acl;
  }

  static read(file: string): Acl {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AclFileError(`ACL file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
    }
    return Acl.parse(text, `ACL file ${file}`);
  }

  /** The rules that apply to this client, patterns filled in (a pattern whose %u/%c cannot be filled is left out). */
  rulesFor(username: string | undefined, clientId: string): Rule[] {
    const own = username === undefined ? this.#anonymous : (this.#users.get(username) ?? []);
    const unsafe = (s: string | undefined) => s === undefined || /[+#/]/.test(s);
    const patterns: Rule[] = [];
    for (const p of this.#patterns) {
      if (p.levels.includes('%u') && unsafe(username)) continue;
      if (p.levels.includes('%c') && unsafe(clientId)) continue;
      patterns.push({ access: p.access, levels: p.levels.map((l) => (l === '%u' ? username! : l === '%c' ? clientId : l)) });
    }
    return [...own, ...patterns];
  }

  /** May this client publish to (write) or receive from (read) the topic? */
  allows(username: string | undefined, clientId: string, topic: string, want: 'read' | 'write', rules = this.rulesFor(username, clientId)): boolean {
    const t = topic.split('/');
    if (rules.some((r) => r.access === 'deny' && filterMatches(r.levels, t))) return false;
    return rules.some((r) => grants(r.access, want) && filterMatches(r.levels, t));
  }

  /**
   * May this client subscribe with this filter? Only when a read grant covers all of it and no deny
   * touches it; what is delivered is checked message by message as well (allows(..., 'read')).
   */
  allowsSubscribe(username: string | undefined, clientId: string, filter: string, rules = this.rulesFor(username, clientId)): boolean {
    const f = filter.split('/');
    if (rules.some((r) => r.access === 'deny' && intersects(r.levels, f))) return false;
    return rules.some((r) => grants(r.access, 'read') && covers(r.levels, f));
  }
}
