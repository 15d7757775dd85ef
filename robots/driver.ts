import type { RobotDescription } from './description.js';
import type { Emitter } from './events.js';

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
  /** How closed the gripper is, 0 = open .. 1 = closed (robots with a gripper). */
  gripper?: number;
}

/**
 * How a gripper command ended: ok when the gripper got there (or stalled on what it grasped, as a
 * gripper holding an object does), else why not (refused, aborted, preempted, cancelled by a stop).
 */
export interface GripperResult {
  ok: boolean;
  /** The closure commanded, 0 = open .. 1 = closed. */
  closure: number;
  /** Where the gripper ended, when the robot says. */
  position?: number;
  /** Stalled before the closure: it holds something (ok) or is blocked. */
  stalled?: boolean;
  error?: string;
}

/** A key going down or up under a robot's finger: MIDI pitch, robot clock time, s. */
export interface KeyPress {
  pitch: number;
  on: boolean;
  time: number;
}

/** How a trajectory goal ended on the controller: ok, or its error code and text (ros_control's codes where there are any). */
export interface GoalResult {
  ok: boolean;
  /** 0 when ok; FollowJointTrajectory's error_code otherwise (-1 invalid goal, -2 invalid joints, -3 old header timestamp, -4 path tolerance, -5 goal tolerance). */
  code: number;
  error?: string;
}

/** What a driver reports as it happens. */
export interface DriverEvents {
  /** A joint state arrived (real robots) or was produced (simulated ones). */
  state: JointState;
  /** The link to the robot went down (false) or came back (true). */
  connection: boolean;
  /** A trajectory goal finished, was rejected or aborted. */
  result: GoalResult;
  /** The robot stopped by itself or was stopped (watchdog, stop command, link loss), and why. */
  stopped: { reason: string };
  /** A key the robot pressed or released (robots at a keyboard), in its clock. */
  key: KeyPress;
  /** A gripper command finished, was refused or aborted. */
  gripper: GripperResult;
  /** Something went wrong that is not a command's answer (a malformed message from the robot). */
  error: { message: string };
}

export interface RobotDriver {
  readonly description: RobotDescription;
  /** Typed events: state, connection, result, stopped, error. */
  readonly events: Emitter<DriverEvents>;
  /** Queues a trajectory (points in time order, after any already queued). */
  follow(points: TrajectoryPoint[]): void;
  /** Extends finger `finger` to `extension` m at time `at` (default: now). */
  press(finger: number, extension: number, at?: number): void;
  /** Retracts finger `finger` at time `at` (default: now). */
  release(finger: number, at?: number): void;
  /**
   * Opens or closes the gripper (robots whose description has one): to `closure`, 0 = open .. 1 =
   * closed, at time `at` (default: now). Answered by a 'gripper' event.
   */
  grip?(closure: number, at?: number): void;
  state(): JointState;
  /** Drops every queued command (gripper commands too: the gripper holds where it is), retracts the fingers and holds the joints where they are. Always works. `reason` says why (watchdog, operator). */
  stop(reason?: string): void;
}
