import { readFileSync, statSync } from 'node:fs';
import { loadRobot } from '../../robots/load.js';
import { DemonstrationError, robotJoints, type DemoSample, type SkillJoint } from '../skills/demonstration.js';
import { gripperValue } from '../skills/gripper.js';
import { pathKey, scanJson, textPlaces, type JsonPath } from './json-locations.js';

/** What a demonstration file may hold (the teach command's own bounds: 200,000 samples, 32 joints). */
export const DEMONSTRATION_LIMITS = { bytes: 32 * 1024 * 1024, samples: 200_000, joints: 32, nameChars: 64 } as const;

/** Problems listed in a file's error (every one is counted; the rest are summed up as "and N more"). */
export const LISTED_PROBLEMS = 20;
/** An error's message stays short: problems are listed while it stays under this many characters. */
const MESSAGE_CHARS = 480;

/** One bad line of a demonstration file: where it is (line from 1; JSON: the value's column too) and what is wrong. */
export interface DemonstrationProblem {
  line: number;
  /** JSON: the column where the bad value (or the syntax error) starts. */
  column?: number;
  /** JSON: the value's path (samples[3].positions[1]). */
  path?: string;
  problem: string;
}

/**
 * A demonstration file with bad lines: all of them found in one pass, each by its line (and column in
 * JSON), never quoting the file's content. `problems` holds the first LISTED_PROBLEMS, `count` all.
 */
export class DemonstrationFileError extends DemonstrationError {
  readonly file: string;
  readonly problems: DemonstrationProblem[];
  readonly count: number;

  constructor(file: string, problems: DemonstrationProblem[], count = problems.length) {
    const place = (p: DemonstrationProblem) => `${file}:${p.line}${p.column !== undefined ? `:${p.column}` : ''}`;
    const what = (p: DemonstrationProblem) => `${p.path ? `${p.path}: ` : ''}${p.problem}`;
    if (count === 1) super(place(problems[0]!), what(problems[0]!));
    else {
      let text = `${count} bad ${file.match(/\.csv$/i) ? 'lines' : 'values'}:`;
      let listed = 0;
      for (const p of problems) {
        const line = `\n  line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''}: ${what(p)}`;
        if (listed > 0 && file.length + text.length + line.length > MESSAGE_CHARS - 24) break;
        text += line;
        listed++;
      }
      if (listed < count) text += `\n  and ${count - listed} more`;
      super(file, text);
    }
    this.file = file;
    this.problems = problems;
    this.count = count;
  }
}

/** Collects a file's problems: the first LISTED_PROBLEMS kept, all counted. */
class Problems<T> {
  readonly kept: T[] = [];
  count = 0;
  add(p: T): void {
    if (this.count++ < LISTED_PROBLEMS) this.kept.push(p);
  }
}

/**
 * A demonstration file: JSON {joints?: [{name, min, max}], samples: [{time, positions, gripper?}]}, or
 * CSV with a header `time,<joint>,<joint>,...[,gripper]` (seconds, radians). Joints not given take their
 * ranges from the robot description (by name, or in order). The gripper (on every sample or none) is
 * 0 = open .. 1 = closed, or the words open / closed.
 */
export function readDemonstration(file: string, robot = 'ur5e-planar'): { joints: SkillJoint[]; samples: DemoSample[] } {
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new DemonstrationError(file, 'is a folder, not a demonstration file');
    if (st.size > DEMONSTRATION_LIMITS.bytes) throw new DemonstrationError(file, `is ${st.size} bytes, more than the ${DEMONSTRATION_LIMITS.bytes} a demonstration may have`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof DemonstrationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DemonstrationError(file, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? 'read error'})`);
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
const jointsByRobot = new Map<string, SkillJoint[]>();
function describedJoints(robot: string): SkillJoint[] {
  let j = jointsByRobot.get(robot);
  if (!j) jointsByRobot.set(robot, (j = robotJoints(loadRobot(robot))));
  return j.map((x) => ({ ...x }));
}

/** A decimal number as a CSV cell holds it (no hex, no Infinity, no blanks inside). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const range = (j: SkillJoint) => `${fmt(j.min)}..${fmt(j.max)} rad`;
const fmt = (x: number) => String(Number(x.toFixed(4)));

/** What is wrong with one sample's time, or null (`last`: the time of the sample before, -Infinity for none). */
function timeProblem(time: unknown, last: number): string | null {
  if (typeof time !== 'number' || !Number.isFinite(time)) return 'must be a finite number of seconds';
  if (time <= last) return 'must be later than the sample before';
  return null;
}

/** What is wrong with one joint position, or null. */
function positionProblem(q: unknown, j: number, joint: SkillJoint): string | null {
  if (typeof q !== 'number' || !Number.isFinite(q)) return 'must be a finite number of radians';
  if (q < joint.min - 1e-9 || q > joint.max + 1e-9) return `is outside joint ${j + 1}'s range ${range(joint)}`;
  return null;
}

function parseCsv(text: string, file: string, robot: string, described: SkillJoint[]): { joints: SkillJoint[]; samples: DemoSample[] } {
  // numbered as the file is (comments and blank lines count)
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const isData = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#');
  let h = 0;
  while (h < all.length && !isData(all[h]!)) h++;
  const headLine = h + 1;
  const header = h < all.length ? all[h]!.split(',').map((c) => c.trim()) : [];
  const gripperCol = header.indexOf(GRIPPER_COLUMN);
  if (header[0] !== 'time' || header.length < (gripperCol < 0 ? 2 : 3)) throw new DemonstrationFileError(file, [{ line: Math.min(headLine, all.length), problem: "the header must be 'time,<joint>,<joint>,...'" }]);
  if (gripperCol >= 0 && header.lastIndexOf(GRIPPER_COLUMN) !== gripperCol) throw new DemonstrationFileError(file, [{ line: headLine, problem: "names the 'gripper' column twice" }]);
  const names = header.filter((_, c) => c > 0 && c !== gripperCol);
  if (names.length > DEMONSTRATION_LIMITS.joints) throw new DemonstrationFileError(file, [{ line: headLine, problem: `names ${names.length} joints, more than ${DEMONSTRATION_LIMITS.joints}` }]);
  const joints = names.map((name, i) => {
    checkName(name, `${file}:${headLine}: joint ${i + 1}`);
    const d = described.find((j) => j.name === name) ?? described[i];
    if (!d) throw new DemonstrationFileError(file, [{ line: headLine, problem: `joint ${i + 1}: robot '${robot}' has ${described.length} joints; give a JSON file with joint ranges` }]);
    return { name, min: d.min, max: d.max };
  });
  let rows = 0;
  for (let n = h + 1; n < all.length; n++) if (isData(all[n]!)) rows++;
  if (rows > DEMONSTRATION_LIMITS.samples) throw new DemonstrationError(file, `has ${rows} samples, more than ${DEMONSTRATION_LIMITS.samples}`);
  const columns = `time and ${names.length} joint position${names.length > 1 ? 's' : ''}${gripperCol >= 0 ? ' and the gripper' : ''}`;
  const problems = new Problems<DemonstrationProblem>();
  const samples: DemoSample[] = [];
  let last = -Infinity;
  for (let n = h + 1; n < all.length; n++) {
    const l = all[n]!;
    if (!isData(l)) continue;
    const problem = csvRowProblem(l, header.length, columns, joints, gripperCol, last, (row) => {
      samples.push(row);
      last = row.time;
    });
    if (problem) {
      problems.add({ line: n + 1, problem });
      // a row with a good time still orders the ones after it
      const t = l.split(',')[0]!.trim();
      if (DECIMAL.test(t) && Number(t) > last) last = Number(t);
    }
  }
  if (problems.count > 0) throw new DemonstrationFileError(file, problems.kept, problems.count);
  if (samples.length < 2) throw new DemonstrationError(file, `needs at least 2 samples (lines below the header), has ${samples.length}`);
  return { joints, samples };
}

/** The problem of one CSV data row, or null after handing the row to `take`. */
function csvRowProblem(line: string, width: number, columns: string, joints: SkillJoint[], gripperCol: number, last: number, take: (row: DemoSample) => void): string | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length !== width) return `has ${cells.length} value${cells.length > 1 ? 's' : ''}; a line needs ${width} (${columns})`;
  const values: number[] = [];
  let gripper: number | null = null;
  for (let c = 0; c < cells.length; c++) {
    const cell = cells[c]!;
    if (cell === '') return `column ${c + 1} is empty`;
    if (c === gripperCol) {
      gripper = gripperValue(DECIMAL.test(cell) ? Number(cell) : cell);
      if (gripper === null) return `column ${c + 1} (gripper) ${GRIPPER_RULE}`;
      continue;
    }
    if (!DECIMAL.test(cell)) return `column ${c + 1} is not a number`;
    const v = Number(cell);
    if (!Number.isFinite(v)) return `column ${c + 1} is not a finite number`;
    values.push(v);
  }
  const timeBad = timeProblem(values[0], last);
  if (timeBad) return `column 1 (time) ${timeBad}`;
  for (let j = 0; j < joints.length; j++) {
    const bad = positionProblem(values[j + 1], j, joints[j]!);
    // the column as the file numbers it (a gripper column before it shifts it)
    if (bad) return `column ${j + 2 + (gripperCol >= 0 && gripperCol <= j + 1 ? 1 : 0)} ${bad}`;
  }
  take(gripper === null ? { time: values[0]!, positions: values.slice(1) } : { time: values[0]!, positions: values.slice(1), gripper });
  return null;
}

/** The CSV column, and the JSON sample field, of the gripper. */
const GRIPPER_COLUMN = 'gripper';
const GRIPPER_RULE = 'must be a number from 0 (open) to 1 (closed), or open or closed';

/** A JSON path as written in messages: samples[3].positions[1]. */
const pathText = (path: JsonPath) => path.map((s, k) => (typeof s === 'number' ? `[${s}]` : k === 0 ? s : `.${s}`)).join('');

function parseJson(text: string, file: string, described: SkillJoint[]): { joints: SkillJoint[]; samples: DemoSample[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw syntaxError(file, text, err as Error);
  }
  // every problem by its JSON path; their lines and columns are found afterwards, in one scan of the text
  const problems = new Problems<{ path: JsonPath; problem: string }>();
  const located = () => {
    const scan = scanJson(text, problems.kept.map((p) => p.path));
    const at = scan.ok ? scan.at : new Map<string, number>();
    // a path whose value is absent (a missing field) is placed at the nearest enclosing value that is present
    const offsets = problems.kept.map((p) => {
      for (let k = p.path.length; k >= 0; k--) {
        const o = at.get(pathKey(p.path.slice(0, k)));
        if (o !== undefined) return o;
      }
      return 0;
    });
    const places = textPlaces(text, offsets);
    return new DemonstrationFileError(
      file,
      problems.kept.map((p, k) => ({ ...places[k]!, path: pathText(p.path), problem: p.problem })),
      problems.count,
    );
  };
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (!o) {
    problems.add({ path: [], problem: 'must be an object {joints?, samples}' });
    throw located();
  }
  if (!Array.isArray(o.samples)) {
    problems.add({ path: ['samples'], problem: o.samples === undefined ? 'is missing: an array of {time, positions}' : 'must be an array of {time, positions}' });
    throw located();
  }
  if (o.samples.length > DEMONSTRATION_LIMITS.samples) throw new DemonstrationError(`${file}: samples`, `has ${o.samples.length} samples, more than ${DEMONSTRATION_LIMITS.samples}`);
  let joints = described;
  if (o.joints !== undefined) {
    if (!Array.isArray(o.joints)) problems.add({ path: ['joints'], problem: 'must be an array of {name, min, max}' });
    else if (o.joints.length > DEMONSTRATION_LIMITS.joints) problems.add({ path: ['joints'], problem: `has ${o.joints.length} joints, more than ${DEMONSTRATION_LIMITS.joints}` });
    else if (o.joints.length === 0) problems.add({ path: ['joints'], problem: 'is empty: name at least one joint' });
    else {
      joints = [];
      o.joints.forEach((j, i) => {
        const x = j as Partial<SkillJoint> | null;
        if (!x || typeof x !== 'object' || typeof x.name !== 'string' || !Number.isFinite(x.min) || !Number.isFinite(x.max)) problems.add({ path: ['joints', i], problem: 'needs name, min and max (finite numbers)' });
        else if (!validName(x.name)) problems.add({ path: ['joints', i, 'name'], problem: NAME_RULE });
        else if (!(x.min! < x.max!)) problems.add({ path: ['joints', i], problem: 'min must be below max' });
        else joints.push({ name: x.name, min: x.min!, max: x.max! });
      });
    }
    if (problems.count > 0) throw located();
  }
  // every sample checked (time, count of positions, each position within its joint's range)
  const samples: DemoSample[] = [];
  let last = -Infinity;
  // the gripper is on every sample or none: as the first sample has it
  const first = o.samples[0] as { gripper?: unknown } | null;
  const withGripper = !!first && typeof first === 'object' && first.gripper !== undefined;
  o.samples.forEach((s, i) => {
    const x = s as (Partial<DemoSample> & { gripper?: unknown }) | null;
    if (!x || typeof x !== 'object' || Array.isArray(x)) return problems.add({ path: ['samples', i], problem: 'must be an object {time, positions}' });
    const gripper = x.gripper === undefined ? undefined : gripperValue(x.gripper);
    if (x.gripper === undefined && withGripper) problems.add({ path: ['samples', i], problem: 'has no gripper: give it on every sample or on none' });
    else if (x.gripper !== undefined && !withGripper) problems.add({ path: ['samples', i, 'gripper'], problem: 'is given, but the first sample has none: give it on every sample or on none' });
    else if (gripper === null) problems.add({ path: ['samples', i, 'gripper'], problem: GRIPPER_RULE });
    const timeBad = x.time === undefined ? 'is missing' : timeProblem(x.time, last);
    if (timeBad) problems.add({ path: ['samples', i, 'time'], problem: timeBad });
    if (typeof x.time === 'number' && Number.isFinite(x.time) && x.time > last) last = x.time;
    if (!Array.isArray(x.positions) || x.positions.length !== joints.length) {
      const given = x.positions === undefined ? 'is missing' : Array.isArray(x.positions) ? `has ${x.positions.length}` : 'is not an array';
      return problems.add({ path: ['samples', i, 'positions'], problem: `must hold ${joints.length} joint positions, ${given}` });
    }
    let bad = false;
    x.positions.forEach((q: unknown, j: number) => {
      const p = positionProblem(q, j, joints[j]!);
      if (p) (problems.add({ path: ['samples', i, 'positions', j], problem: p }), (bad = true));
    });
    if (!timeBad && !bad) samples.push({ time: x.time as number, positions: [...(x.positions as number[])], ...(typeof gripper === 'number' ? { gripper } : {}) });
  });
  if (problems.count > 0) throw located();
  if (samples.length < 2) throw new DemonstrationError(`${file}: samples`, `needs at least 2 samples, has ${samples.length}`);
  return { joints, samples };
}

/** A JSON syntax error by its line and column (found by scanning the text, else from V8's position). */
function syntaxError(file: string, text: string, err: Error): DemonstrationFileError {
  const scan = scanJson(text);
  let at: number;
  let problem = 'not valid JSON';
  if (!scan.ok) {
    at = scan.at;
    problem = `not valid JSON: ${scan.problem}`;
  } else {
    const pos = /position (\d+)/.exec(err.message);
    at = pos ? Number(pos[1]) : 0;
  }
  return new DemonstrationFileError(file, [{ ...textPlaces(text, [at])[0]!, problem }]);
}

const NAME_RULE = `a joint name must be 1..${DEMONSTRATION_LIMITS.nameChars} printable characters`;
// eslint-disable-next-line no-control-regex
const validName = (name: string) => name.length > 0 && name.length <= DEMONSTRATION_LIMITS.nameChars && !/[\u0000-\u001f\u007f]/.test(name);

/** A joint name: 1..nameChars printable characters (it is quoted back in errors). */
function checkName(name: string, where: string): void {
  if (!validName(name)) throw new DemonstrationError(where, NAME_RULE);
}
