import type { SkillJoint } from './demonstration.js';

/** Symbols 0..127 are MIDI pitches; skills use the minicolumns above them, so both live in one memory. */
export const SKILL_SYMBOL_BASE = 128;

/**
 * A pose as a chord of symbols: each joint has its own band of spatial minicolumns, one per position
 * bin across the joint's range (a population code: the column that fires says where the joint is).
 * Nothing is stored per skill: encoding and decoding are fixed functions of the joints' ranges.
 */
export class PoseCode {
  readonly joints: readonly SkillJoint[];
  /** Position bins per joint. */
  readonly bins: number;
  readonly base: number;

  constructor(joints: readonly SkillJoint[], options: { maxSymbol?: number; base?: number; bins?: number } = {}) {
    if (joints.length === 0) throw new RangeError('PoseCode: a skill needs at least one joint');
    this.joints = joints;
    this.base = options.base ?? SKILL_SYMBOL_BASE;
    const room = Math.floor(((options.maxSymbol ?? 1023) - this.base + 1) / joints.length);
    this.bins = Math.min(options.bins ?? room, room);
    if (this.bins < 8) throw new RangeError(`PoseCode: ${joints.length} joints leave ${this.bins} position bins each; at most ${Math.floor(((options.maxSymbol ?? 1023) - this.base + 1) / 8)} joints fit`);
    joints.forEach((j, i) => {
      if (!(j.max > j.min)) throw new RangeError(`PoseCode: joint ${i} '${j.name}' has an empty range ${j.min}..${j.max}`);
    });
  }

  /** Width of one bin of joint j, rad: the code's resolution (decoding errs by at most half of it). */
  resolution(j: number): number {
    const joint = this.joints[j]!;
    return (joint.max - joint.min) / this.bins;
  }

  /** The symbols of a pose, one per joint, in joint order (ascending). */
  encode(positions: readonly number[]): number[] {
    return this.joints.map((j, i) => {
      const u = (positions[i]! - j.min) / (j.max - j.min);
      const bin = Math.min(this.bins - 1, Math.max(0, Math.floor(u * this.bins)));
      return this.base + i * this.bins + bin;
    });
  }

  /** Which joint a symbol codes for (-1: not one of this code's). */
  jointOf(symbol: number): number {
    const j = Math.floor((symbol - this.base) / this.bins);
    return symbol >= this.base && j < this.joints.length ? j : -1;
  }

  /** The bin centre a symbol stands for, rad. */
  decode(symbol: number): number {
    const j = this.jointOf(symbol);
    if (j < 0) throw new RangeError(`PoseCode: symbol ${symbol} codes no joint`);
    const joint = this.joints[j]!;
    const bin = symbol - this.base - j * this.bins;
    return joint.min + ((bin + 0.5) / this.bins) * (joint.max - joint.min);
  }
}
