import type { SkillJoint } from './demonstration.js';

/** Symbols 0..127 are MIDI pitches; skills use the minicolumns above them, so both live in one memory. */
export const SKILL_SYMBOL_BASE = 128;

/** The resolution a new code aims for per joint, rad: half the 2 mrad of a typical joint encoder's noise. */
export const DEFAULT_POSE_RESOLUTION = 0.001;

/**
 * The widest coarse stretch a new code aims for, rad, where the columns allow: a coarse path (what
 * recognition follows) of such cells is thirty noise widths from one border to the next, so noise does
 * not cross them, and it still tells apart motions that differ by a few centiradians (on 3 joints of
 * +-pi: 105 x 60 columns; measured on the skills bench against 80 and 100 mrad over four seeds).
 */
export const COARSE_STRETCH = 0.06;

/** How a pose code lays out its minicolumns: per joint, coarse columns and fine columns (1: none). */
export interface PoseCodeLayout {
  base: number;
  coarse: readonly number[];
  fine: readonly number[];
}

/** Where a symbol belongs: its joint, and whether it is the joint's coarse or fine column, and its index. */
interface SymbolPlace {
  joint: number;
  fine: boolean;
  index: number;
}

/**
 * A pose as a chord of symbols. Each joint has its own band of spatial minicolumns: a coarse column
 * that says which of C stretches of the joint's range it is in, and a fine column that says where in
 * that stretch (F positions): C + F columns resolve C * F positions, so each joint's resolution is set
 * from its own range and no longer divided by the number of joints. A code with F = 1 has one column
 * per joint: the code skills were taught in before (bins shared out between the joints); it still
 * decodes. Nothing is stored per skill: encoding and decoding are fixed functions of the layout, which
 * the skill's title entry carries.
 */
export class PoseCode {
  readonly joints: readonly SkillJoint[];
  readonly base: number;
  /** Coarse columns per joint. */
  readonly coarse: readonly number[];
  /** Fine columns per joint (1: the joint has only its coarse column). */
  readonly fine: readonly number[];
  /** First symbol of each joint's band, and one past the last joint's. */
  readonly #start: number[];

  constructor(joints: readonly SkillJoint[], layout: PoseCodeLayout) {
    if (joints.length === 0) throw new RangeError('PoseCode: a skill needs at least one joint');
    if (layout.coarse.length !== joints.length || layout.fine.length !== joints.length) throw new RangeError(`PoseCode: the layout covers ${layout.coarse.length} joints, the skill has ${joints.length}`);
    joints.forEach((j, i) => {
      if (!(j.max > j.min)) throw new RangeError(`PoseCode: joint ${i} '${j.name}' has an empty range ${j.min}..${j.max}`);
      const c = layout.coarse[i]!;
      const f = layout.fine[i]!;
      if (!Number.isInteger(c) || !Number.isInteger(f) || c < 2 || f < 1) throw new RangeError(`PoseCode: joint ${i} '${j.name}' needs at least 2 coarse columns and 1 fine column`);
    });
    if (!Number.isInteger(layout.base) || layout.base < 0) throw new RangeError('PoseCode: the symbol base must be a non-negative integer');
    this.joints = joints;
    this.base = layout.base;
    this.coarse = [...layout.coarse];
    this.fine = [...layout.fine];
    this.#start = [layout.base];
    joints.forEach((_, j) => this.#start.push(this.#start[j]! + this.#columns(j)));
  }

  /**
   * A new code for these joints within symbols base..maxSymbol: each joint gets an equal share of the
   * columns and reaches `resolution` over its own range (coarse x fine positions) with coarse
   * stretches down to COARSE_STRETCH wide as far as its share allows, or, when the share cannot reach
   * the resolution, the finest split of the share.
   */
  static forJoints(joints: readonly SkillJoint[], options: { maxSymbol?: number; base?: number; resolution?: number } = {}): PoseCode {
    if (joints.length === 0) throw new RangeError('PoseCode: a skill needs at least one joint');
    const base = options.base ?? SKILL_SYMBOL_BASE;
    const share = Math.floor(((options.maxSymbol ?? 1023) - base + 1) / joints.length);
    if (share < 8) throw new RangeError(`PoseCode: ${joints.length} joints leave ${share} columns each; at most ${Math.floor(((options.maxSymbol ?? 1023) - base + 1) / 8)} joints fit`);
    const target = options.resolution ?? DEFAULT_POSE_RESOLUTION;
    if (!(target > 0)) throw new RangeError('PoseCode: resolution must be a positive number of radians');
    const coarse: number[] = [];
    const fine: number[] = [];
    for (const j of joints) {
      const positions = Math.max(4, Math.ceil((j.max - j.min) / target));
      // as few coarse columns as reach the resolution within the share, else the finest split of the
      // share; an odd number, so a symmetric range's middle (a home pose's 0) is no border between two
      let c = 3;
      while (c + Math.ceil(positions / c) > share && c < share) c += 2;
      // recognition follows the path through coarse cells (coarse-path.ts): where the share allows,
      // stretches no wider than COARSE_STRETCH, so motions a few of them apart tell apart early
      while (c + 2 + Math.ceil(positions / (c + 2)) <= share && (j.max - j.min) / c > COARSE_STRETCH) c += 2;
      let f = Math.max(2, Math.ceil(positions / c));
      if (c + f > share) {
        c = Math.floor(share / 2) | 1;
        f = share - c;
      }
      coarse.push(Math.max(2, c));
      fine.push(f);
    }
    return new PoseCode(joints, { base, coarse, fine });
  }

  /** The code skills were taught in before per-joint resolution: `bins` single columns per joint. */
  static singleColumn(joints: readonly SkillJoint[], bins: number, base = SKILL_SYMBOL_BASE): PoseCode {
    return new PoseCode(joints, { base, coarse: joints.map(() => bins), fine: joints.map(() => 1) });
  }

  #columns(j: number): number {
    return this.coarse[j]! + (this.fine[j]! > 1 ? this.fine[j]! : 0);
  }

  /** Positions joint j resolves across its range. */
  positions(j: number): number {
    return this.coarse[j]! * this.fine[j]!;
  }

  /** Width of one position of joint j, rad: the code's resolution (decoding errs by at most half of it). */
  resolution(j: number): number {
    const joint = this.joints[j]!;
    return (joint.max - joint.min) / this.positions(j);
  }

  /** Whether any joint has fine columns. */
  get hasFine(): boolean {
    return this.fine.some((f) => f > 1);
  }

  /** The highest symbol the code uses. */
  get lastSymbol(): number {
    return this.#start[this.joints.length]! - 1;
  }

  /** The symbols of a pose in ascending order: per joint its coarse column, then its fine one (if any). */
  encode(positions: readonly number[]): number[] {
    const out: number[] = [];
    this.joints.forEach((j, i) => {
      const n = this.positions(i);
      const u = (positions[i]! - j.min) / (j.max - j.min);
      const p = Math.min(n - 1, Math.max(0, Math.floor(u * n)));
      const f = this.fine[i]!;
      out.push(this.#start[i]! + Math.floor(p / f));
      if (f > 1) out.push(this.#start[i]! + this.coarse[i]! + (p % f));
    });
    return out;
  }

  /** The symbol of joint j's coarse column `stretch` (0..coarse[j]-1). */
  coarseSymbol(j: number, stretch: number): number {
    return this.#start[j]! + stretch;
  }

  /** Only the coarse symbols of a pose (one per joint): what sensor noise rarely flips. */
  encodeCoarse(positions: readonly number[]): number[] {
    return this.encode(positions).filter((s) => !this.#place(s)!.fine);
  }

  #place(symbol: number): SymbolPlace | null {
    if (!(symbol >= this.base && symbol <= this.lastSymbol)) return null;
    let j = 0;
    while (symbol >= this.#start[j + 1]!) j++;
    const index = symbol - this.#start[j]!;
    return index < this.coarse[j]! ? { joint: j, fine: false, index } : { joint: j, fine: true, index: index - this.coarse[j]! };
  }

  /** Which joint a symbol codes for (-1: not one of this code's). */
  jointOf(symbol: number): number {
    return this.#place(symbol)?.joint ?? -1;
  }

  /** Whether a symbol is a fine column (false for coarse ones and for symbols of no joint). */
  isFine(symbol: number): boolean {
    return this.#place(symbol)?.fine ?? false;
  }

  /**
   * The pose a chord of symbols stands for, per joint the centre of the position its columns name;
   * null where the joint's coarse column is missing. A missing fine column gives the coarse stretch's
   * centre, and the pose counts as incomplete. Symbols of no joint are ignored.
   */
  decodePose(symbols: Iterable<number>): { positions: Array<number | null>; complete: boolean } {
    const coarse: Array<number | null> = this.joints.map(() => null);
    const fine: Array<number | null> = this.joints.map(() => null);
    for (const s of symbols) {
      const p = this.#place(s);
      if (!p) continue;
      (p.fine ? fine : coarse)[p.joint] = p.index;
    }
    let complete = true;
    const positions = this.joints.map((joint, j) => {
      const c = coarse[j];
      const F = this.fine[j]!;
      if (c === null || c === undefined) return (complete = false), null;
      let at: number;
      if (F === 1) at = c + 0.5;
      else if (fine[j] === null) (complete = false), (at = c * F + F / 2);
      else at = c * F + fine[j]! + 0.5;
      return joint.min + (at / this.positions(j)) * (joint.max - joint.min);
    });
    return { positions, complete };
  }

  /** The layout as a title entry's meta keeps it (strings, as meta holds). */
  toMeta(): Record<string, string | number | string[]> {
    if (this.fine.every((f) => f === 1) && this.coarse.every((c) => c === this.coarse[0])) return { bins: this.coarse[0]!, symbolBase: this.base };
    return { poseCode: 'coarse-fine', coarse: this.coarse.map(String), fine: this.fine.map(String), symbolBase: this.base };
  }

  /** The code a skill's meta describes: the coarse-fine layout, or the single-column one (`bins`). */
  static fromMeta(joints: readonly SkillJoint[], meta: Record<string, unknown>, where: string): PoseCode {
    const base = meta.symbolBase;
    if (typeof base !== 'number') throw new RangeError(`${where}: meta.symbolBase is missing`);
    if (meta.poseCode === undefined) {
      if (typeof meta.bins !== 'number') throw new RangeError(`${where}: meta.bins is missing`);
      return PoseCode.singleColumn(joints, meta.bins, base);
    }
    if (meta.poseCode !== 'coarse-fine') throw new RangeError(`${where}: meta.poseCode names an unknown code`);
    const nums = (key: 'coarse' | 'fine') => {
      const v = meta[key];
      if (!Array.isArray(v) || v.length !== joints.length) throw new RangeError(`${where}: meta.${key} must list ${joints.length} column counts`);
      return v.map(Number);
    };
    return new PoseCode(joints, { base, coarse: nums('coarse'), fine: nums('fine') });
  }
}
