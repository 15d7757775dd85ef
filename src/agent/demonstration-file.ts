import { readFileSync, statSync } from 'node:fs';
import { loadRobot } from '../../robots/load.js';
import { DemonstrationError, robotJoints, type DemoSample, type SkillJoint } from '../skills/demonstration.js';

/** What a demonstration file may hold (the teach command's own bounds: 200,000 samples, 32 joints). */
export const DEMONSTRATION_LIMITS = { bytes: 32 * 1024 * 1024, samples: 200_000, joints: 32, nameChars: 64 } as const;

/**
 * A demonstration file: JSON {joints?: [{name, min, max}], samples: [{time, positions}]}, or CSV with a
 * header `time,<joint>,<joint>,...` (seconds, radians). Joints not given take their ranges from the
 * robot description (by name, or in order).
 */
export function readDemonstration(file: string, robot = 'ur5e-planar'): { joints: SkillJoint[]; samples: DemoSample[] } {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > DEMONSTRATION_LIMITS.bytes) throw new DemonstrationError(file, `is ${size} bytes, more than the ${DEMONSTRATION_LIMITS.bytes} a demonstration may have`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof DemonstrationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DemonstrationError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'read error'})`);
  }
  return parseDemonstration(text, file, robot);
}

/** A demonstration from the file's text; `file` names it in errors (a .csv name means CSV, else JSON). */
export function parseDemonstration(text: string, file: string, robot = 'ur5e-planar'): { joints: SkillJoint[]; samples: DemoSample[] } {
  if (text.length > DEMONSTRATION_LIMITS.bytes) throw new DemonstrationError(file, `is ${text.length} characters, more than the ${DEMONSTRATION_LIMITS.bytes} a demonstration may have`);
  const described = describedJoints(robot);
  return /\.csv$/i.test(file) ? parseCsv(text, file, robot, described) : parseJson(text, file, described);
}

/** A robot's joints by name: loaded once per robot (a description is read from disk). */
const joints = new Map<string, SkillJoint[]>();
function describedJoints(robot: string): SkillJoint[] {
  let j = joints.get(robot);
  if (!j) joints.set(robot, (j = robotJoints(loadRobot(robot))));
  return j.map((x) => ({ ...x }));
}

function parseCsv(text: string, file: string, robot: string, described: SkillJoint[]): { joints: SkillJoint[]; samples: DemoSample[] } {
  // numbered as the file is (comments and blank lines count), every bad line reported in one pass
  const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, l })).filter(({ l }) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const head = lines[0];
  const header = head?.l.split(',').map((h) => h.trim()) ?? [];
  if (header[0] !== 'time' || header.length < 2) throw new DemonstrationError(`${file}:${head?.n ?? 1}`, "the header must be 'time,<joint>,<joint>,...'");
  const names = header.slice(1);
  if (names.length > DEMONSTRATION_LIMITS.joints) throw new DemonstrationError(`${file}:${head!.n}`, `names ${names.length} joints, more than ${DEMONSTRATION_LIMITS.joints}`);
  const joints = names.map((name, i) => {
    checkName(name, `${file}:${head!.n}: joint ${i + 1}`);
    const d = described.find((j) => j.name === name) ?? described[i];
    if (!d) throw new DemonstrationError(`${file}:${head!.n}`, `joint ${i + 1}: robot '${robot}' has ${described.length} joints; give a JSON file with joint ranges`);
    return { name, min: d.min, max: d.max };
  });
  if (lines.length - 1 > DEMONSTRATION_LIMITS.samples) throw new DemonstrationError(file, `has ${lines.length - 1} samples, more than ${DEMONSTRATION_LIMITS.samples}`);
  const bad: number[] = [];
  const samples: DemoSample[] = [];
  for (const { n, l } of lines.slice(1)) {
    const cells = l.split(',').map((c) => (c.trim() === '' ? NaN : Number(c.trim())));
    if (cells.length !== header.length || cells.some((c) => !Number.isFinite(c))) bad.push(n);
    else samples.push({ time: cells[0]!, positions: cells.slice(1) });
  }
  if (bad.length > 0) {
    const listed = header.join(', ');
    const columns = listed.length <= 120 ? listed : `time and ${names.length} joint positions`;
    const shown = bad.length > 20 ? `${bad.slice(0, 20).join(', ')} and ${bad.length - 20} more` : bad.join(', ');
    throw new DemonstrationError(`${file}: line${bad.length > 1 ? 's' : ''} ${shown}`, `each needs ${header.length} numbers (${columns})`);
  }
  return { joints, samples };
}

function parseJson(text: string, file: string, described: SkillJoint[]): { joints: SkillJoint[]; samples: DemoSample[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DemonstrationError(jsonErrorPlace(file, text, err as Error), 'not valid JSON');
  }
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (!o || !Array.isArray(o.samples)) throw new DemonstrationError(`${file}: samples`, 'must be an array of {time, positions}');
  if (o.samples.length > DEMONSTRATION_LIMITS.samples) throw new DemonstrationError(`${file}: samples`, `has ${o.samples.length} samples, more than ${DEMONSTRATION_LIMITS.samples}`);
  if (o.joints !== undefined && !Array.isArray(o.joints)) throw new DemonstrationError(`${file}: joints`, 'must be an array of {name, min, max}');
  const given = o.joints as unknown[] | undefined;
  if (given && given.length > DEMONSTRATION_LIMITS.joints) throw new DemonstrationError(`${file}: joints`, `has ${given.length} joints, more than ${DEMONSTRATION_LIMITS.joints}`);
  const joints: SkillJoint[] = given
    ? given.map((j, i) => {
        const x = j as Partial<SkillJoint> | null;
        if (!x || typeof x !== 'object' || typeof x.name !== 'string' || !Number.isFinite(x.min) || !Number.isFinite(x.max)) throw new DemonstrationError(`${file}: joints[${i}]`, 'needs name, min and max (finite numbers)');
        checkName(x.name, `${file}: joints[${i}].name`);
        if (!(x.min! < x.max!)) throw new DemonstrationError(`${file}: joints[${i}]`, 'min must be below max');
        return { name: x.name, min: x.min!, max: x.max! };
      })
    : described;
  // samples are only copied here (time and positions, nothing else); teaching checks their values
  const samples = o.samples.map((s) => {
    const x = s as Partial<DemoSample> | null;
    return { time: x?.time, positions: x?.positions } as DemoSample;
  });
  return { joints, samples };
}

/** A joint name: 1..nameChars printable characters (it is quoted back in errors). */
function checkName(name: string, where: string): void {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > DEMONSTRATION_LIMITS.nameChars || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new DemonstrationError(where, `a joint name must be 1..${DEMONSTRATION_LIMITS.nameChars} printable characters`);
  }
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
