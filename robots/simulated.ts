import type { RobotDriver } from './driver.js';

/** A key the robot's keyboard reported: pressed (on) or released, at `time` s on the robot's clock. */
export interface SimKeyEvent {
  pitch: number;
  on: boolean;
  time: number;
}

/**
 * A robot that exists only in simulation, as a transport (MQTT, ROS) needs it: its driver, a clock the
 * transport moves forward, and what it senses. The wiring builds one (a Matter.js piano arm, an
 * industrial arm) and hands it to whatever makes it reachable, so transports never import the simulator.
 */
export interface SimulatedRobot {
  /** Commands in, joint states, goal results and stops out (as events). */
  readonly driver: RobotDriver;
  /** Moves simulated time forward to `t`, s on the robot's clock; the driver emits what happened meanwhile. */
  advance(t: number): void;
  /** Key events so far, oldest first (robots at a keyboard). */
  keyEvents?(): readonly SimKeyEvent[];
  /** How often the robot reports its joint state, Hz. */
  readonly stateHz: number;
}
