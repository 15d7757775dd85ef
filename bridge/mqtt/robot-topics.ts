import { Ajv } from 'ajv';

/**
 * Topics of one robot on MQTT, `<prefix>/robots/<robotId>/...` (JSON payloads):
 *
 *   description      robot -> agent, retained: its RobotDescription
 *   status           robot -> agent, retained: {online} (last will: online false)
 *   state            robot -> agent, at the robot's rate (50 Hz, 125 Hz for an industrial arm):
 *                    {time, positions, velocities, fingers, gripper?} (time: robot clock, s; one entry
 *                    per joint; gripper: how closed it is, 0 = open .. 1 = closed)
 *   keys             robot -> agent: {pitch, on, time} key events (robots at a keyboard)
 *   result           robot -> agent: {ok, code, error?} for each trajectory goal, as it finishes, aborts
 *                    or is refused (code: FollowJointTrajectory's error_code, 0 when ok)
 *   gripper          robot -> agent: {ok, closure, position?, stalled?, error?} for each gripper command,
 *                    as it gets there, is preempted, cancelled or refused (robots with a gripper)
 *   cmd/trajectory   agent -> robot: {points: [{time, positions, velocities?, accelerations?}], until}, one
 *                    goal naming every joint (up to 32)
 *   cmd/finger       agent -> robot: {finger, extension, at, until}  (extension 0 = release)
 *   cmd/gripper      agent -> robot: {closure, at, until}  (closure 0 = open .. 1 = closed, from `at` on;
 *                    a robot whose description has a gripper; a stop cancels it)
 *   cmd/stop         agent -> robot: {}  (always obeyed)
 *   cmd/heartbeat    agent -> robot: {time, until}  (time: the agent's wall clock, ms; the robot stops when
 *                    these stop while it moves)
 *
 * Times in commands are the robot's clock (its `state.time`), so no clock sync is assumed. `until` is a
 * command's deadline on that clock (the agent's estimate of it when sending plus 1 s, or the command's
 * start when that is later): a robot drops a command that arrives later (a trajectory or finger
 * command is answered on `result` with ok false, code -3, as a controller answers a goal with an old
 * timestamp) and a heartbeat that arrives later does not count. Over MQTT 5 the agent also sets the
 * message expiry interval, so the broker drops what it could not deliver in time. Commands arriving as
 * retained messages are never run (only the agent may write command topics, and it never retains them).
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
    gripper: `${r}/cmd/gripper`,
    gripperResult: `${r}/gripper`,
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

/** The result code of a command dropped for arriving after its deadline (FollowJointTrajectory's OLD_HEADER_TIMESTAMP). */
export const STALE_COMMAND_CODE = -3;

export const validateTrajectory = ajv.compile({
  type: 'object',
  required: ['points', 'until'],
  additionalProperties: false,
  properties: {
    until: num,
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
  required: ['finger', 'extension', 'until'],
  additionalProperties: false,
  properties: { finger: { type: 'integer', minimum: 0 }, extension: { type: 'number', minimum: 0 }, at: num, until: num },
});

export const validateGripper = ajv.compile({
  type: 'object',
  required: ['closure', 'until'],
  additionalProperties: false,
  properties: { closure: { type: 'number', minimum: 0, maximum: 1 }, at: num, until: num },
});

export const validateGripperResult = ajv.compile({
  type: 'object',
  required: ['ok', 'closure'],
  additionalProperties: false,
  properties: {
    ok: { type: 'boolean' },
    closure: { type: 'number', minimum: 0, maximum: 1 },
    position: { type: 'number', minimum: -1, maximum: 2 },
    stalled: { type: 'boolean' },
    error: { type: 'string', maxLength: 2000 },
  },
});

export const validateHeartbeat = ajv.compile({
  type: 'object',
  required: ['until'],
  additionalProperties: false,
  properties: { time: num, until: num },
});

export const validateState = ajv.compile({
  type: 'object',
  required: ['time', 'positions', 'velocities'],
  properties: { time: num, positions: { ...perJoint, minItems: 0 }, velocities: { ...perJoint, minItems: 0 }, fingers: { type: 'array', items: num, maxItems: 64 }, gripper: { type: 'number', minimum: 0, maximum: 1 } },
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
