import type { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { recallSkill, type RecalledSkill } from '../../src/skills/skill.js';
import type { KeyboardDescription, RobotDescription } from '../description.js';
import type { Fragment } from '../../src/memory/types.js';
import { planContinuation, planPerformance, type ContinuationOptions, type PerformanceOptions, type PlannedContinuation, type PlannedPerformance } from './piano.js';

/**
 * Where robots get their motion from: the memory's recall, planned for the arms at hand. Recall and
 * planning are the heavy part of a performance, so the agent serves this from a worker thread and the
 * event loop that talks to robots never waits on them; tests and the command line use the memory
 * directly (localMotion).
 */
export interface MotionSource {
  /** Recalls a piece (spikes, at the pacemaker's tempo) and plans it for these arms at the keyboard. */
  planPiece(title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformanceOptions): Promise<PlannedPerformance>;
  /** Recalls a skill's keyframes from the network. */
  recallSkill(skill: string, options: { tempo?: number }): Promise<RecalledSkill>;
}

/** Where a continuation's motion comes from: the memory finds a played fragment's place and plans the piece from there on. */
export interface ContinuationSource {
  planContinuation(fragment: Fragment, arms: RobotDescription[], kb: KeyboardDescription, options: ContinuationOptions): Promise<PlannedContinuation>;
}

/** Motion straight from a memory on this thread. */
export function localMotion(memory: SequenceMemory): MotionSource & ContinuationSource {
  return {
    planPiece: async (title, arms, kb, options) => planPerformance(memory, title, arms, kb, options),
    planContinuation: async (fragment, arms, kb, options) => planContinuation(memory, fragment, arms, kb, options),
    recallSkill: async (skill, options) => recallSkill(memory, skill, options),
  };
}
