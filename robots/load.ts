import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pianoArm, RobotDescriptionError, validateKeyboard, validateRobot, type KeyboardDescription, type PianoArm, type RobotDescription } from './description.js';
import { robotFromUrdf, validateSidecar, type Sidecar } from './urdf.js';

/** The robots/ folder, from this module in robots/ (tests) or dist/robots/ (built). */
export function robotsDir(): string {
  return new URL('.', import.meta.url).pathname.replace(/\/dist\/robots\/$/, '/robots/');
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new RobotDescriptionError(file, '(file)', `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readJson(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RobotDescriptionError(file, '(file)', `is not valid JSON: ${(err as Error).message.slice(0, 120)}`);
  }
}

const SIDECAR_SUFFIX = '.engram.json';

/** Names of the bundled robots (robots/arms/<name>.engram.json). */
export function bundledRobots(): string[] {
  return readdirSync(join(robotsDir(), 'arms'))
    .filter((f) => f.endsWith(SIDECAR_SUFFIX))
    .map((f) => f.slice(0, -SIDECAR_SUFFIX.length))
    .sort();
}

/** A sidecar file, checked (for a robot whose URDF comes from elsewhere, e.g. its robot_description). */
export function loadSidecar(file: string): Sidecar {
  return validateSidecar(readJson(file), file);
}

/** A sidecar is JSON naming a URDF file; a resolved description has joints with limits (and maybe URDF text). */
function isSidecar(raw: unknown): boolean {
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  if (typeof o.urdf === 'string') return !o.urdf.trimStart().startsWith('<');
  return !(Array.isArray(o.joints) && o.joints.some((j) => j && typeof j === 'object'));
}

/**
 * A robot description from a bundled name (robots/arms/<name>.engram.json), a .urdf file (with the
 * sidecar <base>.engram.json beside it), a sidecar .json (its `urdf` relative to it), or a resolved
 * description .json.
 */
export function loadRobot(nameOrFile: string): RobotDescription {
  if (nameOrFile.endsWith('.urdf')) {
    const sidecarFile = join(dirname(nameOrFile), `${basename(nameOrFile, '.urdf')}${SIDECAR_SUFFIX}`);
    if (!existsSync(sidecarFile)) {
      throw new RobotDescriptionError(
        nameOrFile,
        '(sidecar)',
        `no ${basename(sidecarFile)} beside it, and URDF has no acceleration limits: write one with ` +
          `{ "source": "...", "urdf": "${basename(nameOrFile)}", "defaultAcceleration": <rad/s^2> } ` +
          '(or "accelerations": { "<joint>": <rad/s^2>, ... })',
      );
    }
    return robotFromUrdf(readText(nameOrFile), loadSidecar(sidecarFile), nameOrFile, sidecarFile);
  }
  let file = nameOrFile;
  if (!nameOrFile.endsWith('.json')) {
    file = join(robotsDir(), 'arms', `${nameOrFile}${SIDECAR_SUFFIX}`);
    if (!existsSync(file)) {
      throw new RobotDescriptionError(nameOrFile, '(robot)', `is no bundled robot (bundled: ${bundledRobots().join(', ')}); give a .urdf or .json file`);
    }
  }
  const raw = readJson(file);
  if (!isSidecar(raw)) return validateRobot(raw, file);
  const sidecar = validateSidecar(raw, file);
  if (sidecar.urdf === undefined) throw new RobotDescriptionError(file, 'urdf', 'is missing: name the URDF file (relative to this sidecar)');
  const urdfFile = resolve(dirname(file), sidecar.urdf);
  return robotFromUrdf(readText(urdfFile), sidecar, urdfFile, file);
}

export function loadKeyboard(nameOrFile = 'piano-88'): KeyboardDescription {
  const file = nameOrFile.endsWith('.json') ? nameOrFile : join(robotsDir(), 'keyboards', `${nameOrFile}.json`);
  return validateKeyboard(readJson(file), file);
}

/** The same arm placed at another shoulder position, bending its elbow the given way (one arm per hand). */
export function placeRobot(robot: PianoArm, x: number, elbow: PianoArm['piano']['elbow'], name = `${robot.name}@${x.toFixed(2)}`): PianoArm {
  return { ...robot, name, piano: { ...robot.piano, elbow, base: { ...robot.piano.base, x } } };
}

/** A piano arm by file or bundled name: an error naming the robot when it has no keyboard placement or fingers. */
export function loadPianoArm(nameOrFile = 'ur5e-planar'): PianoArm {
  return pianoArm(loadRobot(nameOrFile));
}
