export { readMidiFile, parseMidi, checkMidiStructure, MAX_PPQ } from './midi-reader.js';
export type { MidiPiece, Quantisation } from './midi-reader.js';
export { encodeMidi, writeMidiFile } from './midi-writer.js';
export type { MidiNoteOut, MidiTrackOut } from './midi-writer.js';
export { MidiFileError } from './midi-errors.js';
export { recallToMidi } from './recall-midi.js';
export { parsePitch, pitchName } from './pitch.js';
export { parseMelody, parseDuration, bundledMelodies, melodiesDir, NotationError, NOTATION_PPQ } from './notation.js';
export type { Melody } from './notation.js';
