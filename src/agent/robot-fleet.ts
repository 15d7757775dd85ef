import type { KeyboardDescription, RobotDescription } from '../../robots/description.js';
import type { JointState } from '../../robots/driver.js';
import type { Emitter } from '../../robots/events.js';
import type { PlannedPath } from '../../robots/motion/planned-path.js';
import type { SkillJoint, DemoSample } from '../skills/demonstration.js';

/** What the agent reports about one connected robot. */
export interface RobotStatus {
  id: string;
  transport: 'mqtt' | 'ros';
  robot: string;
  joints: string[];
  connected: boolean;
  stopped: boolean;
  stopReason: string | null;
  /** What it is doing: 'idle', 'performing <title>', 'recording <skill>'. */
  activity: string;
  positions: number[];
}

/** What a page needs to draw the robots: each one's description (with its URDF when it has one) and status. */
export interface FleetDescription {
  /** The keyboard the piano arms play. */
  keyboard: KeyboardDescription;
  robots: Array<RobotStatus & { description: RobotDescription }>;
}

/** What happens to the fleet's robots, as it happens (for live views; commands report through EventSink). */
export interface FleetEvents {
  /** A robot's joint state, as its safety gate passed it on (description joint order). */
  state: { id: string; state: JointState };
  /** A robot's link, stop or activity changed: its RobotStatus is worth reading again. */
  status: { id: string };
  /** The trajectory a robot is about to execute (a skill), sampled for drawing. */
  path: { id: string; title: string } & PlannedPath;
  /** A robot joined or left the fleet. */
  members: { ids: string[] };
}

/** What a jog was sent as: where the robot goes and when it gets there (its own clock, s). */
export interface JogResult {
  robot: string;
  positions: number[];
  /** The robot's clock when the move ends. */
  until: number;
  /** How long the move takes, s. */
  seconds: number;
}

export type EventSink = (event: { type: string; [key: string]: unknown }) => void;

/**
 * The robots the agent drives (MQTT, ROS), seen from the agent's commands. The bridge implements it;
 * every command it sends goes through each robot's safety gate.
 */
export interface RobotFleet {
  list(): RobotStatus[];
  /** The joints (names, ranges) of a robot, for teaching. Throws naming the robot if unknown. */
  joints(id: string): SkillJoint[];
  /** Several robots play a piece together (one per track); resolves when done or stopped. */
  performPiece(title: string, ids: string[], options: { tempo?: number; seconds?: number }, emit: EventSink): Promise<unknown>;
  /** One robot performs a skill recalled from the memory (from `from` s into it at tempo 1: the rest of it, from where the robot is). */
  performSkill(skill: string, id: string, options: { tempo?: number; fit?: boolean; from?: number }, emit: EventSink): Promise<unknown>;
  /**
   * Moves an idle robot to `positions` (description joint order), through its safety gate: a careful
   * move at most at half its speed and acceleration limits, after any jog still under way. Resolves
   * when the robot reports the move done; rejects naming the robot, the joint or the limit when it
   * cannot be made, or the robot's own answer when the robot refused or aborted it.
   */
  jog(id: string, positions: number[]): Promise<JogResult>;
  /** Opens (closure 0) or closes (1) an idle robot's gripper; resolves when it got there, rejects naming the robot and why not. */
  grip?(id: string, closure: number): Promise<{ robot: string; closure: number; position: number | null }>;
  /** Records a robot's joint states for `seconds` (or until stop): a demonstration. */
  record(id: string, seconds: number, emit: EventSink): Promise<DemoSample[]>;
  /** Stops every robot now (or the named ones) and ends what they were doing; returns the ids stopped. */
  stop(reason: string, ids?: string[]): string[];
  /** Lets stopped robots take commands again: the ids resumed, and why each other one was not (link down, busy). */
  resume(ids?: string[]): { resumed: string[]; refused: Array<{ robot: string; reason: string }> };
  /** Every robot's description and status (for views). */
  describe?(): FleetDescription;
  /** Joint states, status changes, planned paths and membership, as they happen. */
  readonly events?: Emitter<FleetEvents>;
}
