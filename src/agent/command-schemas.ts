import { Ajv, type ErrorObject } from 'ajv';
import type { AgentCommand } from './commands.js';

/**
 * JSON Schemas of the agent's commands (draft-07, checked with ajv): the same on every channel. MQTT
 * messages carry id and replyTo; the web and ROS answer on their own route and need no replyTo.
 */
/** Most samples in a demonstration sent whole (an hour at 25 Hz, a minute at 500 Hz). */
export const MAX_SAMPLES = 90_000;
/** A learned MIDI file's size, as base64 (3 MB of file). */
export const MAX_MIDI_BASE64 = 4_000_000;
/** Deepest nesting of objects and arrays in a message (the deepest command needs 4). */
export const MAX_DEPTH = 16;
/** A command message's size, bytes: a learn's MIDI, or a long demonstration (HTTP bodies have the same bound, serve.ts). */
export const MAX_MESSAGE_BYTES = 8 << 20;

const base = {
  id: { type: 'string', minLength: 1, maxLength: 128 },
  replyTo: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
};
/** Titles and skill names: what the memory keeps (a longer one is refused, not cut). */
export const MAX_TITLE_CHARS = 256;
const title = { type: 'string', minLength: 1, maxLength: MAX_TITLE_CHARS };
/** Tempo: the pacemaker's rate, 1 = as learned (slower than 0.1x a piece would take hours). */
const tempo = { type: 'number', minimum: 0.1, maximum: 8 };
/** Seconds of a performance or a recording: at most an hour. */
const seconds = { type: 'number', exclusiveMinimum: 0, maximum: 3600 };
/** Joint positions and times: finite numbers of a sane size (JSON has no Infinity, but 1e308 parses). */
const finite = { type: 'number', minimum: -1e9, maximum: 1e9 };
const fragmentNotes = {
  type: 'array',
  minItems: 1,
  maxItems: 256,
  items: {
    type: 'object',
    required: ['symbol'],
    additionalProperties: false,
    properties: { symbol: { type: 'integer', minimum: 0, maximum: 1023 }, duration: { type: 'number', minimum: 0, maximum: 3600 } },
  },
};

/** Notes of the matched track a continuation plays on (the other tracks join in): the arms play a bounded stretch. */
const continuationCount = { type: 'integer', minimum: 1, maximum: 256 };

/** A gripper state: 0 = open .. 1 = closed, or the words. */
const gripper = { anyOf: [{ type: 'number', minimum: 0, maximum: 1 }, { enum: ['open', 'closed'] }] };

const robotId = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const robotIds = { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: robotId };

/** A skill's joints by name and range (a demonstration sent with its own joints). */
const skillJoints = {
  type: 'array',
  minItems: 1,
  maxItems: 32,
  items: { type: 'object', required: ['name', 'min', 'max'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, min: finite, max: finite } },
};
/** Joint samples of a demonstration: time (s) and one position (rad) per joint. */
const demoSamples = {
  type: 'array',
  minItems: 2,
  maxItems: MAX_SAMPLES,
  items: {
    type: 'object',
    required: ['time', 'positions'],
    additionalProperties: false,
    properties: { time: finite, positions: { type: 'array', minItems: 1, maxItems: 32, items: finite }, gripper },
  },
};

export const COMMAND_SCHEMAS: Record<string, object> = {
  status: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'status' } } },
  list: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'list' } } },
  recall: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'title'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'recall' }, title, tempo, tracks: { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: 1023 } } },
  },
  identify: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'notes'],
    additionalProperties: false,
    // neighbours: symbols this far apart count as the same (a skill's fragment: 1, a pose in the next bin)
    properties: { ...base, command: { const: 'identify' }, notes: fragmentNotes, unit: { enum: ['seconds', 'relative'] }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, neighbours: { type: 'integer', minimum: 0, maximum: 2 } },
  },
  complete: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'notes'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'complete' }, notes: fragmentNotes, unit: { enum: ['seconds', 'relative'] }, count: { type: 'integer', minimum: 1, maximum: 4096 }, tempo },
  },
  learn: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'title', 'midi'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'learn' }, title, midi: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$', minLength: 4, maxLength: MAX_MIDI_BASE64 } },
  },
  perform: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'title'],
    additionalProperties: false,
    properties: {
      ...base,
      command: { const: 'perform' },
      title,
      tempo,
      seconds,
      robots: robotIds,
      fit: { type: 'boolean' },
    },
  },
  teach: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'skill'],
    additionalProperties: false,
    properties: {
      ...base,
      command: { const: 'teach' },
      skill: title,
      robot: robotId,
      seconds,
      tolerance: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      joints: skillJoints,
      samples: demoSamples,
    },
  },
  // "what is this skill?": joint samples of a motion so far, heard in the pose code of the skills taught
  // in that robot's joints (or the joints given); complete: perform the rest of the skill named on the robot
  'identify-skill': {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'samples'],
    additionalProperties: false,
    properties: {
      ...base,
      command: { const: 'identify-skill' },
      robot: robotId,
      joints: skillJoints,
      samples: demoSamples,
      limit: { type: 'integer', minimum: 1, maximum: 1000 },
      complete: { type: 'boolean' },
      tempo,
      fit: { type: 'boolean' },
    },
  },
  grip: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'robot', 'gripper'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'grip' }, robot: robotId, gripper },
  },
  jog: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'robot', 'positions'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'jog' }, robot: robotId, positions: { type: 'array', minItems: 1, maxItems: 32, items: finite } },
  },
  forget: { type: 'object', required: ['id', 'replyTo', 'command', 'title'], additionalProperties: false, properties: { ...base, command: { const: 'forget' }, title } },
  rename: { type: 'object', required: ['id', 'replyTo', 'command', 'title', 'to'], additionalProperties: false, properties: { ...base, command: { const: 'rename' }, title, to: title } },
  stop: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'stop' }, robots: robotIds } },
  resume: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'resume' }, robots: robotIds } },
  memory: {
    type: 'object',
    required: ['id', 'replyTo', 'command'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'memory' }, title: { type: 'string', minLength: 1, maxLength: 256 }, track: { type: 'integer', minimum: 0, maximum: 1023 }, maxNotes: { type: 'integer', minimum: 1, maximum: 2000 } },
  },
  continue: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'notes'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'continue' }, notes: fragmentNotes, unit: { enum: ['seconds', 'relative'] }, count: continuationCount, tempo, seconds: { ...seconds, maximum: 600 } },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false });
// a Map, not an object: a command named '__proto__' or 'hasOwnProperty' must find nothing
const validators = new Map(Object.entries(COMMAND_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

/** A command name as it may appear in an error: short, never the whole input. */
const commandName = (c: string) => `'${clip(c, 32)}'`;

/**
 * Text from the input, or a message that may quote it, cut to `max` characters ('...' says it was cut).
 * The default leaves whole any message built from bounded parts (a controller's text naming every
 * joint) and stops one that quotes an input whole.
 */
export function clip(text: string, max = 1000): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/**
 * Whether JSON text nests objects and arrays deeper than `max`, found by one pass over the text (no
 * parse: the depth is refused before anything is built from it).
 */
export function tooDeep(text: string, max = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export type CheckedMessage = { ok: true; message: Record<string, unknown> & { id: string; replyTo: string; command: string } } | { ok: false; id?: string; replyTo?: string; error: string };

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : e.params && 'missingProperty' in e.params ? String(e.params.missingProperty) : '(message)';
  if (e.keyword === 'required') return `${String((e.params as { missingProperty: string }).missingProperty)}: is required`;
  if (e.keyword === 'uniqueItems') {
    const { i, j } = e.params as { i: number; j: number };
    return `${clip(where, 64)}: an item is named twice (items ${Math.min(i, j)} and ${Math.max(i, j)})`;
  }
  if (e.keyword === 'additionalProperties') return `${clip(String((e.params as { additionalProperty: string }).additionalProperty), 32)}: is not a field of this command`;
  // ajv's messages name the rule broken (a bound, a type, a pattern of the schema), never the value
  return `${clip(where, 64)}: ${e.message ?? 'is invalid'}`;
}

/** Parses and validates one incoming payload; the error names the field, the command or the fault. */
export function checkCommand(payload: Buffer | string): CheckedMessage {
  if (payload.length > MAX_MESSAGE_BYTES) return { ok: false, error: `message: over ${MAX_MESSAGE_BYTES} bytes` };
  const text = payload.toString();
  if (tooDeep(text)) return { ok: false, error: `message: nested deeper than ${MAX_DEPTH} levels` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'message: not valid JSON' };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, error: 'message: must be a JSON object' };
  const o = raw as Record<string, unknown>;
  // the reply is matched by id: quoted back only when it is a valid one (never a long input)
  const id = typeof o.id === 'string' && o.id.length <= 128 ? o.id : undefined;
  const replyTo = typeof o.replyTo === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(o.replyTo) ? o.replyTo : undefined;
  if (typeof o.command !== 'string') return { ok: false, id, replyTo, error: 'command: is required (one of ' + Object.keys(COMMAND_SCHEMAS).join(', ') + ')' };
  const v = validators.get(o.command);
  if (!v) return { ok: false, id, replyTo, error: `command: unknown command ${commandName(o.command)} (one of ${Object.keys(COMMAND_SCHEMAS).join(', ')})` };
  if (!v(o)) return { ok: false, id, replyTo, error: describe(v.errors![0]!) };
  // what a schema cannot say: joints are matched by name, so a name may come once
  if (Array.isArray(o.joints) && new Set((o.joints as Array<{ name: string }>).map((j) => j.name)).size !== o.joints.length) return { ok: false, id, replyTo, error: 'joints: a joint name is given twice' };
  return { ok: true, message: o as CheckedMessage extends { ok: true; message: infer M } ? M : never };
}

/**
 * Checks a command from a channel that answers on its own route (web, ROS): no replyTo needed; id
 * optional unless `requireId` (a ROS topic answer is matched by it). Returns the command without id and
 * replyTo, ready for AgentCore.run, or the error.
 */
export function checkRoutedCommand(body: unknown, channel: string, options: { requireId?: boolean } = {}): { ok: true; id: string | null; command: AgentCommand } | { ok: false; id: string | null; error: string } {
  const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  let text: string | null = null;
  try {
    if (obj) text = JSON.stringify({ ...(options.requireId ? {} : { id: channel }), replyTo: channel, ...obj });
  } catch {
    // nested deeper than the stack (JSON.parse takes more than JSON.stringify gives back)
    return { ok: false, id: null, error: 'message: nested too deeply' };
  }
  const checked = text !== null ? checkCommand(text) : ({ ok: false, error: 'message: must be a JSON object' } as const);
  const id = typeof obj?.id === 'string' && obj.id.length <= 128 ? obj.id : null;
  if (!checked.ok) return { ok: false, id, error: checked.error };
  return { ok: true, id, command: withoutRoute(checked.message) };
}

/**
 * checkRoutedCommand for a command given as JSON text (ROS): its size and nesting are checked before
 * it is parsed.
 */
export function checkRoutedText(text: unknown, channel: string, options: { requireId?: boolean } = {}): ReturnType<typeof checkRoutedCommand> {
  if (typeof text !== 'string') return { ok: false, id: null, error: 'message: must be JSON text' };
  if (text.length > MAX_MESSAGE_BYTES) return { ok: false, id: null, error: `message: over ${MAX_MESSAGE_BYTES} bytes` };
  if (tooDeep(text)) return { ok: false, id: null, error: `message: nested deeper than ${MAX_DEPTH} levels` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: 'message: not valid JSON' };
  }
  return checkRoutedCommand(raw, channel, options);
}

/** A checked message as a command: its routing fields (id, replyTo) taken off. */
function withoutRoute(message: Record<string, unknown>): AgentCommand {
  const { id: _id, replyTo: _replyTo, ...command } = message;
  return command as AgentCommand;
}

/**
 * What the page sends (POST /api/perform): a title, and optionally the tempo and seconds to play; or,
 * to play along, the notes played so far (a fragment) and how many notes to play on from them.
 */
export type PerformRequest =
  | { title: string; tempo?: number; seconds?: number }
  | { notes: Array<{ symbol: number; duration?: number }>; unit?: 'seconds' | 'relative'; count?: number; tempo?: number; seconds?: number };

const checkPerform = ajv.compile({
  type: 'object',
  required: ['title'],
  additionalProperties: false,
  properties: { title, tempo, seconds: { ...seconds, maximum: 600 } },
});

const checkPerformFrom = ajv.compile({
  type: 'object',
  required: ['notes'],
  additionalProperties: false,
  properties: { notes: fragmentNotes, unit: { enum: ['seconds', 'relative'] }, count: continuationCount, tempo, seconds: { ...seconds, maximum: 600 } },
});

/** Checks a /api/perform body; the error names the field and the bound, never the value. */
export function checkPerformRequest(body: unknown): { ok: true; request: PerformRequest } | { ok: false; error: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, error: 'request body: must be a JSON object' };
  const check = 'notes' in body ? checkPerformFrom : checkPerform;
  if (!check(body)) return { ok: false, error: describe(check.errors![0]!) };
  return { ok: true, request: body as PerformRequest };
}
