import type { KeyboardDescription, PianoArm } from '../robots/description.js';
import { loadKeyboard, loadPianoArm } from '../robots/load.js';
import type { ContinuationSource, MotionSource } from '../robots/motion/motion-source.js';
import { armPair, type ContinuationOptions, type PlannedPerformance } from '../robots/motion/piano.js';
import type { Fragment } from '../src/memory/types.js';
import { gzipSync } from 'node:zlib';
import { performPlanned, type Performance } from './perform.js';

/** A recording as JSON text, or that text gzip'd (for a client that takes gzip): made where the physics ran. */
export type EncodedRecording = { encoding: 'identity'; body: string } | { encoding: 'gzip'; body: Uint8Array };

/** What a recording is asked for with: the tempo, the frame rate, and whether the text is to be gzip'd. */
export interface RecordOptions {
  tempo?: number;
  recordFps: number;
  gzip?: boolean;
}

/** Where the physics of planned pieces runs: this thread (physicsOnThread) or the sim worker (sim-worker.ts). */
export interface PhysicsRunner {
  perform(title: string, planned: PlannedPerformance, kb: KeyboardDescription, options: { tempo?: number }): Promise<Performance>;
  /**
   * The performance with its recording for a view, as JSON text (gzip'd when asked): encoded and
   * compressed where the physics ran, so a large recording is never walked on the caller's thread.
   */
  record(title: string, planned: PlannedPerformance, kb: KeyboardDescription, options: RecordOptions): Promise<EncodedRecording>;
}

/** The physics on the caller's thread (the CLI, tests, and the bench's comparison). */
export const physicsOnThread: PhysicsRunner = {
  perform: async (title, planned, kb, options) => performPlanned(title, planned, kb, options),
  record: async (title, planned, kb, options) => {
    const text = JSON.stringify(performPlanned(title, planned, kb, options));
    // level 4: ~10x smaller for this JSON at a fraction of the default level's time
    return options.gzip ? { encoding: 'gzip', body: gzipSync(text, { level: 4 }) } : { encoding: 'identity', body: text };
  },
};

/** Simulated performances by the two piano arms at the keyboard. */
export interface ArmSimulator {
  perform(title: string, options: { tempo?: number; seconds?: number }): Promise<Performance>;
  /** With the recording (arm poses at `recordFps`, key events, the recall's spike raster), as JSON text (gzip'd when asked). */
  recording(title: string, options: RecordOptions & { seconds?: number }): Promise<EncodedRecording>;
  /** Plays on from a played fragment: the piece from where the memory found it, every track, at the player's tempo (planContinuation). */
  performFrom(fragment: Fragment, options: ContinuationOptions): Promise<Performance>;
  /** performFrom with its recording for a view, as JSON text (gzip'd when asked). */
  recordFrom(fragment: Fragment, options: ContinuationOptions & Omit<RecordOptions, 'tempo'>): Promise<EncodedRecording>;
}

/**
 * The simulated arms as the agent uses them: recall and planning from `motion` (the memory service),
 * the physics from `physics`, so each heavy part runs where the wiring put it.
 */
export function armSimulator(motion: MotionSource & ContinuationSource, physics: PhysicsRunner, options: { robot?: PianoArm; keyboard?: KeyboardDescription } = {}): ArmSimulator {
  const kb = options.keyboard ?? loadKeyboard();
  const arms = armPair(options.robot ?? loadPianoArm(), kb);
  return {
    perform: async (title, o) => physics.perform(title, await motion.planPiece(title, arms, kb, o), kb, o),
    recording: async (title, o) => physics.record(title, await motion.planPiece(title, arms, kb, { ...o, raster: true }), kb, o),
    performFrom: async (fragment, o) => {
      const planned = await motion.planContinuation(fragment, arms, kb, o);
      return physics.perform(planned.continuation.title, planned, kb, { tempo: planned.continuation.tempo });
    },
    recordFrom: async (fragment, o) => {
      const planned = await motion.planContinuation(fragment, arms, kb, { ...o, raster: true });
      return physics.record(planned.continuation.title, planned, kb, { ...o, tempo: planned.continuation.tempo });
    },
  };
}
