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

/** The simulated arms' gripper unless their description has its own: full travel in 0.4 s. */
export const SIM_GRIPPER = { seconds: 0.4 };

/**
 * A position-controlled industrial arm of any joint count, its joint states at its 125 Hz control
 * rate, with a gripper at its tool (SIM_GRIPPER, or the description's; `gripper: false` for none).
 */
export function simulatedIndustrialArm(robot: RobotDescription, options: IndustrialArmOptions & { gripper?: false } = {}): SimulatedRobot {
  const { gripper, ...armOptions } = options;
  const described: RobotDescription = { ...robot, gripper: robot.gripper ?? SIM_GRIPPER };
  if (gripper === false) delete described.gripper;
  const arm = new IndustrialArm(described, armOptions);
  return { driver: arm, advance: (t) => arm.advance(t), stateHz: CONTROL_HZ };
}
