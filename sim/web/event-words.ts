import { pitchName } from '../../src/music/pitch.js';

type AgentEvent = { type: string; time?: unknown; [key: string]: unknown };

const list = (v: unknown) => (Array.isArray(v) ? v.map(String).join(', ') : String(v));
const num = (v: unknown, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '?');

/** An agent event in words (what happened, to what, how it went), without its time. */
export function eventWords(e: AgentEvent): string {
  const on = e.robot ? ` on ${String(e.robot)}` : e.robots ? ` on ${list(e.robots)}` : '';
  switch (e.type) {
    case 'learned':
      return e.kind === 'skill' ? `learned the skill “${String(e.title)}”: ${String(e.keyframes)} keyframes from ${String(e.samples)} samples` : `learned “${String(e.title)}”: ${String(e.notes)} notes`;
    case 'forgotten':
      return `forgot the ${e.kind === 'skill' ? 'skill' : 'piece'} “${String(e.title)}”`;
    case 'renamed':
      return `renamed “${String(e.title)}” to “${String(e.to)}”`;
    case 'performing':
      return `performing “${String(e.title)}”${on} at ${num(e.tempo)}×${e.keyframes ? `, ${String(e.keyframes)} keyframes` : ''}${e.fittedFrom ? ` (slowed from ${num(e.fittedFrom)}× to fit the robot)` : ''}`;
    case 'performed':
      return `${e.stopped ? 'stopped' : 'performed'} “${String(e.title)}”${on}${typeof e.f1 === 'number' ? `: F1 ${num(e.f1)}` : ''}${typeof e.notes === 'number' ? `, ${e.notes} notes played` : ''}${typeof e.keyframes === 'number' ? `, ${e.keyframes} keyframes reached` : ''}`;
    case 'note':
      return `${String(e.robot)} ${e.on ? 'pressed' : 'released'} ${typeof e.pitch === 'number' ? pitchName(e.pitch) : '?'}`;
    case 'keyframe':
      return `“${String(e.title)}”${on}: keyframe ${Number(e.index) + 1} of ${String(e.of)}${typeof e.error === 'number' ? `, ${(e.error * 1000).toFixed(1)} mrad off` : ''}`;
    case 'teach':
      if (e.phase === 'recorded') return `recorded ${String(e.samples)} samples${on} in ${num(e.seconds, 1)} s${e.stopped ? ' (stopped)' : ''}`;
      return typeof e.elapsed === 'number' ? `recording${on}: ${num(e.elapsed, 0)} of ${String(e.seconds)} s, ${String(e.samples)} samples` : `recording “${String(e.skill)}”${on} for ${String(e.seconds)} s`;
    case 'gripper': {
      const what = typeof e.closure === 'number' ? (e.closure >= 0.95 ? 'closed' : e.closure <= 0.05 ? 'opened' : `set to ${Math.round(100 * e.closure)}% closed`) : 'moved';
      return `“${String(e.title)}”${on}: gripper ${e.ok ? what : `not ${what}`} (event ${Number(e.index) + 1} of ${String(e.of)})`;
    }
    case 'stopped':
      return `stopped ${Array.isArray(e.robots) && e.robots.length ? list(e.robots) : 'no robot (none connected)'}${e.reason ? `: ${String(e.reason)}` : ''}`;
    case 'resumed':
      return `resumed ${Array.isArray(e.robots) && e.robots.length ? list(e.robots) : 'no robot'}`;
    case 'error':
      return `error${e.command ? ` in ${String(e.command)}` : ''}${e.channel ? ` (${String(e.channel)})` : ''}: ${String(e.error)}`;
    default:
      return `${e.type}${e.title ? ` “${String(e.title)}”` : ''}${on}`;
  }
}

/** The event's time as hh:mm:ss (local), or the time it arrived. */
export function eventTime(e: AgentEvent): string {
  const d = new Date(typeof e.time === 'number' ? e.time : Date.now());
  return d.toLocaleTimeString('en-GB', { hour12: false });
}
