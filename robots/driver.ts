import type { RobotDescription } from './description.js';

/**
 * The interface every robot implements, simulated or real (Matter.js arm, ROS arm, MQTT arm): follow a
 * joint trajectory, move fingers, report joint state, stop. Times are seconds on the driver's clock.
 */
export interface TrajectoryPoint {
  /** When the joints should be here, s. */
  time: number;
  /** Joint positions, rad, in the description's joint order. */
  positions: number[];
  /** Joint velocities, rad/s (optional: derived from neighbours when missing). */
  velocities?: number[];
  /** Joint accelerations, rad/s^2 (optional: with them the controller interpolates a quintic, else a cubic). */
  accelerations?: number[];
}

export interface JointState {
  time: number;
  positions: number[];
  velocities: number[];
  /** Each finger's extension, m. */
  fingers: number[];
}

export interface RobotDriver {
  readonly description: RobotDescription;
  /** Queues a trajectory (points in time order, after any already queued). */
  follow(points: TrajectoryPoint[]): void;
  /** Extends finger `finger` to `extension` m at time `at` (default: now). */
  press(finger: number, extension: number, at?: number): void;
  /** Retracts finger `finger` at time `at` (default: now). */
  release(finger: number, at?: number): void;
  state(): JointState;
  /** Drops every queued command, retracts the fingers and holds the joints where they are. Always works. */
  stop(): void;
}
