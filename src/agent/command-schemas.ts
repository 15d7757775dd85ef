import { Ajv, type ErrorObject } from 'ajv';
import type { AgentCommand } from './commands.js';

/**
 * JSON Schemas of the agent's commands (draft-07, checked with ajv): the same on every channel. MQTT
 * messages carry id and replyTo; the web and ROS answer on their own route and need no replyTo.
 */
const base = {
  id: { type: 'string', minLength: 1, maxLength: 128 },
  replyTo: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
};
const fragmentNotes = {
  type: 'array',
  minItems: 1,
  maxItems: 256,
  items: {
    type: 'object',
    required: ['symbol'],
    additionalProperties: false,
    properties: { symbol: { type: 'integer', minimum: 0, maximum: 1023 }, duration: { type: 'number', minimum: 0 } },
  },
};

const robotId = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const robotIds = { type: 'array', minItems: 1, maxItems: 64, items: robotId };

export const COMMAND_SCHEMAS: Record<string, object> = {
  status: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'status' } } },
  memory: {
    type: 'object',
    required: ['id', 'replyTo', 'command'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'memory' }, title: { type: 'string', minLength: 1, maxLength: 256 }, track: { type: 'integer', minimum: 0, maximum: 1023 }, maxNotes: { type: 'integer', minimum: 1, maximum: 2000 } },
  },
  list: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'list' } } },
  recall: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'title'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'recall' }, title: { type: 'string', minLength: 1 }, tempo: { type: 'number', exclusiveMinimum: 0, maximum: 16 }, tracks: { type: 'array', items: { type: 'integer', minimum: 0 } } },
  },
  identify: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'notes'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'identify' }, notes: fragmentNotes, unit: { enum: ['seconds', 'relative'] }, limit: { type: 'integer', minimum: 1 } },
  },
  complete: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'notes'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'complete' }, notes: fragmentNotes, unit: { enum: ['seconds', 'relative'] }, count: { type: 'integer', minimum: 1, maximum: 4096 }, tempo: { type: 'number', exclusiveMinimum: 0 } },
  },
  learn: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'title', 'midi'],
    additionalProperties: false,
    properties: { ...base, command: { const: 'learn' }, title: { type: 'string', minLength: 1, maxLength: 256 }, midi: { type: 'string', contentEncoding: 'base64', minLength: 4, maxLength: 4_000_000 } },
  },
  perform: {
    type: 'object',
    required: ['id', 'replyTo', 'command', 'title'],
    additionalProperties: false,
    properties: {
      ...base,
      command: { const: 'perform' },
      title: { type: 'string', minLength: 1 },
      tempo: { type: 'number', exclusiveMinimum: 0, maximum: 8 },
      seconds: { type: 'number', exclusiveMinimum: 0 },
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
      skill: { type: 'string', minLength: 1, maxLength: 256 },
      robot: robotId,
      seconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
      tolerance: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      joints: {
        type: 'array',
        minItems: 1,
        maxItems: 32,
        items: { type: 'object', required: ['name', 'min', 'max'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, min: { type: 'number' }, max: { type: 'number' } } },
      },
      samples: {
        type: 'array',
        minItems: 2,
        maxItems: 200_000,
        items: {
          type: 'object',
          required: ['time', 'positions'],
          additionalProperties: false,
          properties: { time: { type: 'number' }, positions: { type: 'array', minItems: 1, maxItems: 32, items: { type: 'number' } } },
        },
      },
    },
  },
  stop: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'stop' }, robots: robotIds } },
  resume: { type: 'object', required: ['id', 'replyTo', 'command'], additionalProperties: false, properties: { ...base, command: { const: 'resume' }, robots: robotIds } },
};

const ajv = new Ajv({ allErrors: false, strict: false });
// a Map, not an object: a command named '__proto__' or 'hasOwnProperty' must find nothing
const validators = new Map(Object.entries(COMMAND_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

/** A command name as it may appear in an error: short, never the whole input. */
const commandName = (c: string) => (c.length > 32 ? `'${c.slice(0, 32)}...'` : `'${c}'`);

export type CheckedMessage = { ok: true; message: Record<string, unknown> & { id: string; replyTo: string; command: string } } | { ok: false; id?: string; replyTo?: string; error: string };

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : e.params && 'missingProperty' in e.params ? String(e.params.missingProperty) : '(message)';
  if (e.keyword === 'required') return `${String((e.params as { missingProperty: string }).missingProperty)}: is required`;
  if (e.keyword === 'additionalProperties') return `${String((e.params as { additionalProperty: string }).additionalProperty)}: is not a field of this command`;
  return `${where}: ${e.message ?? 'is invalid'}`;
}

/** Parses and validates one incoming payload; the error names the field, the command or the fault. */
export function checkCommand(payload: Buffer | string): CheckedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString());
  } catch {
    return { ok: false, error: 'message: not valid JSON' };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, error: 'message: must be a JSON object' };
  const o = raw as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id : undefined;
  const replyTo = typeof o.replyTo === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(o.replyTo) ? o.replyTo : undefined;
  if (typeof o.command !== 'string') return { ok: false, id, replyTo, error: 'command: is required (one of ' + Object.keys(COMMAND_SCHEMAS).join(', ') + ')' };
  const v = validators.get(o.command);
  if (!v) return { ok: false, id, replyTo, error: `command: unknown command ${commandName(o.command)} (one of ${Object.keys(COMMAND_SCHEMAS).join(', ')})` };
  if (!v(o)) return { ok: false, id, replyTo, error: describe(v.errors![0]!) };
  return { ok: true, message: o as CheckedMessage extends { ok: true; message: infer M } ? M : never };
}

/**
 * Checks a command from a channel that answers on its own route (web, ROS): no replyTo needed; id
 * optional unless `requireId` (a ROS topic answer is matched by it). Returns the command without id and
 * replyTo, ready for AgentCore.run, or the error.
 */
export function checkRoutedCommand(body: unknown, channel: string, options: { requireId?: boolean } = {}): { ok: true; id: string | null; command: AgentCommand } | { ok: false; id: string | null; error: string } {
  const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const checked = obj ? checkCommand(JSON.stringify({ ...(options.requireId ? {} : { id: channel }), replyTo: channel, ...obj })) : ({ ok: false, error: 'message: must be a JSON object' } as const);
  const id = typeof obj?.id === 'string' ? obj.id : null;
  if (!checked.ok) return { ok: false, id, error: checked.error };
  return { ok: true, id, command: withoutRoute(checked.message) };
}

/** A checked message as a command: its routing fields (id, replyTo) taken off. */
function withoutRoute(message: Record<string, unknown>): AgentCommand {
  const { id: _id, replyTo: _replyTo, ...command } = message;
  return command as AgentCommand;
}
