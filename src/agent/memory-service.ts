import type { KeyboardDescription, RobotDescription } from '../../robots/description.js';
import { Emitter } from '../../robots/events.js';
import type { ContinuationSource, MotionSource } from '../../robots/motion/motion-source.js';
import type { ContinuationOptions, PerformanceOptions, PlannedContinuation, PlannedPerformance } from '../../robots/motion/piano.js';
import type { MemoryAnatomy, TitleChain } from '../memory/anatomy.js';
import type { MemoryParams } from '../memory/params.js';
import type { ForgetStats, LearnStats, SequenceMemory } from '../memory/sequence-memory.js';
import type { CompleteResult, Fragment, IdentifyMatch, RecallResult, Sequence } from '../memory/types.js';
import type { DemoSample, SkillJoint } from '../skills/demonstration.js';
import type { RecalledSkill, TaughtSkill } from '../skills/skill.js';
import { MemoryOperations, withArms, type IndexedPlan, type ServiceStats, type SkillIdentification, type TitleListing, type TitleSummary } from './memory-operations.js';
import type { StoreStats } from './memory-store.js';
import type { MemoryWorkerData } from './memory-worker.js';
import { WorkerClient, type WorkerClientEvents } from './worker-client.js';

export type { ServiceStats, TitleListing, TitleSummary } from './memory-operations.js';

export type MemoryServiceEvents = WorkerClientEvents;

/**
 * The agent's memory as an async service: what the commands, the fleet (as its MotionSource) and the
 * simulator ask of it. Two kinds: MemoryWorker (the agent: the memory in a worker thread, so the event
 * loop that talks to robots never waits on recall or learning) and MemoryOnThread (the CLI, tests).
 * Errors keep their name and message (UnknownTitleError, MemoryInputError, MidiFileError,
 * DemonstrationError, ...). Changes are saved to the memory file before they are acknowledged.
 */
export interface MemoryService extends MotionSource, ContinuationSource {
  /** Titles, skills, notes, neurons, synapses. */
  stats(): Promise<ServiceStats>;
  /** Neurons, synapses and bytes per area (read only). */
  anatomy(): Promise<MemoryAnatomy>;
  /** One track of a title's chain as the network holds it (read only). */
  chain(title: string, options?: { track?: number; maxNotes?: number }): Promise<TitleChain>;
  /** Every title with its kind, tracks, notes held by the network and source file. */
  list(): Promise<TitleListing[]>;
  /** One title's kind and tracks; UnknownTitleError naming it if it was never learned. */
  title(title: string): Promise<TitleSummary>;
  has(title: string): Promise<boolean>;
  recall(title: string, options?: { tempo?: number; tracks?: number[] }): Promise<RecallResult>;
  identify(fragment: Fragment, options?: { limit?: number }): Promise<IdentifyMatch[]>;
  complete(fragment: Fragment, options?: { count?: number; tempo?: number }): Promise<CompleteResult>;
  learn(title: string, sequence: Sequence): Promise<LearnStats>;
  /** Learns a MIDI file's bytes; `source` names it in errors (default "MIDI for '<title>'"). */
  learnMidi(title: string, midi: Uint8Array, source?: string): Promise<LearnStats>;
  teachSkill(skill: string, samples: DemoSample[], joints: SkillJoint[], options?: { robot?: string; tolerance?: number }): Promise<TaughtSkill>;
  recallSkill(skill: string, options: { tempo?: number }): Promise<RecalledSkill>;
  /** "What is this skill?" for joint samples so far; `place`: where in the skill named alone the motion is (s). */
  identifySkill(samples: DemoSample[], joints: SkillJoint[], options?: { limit?: number; place?: boolean }): Promise<SkillIdentification>;
  /** Forgets a title (music or skill): its neurons reclaimed, its synapses cut; UnknownTitleError if there is none. */
  forget(title: string): Promise<ForgetStats & { kind: TitleSummary['kind'] }>;
  /** Renames a title; UnknownTitleError, or MemoryInputError naming `to` when the name is taken or empty. */
  rename(title: string, to: string): Promise<TitleSummary & { from: string }>;
  /** Recalls a piece and plans it for these arms at the keyboard; each plan holds the arm object given. */
  planPiece(title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformanceOptions): Promise<PlannedPerformance>;
  /** Writes the memory file now; returns its bytes (0 without a file). */
  save(): Promise<number>;
  /** error: the memory's worker crashed (pending calls failed with it); restarted: it runs again from the saved file. */
  readonly events: Emitter<MemoryServiceEvents>;
  close(): Promise<void>;
}

/** The memory on this thread: every call runs at once (the CLI, tests, and the bench's comparison). */
export class MemoryOnThread implements MemoryService {
  readonly events = new Emitter<MemoryServiceEvents>();
  readonly #ops: MemoryOperations;

  /** With a file, every change is saved to it before the call resolves. */
  constructor(memory: SequenceMemory, file?: string) {
    this.#ops = new MemoryOperations(memory, file);
  }

  get memory(): SequenceMemory {
    return this.#ops.memory;
  }

  async stats(): Promise<ServiceStats> {
    return this.#ops.stats();
  }
  async anatomy(): Promise<MemoryAnatomy> {
    return this.#ops.anatomy();
  }
  async chain(title: string, options: { track?: number; maxNotes?: number } = {}): Promise<TitleChain> {
    return this.#ops.chain(title, options);
  }
  async list(): Promise<TitleListing[]> {
    return this.#ops.list();
  }
  async title(title: string): Promise<TitleSummary> {
    return this.#ops.title(title);
  }
  async has(title: string): Promise<boolean> {
    return this.#ops.has(title);
  }
  async recall(title: string, options: { tempo?: number; tracks?: number[] } = {}): Promise<RecallResult> {
    return this.#ops.recall(title, options);
  }
  async identify(fragment: Fragment, options: { limit?: number } = {}): Promise<IdentifyMatch[]> {
    return this.#ops.identify(fragment, options);
  }
  async complete(fragment: Fragment, options: { count?: number; tempo?: number } = {}): Promise<CompleteResult> {
    return this.#ops.complete(fragment, options);
  }
  async learn(title: string, sequence: Sequence): Promise<LearnStats> {
    return this.#saved(this.#ops.learn(title, sequence));
  }
  async learnMidi(title: string, midi: Uint8Array, source?: string): Promise<LearnStats> {
    return this.#saved(this.#ops.learnMidi(title, midi, source));
  }
  async teachSkill(skill: string, samples: DemoSample[], joints: SkillJoint[], options: { robot?: string; tolerance?: number } = {}): Promise<TaughtSkill> {
    return this.#saved(this.#ops.teachSkill(skill, samples, joints, options));
  }
  async recallSkill(skill: string, options: { tempo?: number } = {}): Promise<RecalledSkill> {
    return this.#ops.recallSkill(skill, options);
  }
  async identifySkill(samples: DemoSample[], joints: SkillJoint[], options: { limit?: number; place?: boolean } = {}): Promise<SkillIdentification> {
    return this.#ops.identifySkill(samples, joints, options);
  }
  async forget(title: string): Promise<ForgetStats & { kind: TitleSummary['kind'] }> {
    return this.#saved(this.#ops.forget(title));
  }
  async rename(title: string, to: string): Promise<TitleSummary & { from: string }> {
    return this.#saved(this.#ops.rename(title, to));
  }
  async planPiece(title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformanceOptions = {}): Promise<PlannedPerformance> {
    return withArms(this.#ops.planPiece(title, arms, kb, options), arms);
  }

  async planContinuation(fragment: Fragment, arms: RobotDescription[], kb: KeyboardDescription, options: ContinuationOptions = {}): Promise<PlannedContinuation> {
    return withArms(this.#ops.planContinuation(fragment, arms, kb, options), arms) as PlannedContinuation;
  }
  async save(): Promise<number> {
    return this.#ops.save();
  }
  async close(): Promise<void> {}

  #saved<T>(result: T): T {
    this.#ops.save();
    return result;
  }
}

export interface MemoryWorkerOptions {
  /** The memory file: loaded at start (a new memory if it does not exist) and after a crash; every change is saved to it. */
  file: string;
  /** Parameters of a new memory (a loaded one keeps its own). */
  params?: Partial<MemoryParams>;
  /** Compact the journal into the memory file when it holds more bytes than this (default: 1/16 of the file, at least 1 MiB). */
  journalLimit?: number;
  /** The worker module; the default is memory-worker (tests wrap it to add a fault). */
  entry?: URL;
}

/** memory-worker.js beside this module, or .ts when running from sources. */
function defaultEntry(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./memory-worker.${ext}`, import.meta.url);
}

/**
 * The memory in a worker thread (node:worker_threads) that owns it: no state is shared, every call is
 * a message, taken in order. If the worker crashes, every pending call fails with a WorkerCrashError,
 * an 'error' event goes out, and a new worker loads the memory file again: what was acknowledged was
 * saved, so nothing acknowledged is lost.
 */
export class MemoryWorker implements MemoryService {
  readonly #client: WorkerClient;
  readonly file: string;

  private constructor(client: WorkerClient, file: string) {
    this.#client = client;
    this.file = file;
  }

  /** Starts the worker and waits until it has loaded the memory (a bad file fails here, naming it). */
  static async start(options: MemoryWorkerOptions): Promise<MemoryWorker> {
    const entry = options.entry ?? defaultEntry();
    const data: MemoryWorkerData = {
      entry: entry.href,
      file: options.file,
      ...(options.params ? { params: options.params } : {}),
      ...(options.journalLimit !== undefined ? { journalLimit: options.journalLimit } : {}),
    };
    // nice 5: learning and recall give way to the robots' event loop, and take precedence over the physics (nice 10)
    const client = new WorkerClient(entry, { name: 'memory worker', workerData: () => data, nice: 5 });
    await client.start();
    return new MemoryWorker(client, options.file);
  }

  get events(): Emitter<MemoryServiceEvents> {
    return this.#client.events;
  }

  /** Calls sent and not answered yet. */
  get pending(): number {
    return this.#client.pending;
  }

  stats(): Promise<ServiceStats> {
    return this.#client.request('stats', []);
  }
  anatomy(): Promise<MemoryAnatomy> {
    return this.#client.request('anatomy', []);
  }
  chain(title: string, options: { track?: number; maxNotes?: number } = {}): Promise<TitleChain> {
    return this.#client.request('chain', [title, options]);
  }
  list(): Promise<TitleListing[]> {
    return this.#client.request('list', []);
  }
  title(title: string): Promise<TitleSummary> {
    return this.#client.request('title', [title]);
  }
  has(title: string): Promise<boolean> {
    return this.#client.request('has', [title]);
  }
  recall(title: string, options: { tempo?: number; tracks?: number[] } = {}): Promise<RecallResult> {
    return this.#client.request('recall', [title, options]);
  }
  identify(fragment: Fragment, options: { limit?: number } = {}): Promise<IdentifyMatch[]> {
    return this.#client.request('identify', [fragment, options]);
  }
  complete(fragment: Fragment, options: { count?: number; tempo?: number } = {}): Promise<CompleteResult> {
    return this.#client.request('complete', [fragment, options]);
  }
  learn(title: string, sequence: Sequence): Promise<LearnStats> {
    return this.#client.request('learn', [title, sequence]);
  }
  learnMidi(title: string, midi: Uint8Array, source?: string): Promise<LearnStats> {
    return this.#client.request('learnMidi', [title, midi, source]);
  }
  teachSkill(skill: string, samples: DemoSample[], joints: SkillJoint[], options: { robot?: string; tolerance?: number } = {}): Promise<TaughtSkill> {
    return this.#client.request('teachSkill', [skill, samples, joints, options]);
  }
  recallSkill(skill: string, options: { tempo?: number } = {}): Promise<RecalledSkill> {
    return this.#client.request('recallSkill', [skill, options]);
  }
  identifySkill(samples: DemoSample[], joints: SkillJoint[], options: { limit?: number; place?: boolean } = {}): Promise<SkillIdentification> {
    return this.#client.request('identifySkill', [samples, joints, options]);
  }
  forget(title: string): Promise<ForgetStats & { kind: TitleSummary['kind'] }> {
    return this.#client.request('forget', [title]);
  }
  rename(title: string, to: string): Promise<TitleSummary & { from: string }> {
    return this.#client.request('rename', [title, to]);
  }
  async planPiece(title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformanceOptions = {}): Promise<PlannedPerformance> {
    return withArms(await this.#client.request<IndexedPlan>('planPiece', [title, arms, kb, options]), arms);
  }

  async planContinuation(fragment: Fragment, arms: RobotDescription[], kb: KeyboardDescription, options: ContinuationOptions = {}): Promise<PlannedContinuation> {
    return withArms(await this.#client.request<IndexedPlan>('planContinuation', [fragment, arms, kb, options]), arms) as PlannedContinuation;
  }
  /** Writes a whole snapshot now (folding the journal); returns its bytes. */
  save(): Promise<number> {
    return this.#client.request('save', []);
  }
  /** The memory file and its journal: sizes, changes replayed at start, compactions, temporary files removed. */
  storage(): Promise<StoreStats> {
    return this.#client.request('storage', []);
  }
  /**
   * Stops the worker: the calls sent before are answered, a running compaction ends, and the journal is
   * folded into the memory file (the next start replays nothing); then the thread ends.
   */
  close(): Promise<void> {
    return this.#client.close({ method: 'shutdown', timeoutMs: 60_000 });
  }
}
