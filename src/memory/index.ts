export { SequenceMemory, SPATIAL, DURATION, INTERVAL, GOAL, PACEMAKER, SEQUENCE, DURATION_GATE, INTERVAL_GATE, FEEDBACK } from './sequence-memory.js';
export type { TitleEntry, LearnStats, MemoryStats } from './sequence-memory.js';
export { DEFAULT_PARAMS } from './params.js';
export type { MemoryParams } from './params.js';
export * from './types.js';
export { MemoryInputError, UnknownTitleError } from './validate.js';
export { saveSnapshot, loadSnapshot, encodeSnapshot, decodeSnapshot, SnapshotError, SNAPSHOT_VERSION } from './snapshot.js';
