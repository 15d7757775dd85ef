import type { KeyboardDescription, PianoArm } from '../robots/description.js';
import { loadKeyboard, loadPianoArm } from '../robots/load.js';
import type { MotionSource } from '../robots/motion/motion-source.js';
import { armPair, type PlannedPerformance } from '../robots/motion/piano.js';
import { performPlanned, type Performance } from './perform.js';

/** Where the physics of planned pieces runs: this thread (physicsOnThread) or the sim worker (sim-worker.ts). */
export interface PhysicsRunner {
  perform(title: string, planned: PlannedPerformance, kb: KeyboardDescription, options: { tempo?: number }): Promise<Performance>;
  /** The performance with its recording for a view, as JSON text: encoded where the physics ran, so a large recording is never walked on the caller's thread. */
  record(title: string, planned: PlannedPerformance, kb: KeyboardDescription, options: { tempo?: number; recordFps: number }): Promise<string>;
}

/** The physics on the caller's thread (the CLI, tests, and the bench's comparison). */
export const physicsOnThread: PhysicsRunner = {
  perform: async (title, planned, kb, options) => performPlanned(title, planned, kb, options),
  record: async (title, planned, kb, options) => JSON.stringify(performPlanned(title, planned, kb, options)),
};

/** Simulated performances by the two piano arms at the keyboard. */
export interface ArmSimulator {
  perform(title: string, options: { tempo?: number; seconds?: number }): Promise<Performance>;
  /** With the recording (arm poses at `recordFps`, key events, the recall's spike raster), as JSON text. */
  recording(title: string, options: { tempo?: number; seconds?: number; recordFps: number }): Promise<string>;
}

/**
 * The simulated arms as the agent uses them: recall and planning from `motion` (the memory service),
 * the physics from `physics`, so each heavy part runs where the wiring put it.
 */
export function armSimulator(motion: MotionSource, physics: PhysicsRunner, options: { robot?: PianoArm; keyboard?: KeyboardDescription } = {}): ArmSimulator {
  const kb = options.keyboard ?? loadKeyboard();
  const arms = armPair(options.robot ?? loadPianoArm(), kb);
  return {
    perform: async (title, o) => physics.perform(title, await motion.planPiece(title, arms, kb, o), kb, o),
    recording: async (title, o) => physics.record(title, await motion.planPiece(title, arms, kb, { ...o, raster: true }), kb, o),
  };
}
