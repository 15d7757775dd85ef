import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCommand, checkPerformRequest, checkRoutedText, COMMAND_SCHEMAS } from '../../src/agent/command-schemas.js';

/** A long run of one letter: a message must never carry 64 of it back. */
const LONG = 'Q'.repeat(5000);
const echoes = (text: string) => text.includes('Q'.repeat(64));

/** Every string and key of a JSON value made long (the attacker's copy of it). */
function poisoned(v: unknown): unknown {
  if (typeof v === 'string') return LONG + v;
  if (Array.isArray(v)) return v.map(poisoned);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [LONG + k, poisoned(x)]));
  return v;
}

const names = Object.keys(COMMAND_SCHEMAS);
/** Messages shaped like commands (a known or long command name, known field names) with long strings and keys anywhere. */
const message = fc.record(
  {
    id: fc.oneof(fc.string(), fc.constant(LONG)),
    replyTo: fc.oneof(fc.constant('tester'), fc.constant(LONG)),
    command: fc.oneof(fc.constantFrom(...names), fc.constant(LONG), fc.constantFrom('__proto__', 'constructor', 'valueOf')),
    title: fc.oneof(fc.string(), fc.constant(LONG)),
    skill: fc.oneof(fc.string(), fc.constant(LONG)),
    robots: fc.array(fc.oneof(fc.string(), fc.constant(LONG)), { maxLength: 3 }),
    tracks: fc.array(fc.integer(), { maxLength: 3 }),
    tempo: fc.double(),
    seconds: fc.double(),
    notes: fc.array(fc.record({ symbol: fc.integer(), duration: fc.double() }), { maxLength: 3 }),
    joints: fc.array(fc.record({ name: fc.oneof(fc.string(), fc.constant(LONG)), min: fc.double(), max: fc.double() }), { maxLength: 3 }),
    extra: fc.jsonValue({ maxDepth: 3 }).map(poisoned),
  },
  { requiredKeys: ['command'] },
);

describe('no error quotes a long input back (property: any command-shaped message, long strings and keys anywhere)', () => {
  it('MQTT (checkCommand), ROS (checkRoutedText) and /api/perform (checkPerformRequest)', () => {
    fc.assert(
      fc.property(message, fc.boolean(), (m, poisonKeys) => {
        const sent = poisonKeys ? { ...m, ...(poisoned({ x: 1 }) as object) } : m;
        const text = JSON.stringify(sent);
        const errors: string[] = [];
        const mqtt = checkCommand(text);
        if (!mqtt.ok) errors.push(mqtt.error, String(mqtt.id ?? ''), String(mqtt.replyTo ?? ''));
        const ros = checkRoutedText(text, 'ros', { requireId: true });
        if (!ros.ok) errors.push(ros.error, String(ros.id ?? ''));
        const perform = checkPerformRequest(sent);
        if (!perform.ok) errors.push(perform.error);
        for (const e of errors) {
          expect(echoes(e)).toBe(false);
          expect(e.length).toBeLessThan(400);
        }
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
