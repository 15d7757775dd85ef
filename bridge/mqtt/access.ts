import { Acl } from './acl.js';
import { hashPassword, readPasswordFile } from './passwords.js';

/**
 * Who may do what on the agent's broker: the password entries (username -> mosquitto hash) and the ACL.
 * The embedded broker enforces it (broker.ts); an external mosquitto is given the same two files.
 */
export interface BrokerAccess {
  passwords: Map<string, string>;
  acl: Acl;
  /** The topic prefix (default engram): retained messages are refused on its command topics. */
  prefix?: string;
}

/** The agent's own MQTT username unless another is given. */
export const AGENT_USER = 'engram-agent';
/** The operator the built-in ACL names (and `engram serve` makes credentials for when no password file is given). */
export const OPERATOR_USER = 'operator';

/**
 * The ACL engram ships (docs/mqtt-acl.conf is this text for the prefix engram): the agent takes
 * commands and commands robots; an operator commands the agent; each robot, logged in with its robot id
 * as username, publishes only its own description, status, state, keys, results and gripper results and reads only its
 * own commands. Nobody else may write a command topic.
 */
export function aclTemplate(prefix = 'engram', agent = AGENT_USER, operators: string[] = [OPERATOR_USER]): string {
  const p = prefix;
  const lines = [
    "# engram's MQTT access control, in mosquitto's acl_file syntax: the embedded broker (engram serve",
    '# --mqtt-acl <file>) and mosquitto (acl_file <file>) read the same file. Usernames are those of the',
    "# password file (engram passwd or mosquitto_passwd). A robot's username is its robot id; the agent's,",
    '# the operators\' and the robots\' names must all differ.',
    '',
    '# The agent: takes commands and answers them, reports events and its state; commands the robots and',
    '# hears their descriptions, status, joint states, keys, goal and gripper results.',
    `user ${agent}`,
    `topic read ${p}/agent/cmd`,
    `topic write ${p}/agent/resp/#`,
    `topic write ${p}/agent/events`,
    `topic write ${p}/agent/state`,
    `topic write ${p}/robots/+/cmd/#`,
    ...['description', 'status', 'state', 'keys', 'result', 'gripper'].map((t) => `topic read ${p}/robots/+/${t}`),
  ];
  for (const op of operators) {
    lines.push(
      '',
      '# An operator (one such block for each): commands the agent, reads its answers, events and state.',
      `user ${op}`,
      `topic write ${p}/agent/cmd`,
      `topic read ${p}/agent/resp/#`,
      `topic read ${p}/agent/events`,
      `topic read ${p}/agent/state`,
      `topic read ${p}/robots/+/status`,
    );
  }
  lines.push(
    '',
    '# Every robot (username = robot id): its own topics out, its own commands in, nothing else.',
    ...['description', 'status', 'state', 'keys', 'result', 'gripper'].map((t) => `pattern write ${p}/robots/%u/${t}`),
    `pattern read ${p}/robots/%u/cmd/#`,
    '',
  );
  return lines.join('\n');
}

/** Access from a password file and an ACL file (the built-in ACL when none is named). */
export function readAccess(passwordFile: string, aclFile?: string, prefix = 'engram'): BrokerAccess {
  return { passwords: readPasswordFile(passwordFile), acl: aclFile ? Acl.read(aclFile) : Acl.parse(aclTemplate(prefix), 'the built-in ACL'), prefix };
}

/** Adds (or replaces) in-memory entries: the agent's own and its simulated robots' generated credentials. */
export function addCredentials(access: BrokerAccess, credentials: Record<string, string>): BrokerAccess {
  for (const [user, password] of Object.entries(credentials)) access.passwords.set(user, hashPassword(password));
  return access;
}

/** Is this a command topic (the agent's or a robot's), where retained messages are refused? */
export function isCommandTopic(topic: string, prefix = 'engram'): boolean {
  if (topic === `${prefix}/agent/cmd`) return true;
  const rest = topic.startsWith(`${prefix}/robots/`) ? topic.slice(prefix.length + 8).split('/') : null;
  return rest !== null && rest.length >= 3 && rest[1] === 'cmd';
}
