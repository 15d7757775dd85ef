import type { KeyboardDescription, PianoArm, RobotDescription } from '../robots/description.js';
import type { SimulatedRobot } from '../robots/simulated.js';
import { CONTROL_HZ, IndustrialArm, type IndustrialArmOptions } from './industrial-arm.js';
import { World } from './world.js';

/**
 * The simulator's robots as SimulatedRobots, for the transports that make them reachable (MQTT):
 * the wiring builds them here and hands them over.
 */

/** A Matter.js piano arm alone at its own keyboard (physics step `dtMs`, joint states at `stateHz`). */
export function simulatedPianoArm(keyboard: KeyboardDescription, robot: PianoArm, startQ: number[], options: { dtMs?: number; stateHz?: number } = {}): SimulatedRobot {
  const world = new World(keyboard, [{ robot, startQ }], { dtMs: options.dtMs ?? 2 });
  return {
    driver: world.arms[0]!,
    advance: (t) => world.run(t),
    keyEvents: () => world.events,
    stateHz: options.stateHz ?? 50,
  };
}

/** A position-controlled industrial arm of any joint count, its joint states at its 125 Hz control rate. */
export function simulatedIndustrialArm(robot: RobotDescription, options: IndustrialArmOptions = {}): SimulatedRobot {
  const arm = new IndustrialArm(robot, options);
  return { driver: arm, advance: (t) => arm.advance(t), stateHz: CONTROL_HZ };
}
