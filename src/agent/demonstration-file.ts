import { existsSync, readFileSync } from 'node:fs';
import { loadRobot } from '../../robots/load.js';
import { DemonstrationError, robotJoints, type DemoSample, type SkillJoint } from '../skills/demonstration.js';

/**
 * A demonstration file: JSON {joints?: [{name, min, max}], samples: [{time, positions}]}, or CSV with a
 * header `time,<joint>,<joint>,...` (seconds, radians). Joints not given take their ranges from the
 * robot description (by name, or in order).
 */
export function readDemonstration(file: string, robot = 'ur5e-planar'): { joints: SkillJoint[]; samples: DemoSample[] } {
  if (!existsSync(file)) throw new DemonstrationError(file, 'no such file');
  const text = readFileSync(file, 'utf8');
  const described = robotJoints(loadRobot(robot));
  if (/\.csv$/i.test(file)) {
    // numbered as the file is (comments and blank lines count), every bad line reported in one pass
    const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, l })).filter(({ l }) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const head = lines[0];
    const header = head?.l.split(',').map((h) => h.trim()) ?? [];
    if (header[0] !== 'time' || header.length < 2) throw new DemonstrationError(`${file}:${head?.n ?? 1}`, "the header must be 'time,<joint>,<joint>,...'");
    const names = header.slice(1);
    const joints = names.map((name, i) => {
      const d = described.find((j) => j.name === name) ?? described[i];
      if (!d) throw new DemonstrationError(`${file}:${head!.n}`, `joint '${name}': robot '${robot}' has ${described.length} joints; give a JSON file with joint ranges`);
      return { name, min: d.min, max: d.max };
    });
    const bad: number[] = [];
    const samples: DemoSample[] = [];
    for (const { n, l } of lines.slice(1)) {
      const cells = l.split(',').map((c) => (c.trim() === '' ? NaN : Number(c.trim())));
      if (cells.length !== header.length || cells.some((c) => !Number.isFinite(c))) bad.push(n);
      else samples.push({ time: cells[0]!, positions: cells.slice(1) });
    }
    if (bad.length > 0) {
      const shown = bad.length > 20 ? `${bad.slice(0, 20).join(', ')} and ${bad.length - 20} more` : bad.join(', ');
      throw new DemonstrationError(`${file}: line${bad.length > 1 ? 's' : ''} ${shown}`, `each needs ${header.length} numbers (${header.join(', ')})`);
    }
    return { joints, samples };
  }
  let raw: { joints?: SkillJoint[]; samples?: DemoSample[] };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (err) {
    throw new DemonstrationError(jsonErrorPlace(file, text, err as Error), 'not valid JSON');
  }
  if (!raw || !Array.isArray(raw.samples)) throw new DemonstrationError(`${file}: samples`, 'must be an array of {time, positions}');
  const joints = Array.isArray(raw.joints) ? raw.joints : described;
  joints.forEach((j, i) => {
    if (typeof j?.name !== 'string' || typeof j.min !== 'number' || typeof j.max !== 'number') throw new DemonstrationError(`${file}: joints[${i}]`, 'needs name, min and max');
  });
  return { joints, samples: raw.samples };
}

/** Where a JSON syntax error is, as file:line:column (V8 gives a character position). */
function jsonErrorPlace(file: string, text: string, err: Error): string {
  const pos = /position (\d+)/.exec(err.message);
  if (!pos) return file;
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${file}:${line}:${column}`;
}
