import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pianoArm, RobotDescriptionError, validateKeyboard, validateRobot, type KeyboardDescription, type PianoArm, type RobotDescription } from './description.js';

/** The robots/ folder, from this module in robots/ (tests) or dist/robots/ (built). */
export function robotsDir(): string {
  return new URL('.', import.meta.url).pathname.replace(/\/dist\/robots\/$/, '/robots/');
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RobotDescriptionError(file, '(file)', `cannot be read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RobotDescriptionError(file, '(file)', `is not valid JSON: ${(err as Error).message}`);
  }
}

/** A robot description by file path or by name of a bundled one (robots/arms/<name>.json). */
export function loadRobot(nameOrFile: string): RobotDescription {
  const file = nameOrFile.endsWith('.json') ? nameOrFile : join(robotsDir(), 'arms', `${nameOrFile}.json`);
  return validateRobot(readJson(file), file);
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
