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
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const header = lines[0]?.split(',').map((h) => h.trim()) ?? [];
    if (header[0] !== 'time' || header.length < 2) throw new DemonstrationError(`${file}:1`, "the header must be 'time,<joint>,<joint>,...'");
    const names = header.slice(1);
    const joints = names.map((name, i) => {
      const d = described.find((j) => j.name === name) ?? described[i];
      if (!d) throw new DemonstrationError(`${file}:1`, `joint '${name}': robot '${robot}' has ${described.length} joints; give a JSON file with joint ranges`);
      return { name, min: d.min, max: d.max };
    });
    const samples = lines.slice(1).map((line, k) => {
      const cells = line.split(',').map((c) => Number(c.trim()));
      if (cells.length !== header.length || cells.some((c) => !Number.isFinite(c))) throw new DemonstrationError(`${file}:${k + 2}`, `needs ${header.length} numbers (${header.join(', ')})`);
      return { time: cells[0]!, positions: cells.slice(1) };
    });
    return { joints, samples };
  }
  let raw: { joints?: SkillJoint[]; samples?: DemoSample[] };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (err) {
    throw new DemonstrationError(file, `not valid JSON (${(err as Error).message})`);
  }
  if (!raw || !Array.isArray(raw.samples)) throw new DemonstrationError(`${file}: samples`, 'must be an array of {time, positions}');
  const joints = Array.isArray(raw.joints) ? raw.joints : described;
  joints.forEach((j, i) => {
    if (typeof j?.name !== 'string' || typeof j.min !== 'number' || typeof j.max !== 'number') throw new DemonstrationError(`${file}: joints[${i}]`, 'needs name, min and max');
  });
  return { joints, samples: raw.samples };
}
