import { Ajv } from 'ajv';

/**
 * Topics of one robot on MQTT, `<prefix>/robots/<robotId>/...` (JSON payloads):
 *
 *   description      robot -> agent, retained: its RobotDescription
 *   status           robot -> agent, retained: {online} (last will: online false)
 *   state            robot -> agent, at the robot's rate (50 Hz, 125 Hz for an industrial arm):
 *                    {time, positions, velocities, fingers} (time: robot clock, s; one entry per joint)
 *   keys             robot -> agent: {pitch, on, time} key events (robots at a keyboard)
 *   result           robot -> agent: {ok, code, error?} for each trajectory goal, as it finishes, aborts
 *                    or is refused (code: FollowJointTrajectory's error_code, 0 when ok)
 *   cmd/trajectory   agent -> robot: {points: [{time, positions, velocities?, accelerations?}]}, one goal
 *                    naming every joint (up to 32)
 *   cmd/finger       agent -> robot: {finger, extension, at}  (extension 0 = release)
 *   cmd/stop         agent -> robot: {}
 *   cmd/heartbeat    agent -> robot: {time}  (the robot stops when these stop while it moves)
 *
 * Times in commands are the robot's clock (its `state.time`), so no clock sync is assumed.
 */
export function robotTopics(robotId: string, prefix = 'engram') {
  const r = `${prefix}/robots/${robotId}`;
  return {
    description: `${r}/description`,
    status: `${r}/status`,
    state: `${r}/state`,
    keys: `${r}/keys`,
    result: `${r}/result`,
    trajectory: `${r}/cmd/trajectory`,
    finger: `${r}/cmd/finger`,
    stop: `${r}/cmd/stop`,
    heartbeat: `${r}/cmd/heartbeat`,
  };
}

const num = { type: 'number' };
const ajv = new Ajv({ strict: false });

/** Most joints a robot may have (as robots/description.ts allows), and most points in one trajectory goal. */
export const MAX_JOINTS = 32;
export const MAX_POINTS = 100000;
const perJoint = { type: 'array', items: num, minItems: 1, maxItems: MAX_JOINTS };

export const validateTrajectory = ajv.compile({
  type: 'object',
  required: ['points'],
  additionalProperties: false,
  properties: {
    points: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_POINTS,
      items: {
        type: 'object',
        required: ['time', 'positions'],
        additionalProperties: false,
        properties: { time: num, positions: perJoint, velocities: perJoint, accelerations: perJoint },
      },
    },
  },
});

export const validateFinger = ajv.compile({
  type: 'object',
  required: ['finger', 'extension'],
  additionalProperties: false,
  properties: { finger: { type: 'integer', minimum: 0 }, extension: { type: 'number', minimum: 0 }, at: num },
});

export const validateState = ajv.compile({
  type: 'object',
  required: ['time', 'positions', 'velocities'],
  properties: { time: num, positions: { ...perJoint, minItems: 0 }, velocities: { ...perJoint, minItems: 0 }, fingers: { type: 'array', items: num, maxItems: 64 } },
  maxProperties: 16,
});

export const validateResult = ajv.compile({
  type: 'object',
  required: ['ok', 'code'],
  additionalProperties: false,
  properties: { ok: { type: 'boolean' }, code: { type: 'integer', minimum: -1e6, maximum: 1e6 }, error: { type: 'string', maxLength: 2000 } },
});

export const validateKey = ajv.compile({
  type: 'object',
  required: ['pitch', 'on', 'time'],
  additionalProperties: false,
  properties: { pitch: { type: 'integer', minimum: 0, maximum: 127 }, on: { type: 'boolean' }, time: num },
});

/**
 * The largest message the agent reads on each robot topic, bytes: a joint state of 32 joints with
 * fingers is about 2 KB, a key event 60 bytes, a description with its URDF some 100 KB. A larger one is
 * dropped unread (error: its size), so a robot, or whoever writes its topics, cannot make the agent
 * parse megabytes at its rate.
 */
export const MAX_BYTES = { state: 16 << 10, keys: 1 << 10, result: 8 << 10, description: 2 << 20, command: 16 << 20 } as const;

/**
 * Parses a payload of at most `maxBytes` and validates it; returns the value or an error message
 * naming the topic and the rule broken (never the payload).
 */
export function parseChecked<T>(topic: string, payload: Buffer, validate: ((v: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null }, maxBytes: number = MAX_BYTES.command): { ok: true; value: T } | { ok: false; error: string } {
  if (payload.length > maxBytes) return { ok: false, error: `${topic}: a message of ${payload.length} bytes is over ${maxBytes}` };
  let v: unknown;
  try {
    v = JSON.parse(payload.toString());
  } catch {
    return { ok: false, error: `${topic}: not valid JSON` };
  }
  if (!validate(v)) {
    const e = validate.errors?.[0];
    return { ok: false, error: `${topic}: ${e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') + ': ' : ''}${e?.message ?? 'invalid'}` };
  }
  return { ok: true, value: v as T };
}
