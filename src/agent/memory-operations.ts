import type { KeyboardDescription, RobotDescription } from '../../robots/description.js';
import { planContinuation, planPerformance, type ContinuationOptions, type PerformanceOptions, type PlannedPerformance } from '../../robots/motion/piano.js';
import { memoryAnatomy, titleChain, type MemoryAnatomy, type TitleChain } from '../memory/anatomy.js';
import type { ForgetStats, LearnStats, MemoryStats, SequenceMemory } from '../memory/sequence-memory.js';
import type { CompleteResult, Fragment, IdentifyMatch, RecallResult, Sequence } from '../memory/types.js';
import { parseMidi } from '../music/midi-reader.js';
import type { DemoSample, SkillJoint } from '../skills/demonstration.js';
import { placeInSkill, recogniseSkill, type SkillRecognition } from '../skills/recognise-skill.js';
import { recallSkill, teachSkill, type RecalledSkill, type TaughtSkill } from '../skills/skill.js';
import { notesPerTitle, saveMemory } from './library.js';

/** A skill recognition, with where in the skill named the motion has got to when that was asked. */
export type SkillIdentification = SkillRecognition & { place?: number | null };

/** A title as the commands see it: music (learned from MIDI) or a skill (taught by demonstration). */
export interface TitleSummary {
  title: string;
  kind: 'music' | 'skill';
  tracks: number;
}

/** A title in the library listing: with the notes the network holds for it and the file it came from. */
export interface TitleListing extends TitleSummary {
  notes: number;
  file: string | null;
}

export type ServiceStats = MemoryStats & { skills: number };

/** A planned piece with each plan's arm given as its index in the arms asked for (robots do not cross threads by identity). */
export interface IndexedPlan {
  score: PlannedPerformance['score'];
  plans: Array<{ arm: number; plan: PlannedPerformance['plans'][number]['plan']; tracks: number[]; notes: number }>;
  raster?: PlannedPerformance['raster'];
  continuation?: PlannedPerformance['continuation'];
}

/**
 * A change to the memory as the journal keeps it: what replays it exactly (learning is deterministic
 * given the memory's state, its seeded RNG included). MIDI is kept as the file's bytes, which are far
 * smaller than the notes they hold.
 */
export type MemoryChange =
  | { op: 'learn'; title: string; sequence: Sequence }
  | { op: 'learnMidi'; title: string; midi: Uint8Array; source: string }
  | { op: 'teachSkill'; skill: string; samples: DemoSample[]; joints: SkillJoint[]; options: { robot?: string; tolerance?: number } }
  | { op: 'forget'; title: string }
  | { op: 'rename'; title: string; to: string };

/** A change as journal record bytes (JSON; MIDI bytes in base64). */
export function encodeChange(c: MemoryChange): Buffer {
  return Buffer.from(JSON.stringify(c.op === 'learnMidi' ? { ...c, midi: Buffer.from(c.midi).toString('base64') } : c), 'utf8');
}

/** A journal record's change; throws on anything else (the caller names the record). */
export function decodeChange(bytes: Buffer): MemoryChange {
  const c = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  if (c.op === 'learnMidi' && typeof c.midi === 'string') return { ...(c as unknown as MemoryChange & { op: 'learnMidi' }), midi: Buffer.from(c.midi, 'base64') };
  if (c.op === 'learn' || c.op === 'teachSkill') return c as unknown as MemoryChange;
  if (c.op === 'forget' && typeof c.title === 'string') return { op: 'forget', title: c.title };
  if (c.op === 'rename' && typeof c.title === 'string' && typeof c.to === 'string') return { op: 'rename', title: c.title, to: c.to };
  throw new TypeError(`unknown change '${String(c.op).slice(0, 32)}'`);
}

/**
 * Everything the agent asks of its memory, run where the memory lives (the memory worker, or this
 * thread for the CLI and tests): one implementation behind both MemoryService kinds. Changing calls
 * (learn, teach) mark the memory dirty and hand the change to `onChange` (the journal); whoever runs
 * them makes the change durable before acknowledging.
 */
export class MemoryOperations {
  readonly memory: SequenceMemory;
  /** The memory file; none: nothing is saved. */
  readonly file: string | undefined;
  #dirty = false;
  readonly #onChange: ((c: MemoryChange) => void) | undefined;

  constructor(memory: SequenceMemory, file?: string, onChange?: (c: MemoryChange) => void) {
    this.memory = memory;
    this.file = file;
    this.#onChange = onChange;
  }

  /** Makes a journaled change again (replay at start); throws what the change throws. */
  apply(c: MemoryChange): void {
    if (c.op === 'learn') this.learn(c.title, c.sequence);
    else if (c.op === 'learnMidi') this.learnMidi(c.title, c.midi, c.source);
    else if (c.op === 'teachSkill') this.teachSkill(c.skill, c.samples, c.joints, c.options);
    else if (c.op === 'forget') this.forget(c.title);
    else this.rename(c.title, c.to);
  }

  /** Whether something was learned since the last save. */
  get dirty(): boolean {
    return this.#dirty;
  }

  stats(): ServiceStats {
    return { ...this.memory.stats(), skills: this.memory.titles().filter((e) => e.meta?.kind === 'skill').length };
  }

  list(): TitleListing[] {
    const counts = notesPerTitle(this.memory);
    return this.memory.titles().map((e) => ({ ...summary(e), notes: counts.get(e.title) ?? 0, file: typeof e.meta?.file === 'string' ? e.meta.file : null }));
  }

  /** Neurons, synapses and bytes per area: read from the network, nothing changed. */
  anatomy(): MemoryAnatomy {
    return memoryAnatomy(this.memory);
  }

  /** One track of a title as the network holds it (read only); throws UnknownTitleError naming the title. */
  chain(title: string, options: { track?: number; maxNotes?: number } = {}): TitleChain {
    return titleChain(this.memory, title, options);
  }

  /** Throws UnknownTitleError naming the title. */
  title(title: string): TitleSummary {
    return summary(this.memory.entry(title));
  }

  has(title: string): boolean {
    return this.memory.has(title);
  }

  recall(title: string, options: { tempo?: number; tracks?: number[]; raster?: boolean } = {}): RecallResult {
    return this.memory.recall(title, options);
  }

  identify(fragment: Fragment, options: { limit?: number } = {}): IdentifyMatch[] {
    return this.memory.identify(fragment, options);
  }

  complete(fragment: Fragment, options: { count?: number; tempo?: number } = {}): CompleteResult {
    return this.memory.complete(fragment, options);
  }

  learn(title: string, sequence: Sequence): LearnStats {
    const stats = this.memory.learn(title, sequence);
    this.#changed({ op: 'learn', title, sequence });
    return stats;
  }

  /** Learns a MIDI file's bytes under `title`; `source` names it in errors. */
  learnMidi(title: string, midi: Uint8Array, source = `MIDI for '${title}'`): LearnStats {
    const stats = this.memory.learn(title, parseMidi(midi, source, title).sequence);
    this.#changed({ op: 'learnMidi', title, midi, source });
    return stats;
  }

  teachSkill(skill: string, samples: DemoSample[], joints: SkillJoint[], options: { robot?: string; tolerance?: number } = {}): TaughtSkill {
    const taught = teachSkill(this.memory, skill, samples, joints, options);
    this.#changed({ op: 'teachSkill', skill, samples, joints, options });
    return taught;
  }

  /** Forgets a title (its neurons reclaimed, its synapses cut); throws UnknownTitleError if there is none. */
  forget(title: string): ForgetStats & { kind: TitleSummary['kind'] } {
    const { kind } = this.title(title);
    const stats = this.memory.forget(title);
    this.#changed({ op: 'forget', title });
    return { ...stats, kind };
  }

  /** Renames a title; throws UnknownTitleError, or MemoryInputError naming `to` (taken, or empty). */
  rename(title: string, to: string): TitleSummary & { from: string } {
    this.memory.rename(title, to);
    if (to !== title) this.#changed({ op: 'rename', title, to });
    return { from: title, ...this.title(to) };
  }

  #changed(c: MemoryChange): void {
    this.#dirty = true;
    this.#onChange?.(c);
  }

  /**
   * "What is this skill?" for joint samples of a motion so far (recognise-skill.ts); with `place`, and
   * one skill named alone, also where in it the motion has got to (s at tempo 1; null: not placed).
   */
  identifySkill(samples: DemoSample[], joints: SkillJoint[], options: { limit?: number; place?: boolean } = {}): SkillIdentification {
    const r = recogniseSkill(this.memory, samples, joints, { limit: options.limit, where: 'identify-skill' });
    if (!options.place || !r.best) return r;
    return { ...r, place: placeInSkill(this.memory, r.best, samples, joints) };
  }

  recallSkill(skill: string, options: { tempo?: number } = {}): RecalledSkill {
    return recallSkill(this.memory, skill, options);
  }

  planPiece(title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformanceOptions = {}): IndexedPlan {
    return indexed(planPerformance(this.memory, title, arms, kb, options), arms);
  }

  /** Completes a played fragment and plans the piece from its place on (planContinuation). */
  planContinuation(fragment: Fragment, arms: RobotDescription[], kb: KeyboardDescription, options: ContinuationOptions = {}): IndexedPlan {
    return indexed(planContinuation(this.memory, fragment, arms, kb, options), arms);
  }

  /** Writes the memory file (atomically); returns its size in bytes, 0 without a file. */
  save(): number {
    if (!this.file) return 0;
    const bytes = saveMemory(this.memory, this.file);
    this.#dirty = false;
    return bytes;
  }
}

/** Mutating operations: acknowledged only once saved. */
export const CHANGING_OPERATIONS: ReadonlySet<string> = new Set(['learn', 'learnMidi', 'teachSkill', 'forget', 'rename']);

/** A planned piece with its arms as indices into `arms`. */
function indexed(p: PlannedPerformance, arms: RobotDescription[]): IndexedPlan {
  return {
    score: p.score,
    plans: p.plans.map(({ robot, ...rest }) => ({ arm: arms.indexOf(robot), ...rest })),
    ...(p.raster ? { raster: p.raster } : {}),
    ...(p.continuation ? { continuation: p.continuation } : {}),
  };
}

/** A planned piece from its indexed form, each plan holding the very arm object it was asked for. */
export function withArms(p: IndexedPlan, arms: RobotDescription[]): PlannedPerformance {
  return {
    score: p.score,
    plans: p.plans.map(({ arm, ...rest }) => ({ robot: arms[arm] as PlannedPerformance['plans'][number]['robot'], ...rest })),
    ...(p.raster ? { raster: p.raster } : {}),
    ...(p.continuation ? { continuation: p.continuation } : {}),
  };
}

function summary(e: { title: string; tracks: number; meta?: Record<string, unknown> }): TitleSummary {
  return { title: e.title, kind: e.meta?.kind === 'skill' ? 'skill' : 'music', tracks: e.tracks };
}
