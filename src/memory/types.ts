/** One element of a sequence: a symbol (MIDI pitch, or a pose/action id) sounding for a while. */
export interface SequenceNote {
  /** Symbol id: the spatial minicolumn (0..maxSymbol). */
  symbol: number;
  /** Onset, integer ticks. Notes of a track with the same tick form one event (a chord). */
  tick: number;
  /** Duration, integer ticks (>= 0). */
  duration: number;
}

export interface SequenceTrack {
  name?: string;
  notes: SequenceNote[];
}

/** From `tick` on, one tick lasts `secondsPerTick` at 1x tempo (a MIDI tempo map, or a fixed rate). */
export interface TimeSegment {
  tick: number;
  secondsPerTick: number;
}

/** What learn() takes: tracks that play together, their clock, and descriptive metadata. */
export interface Sequence {
  tracks: SequenceTrack[];
  /** Tempo map; default: 1 ms per tick. Drives the pacemaker at recall. */
  timing?: TimeSegment[];
  /** Free descriptive data kept with the title (file name, ppq, track names). Never notes. */
  meta?: Record<string, string | number | boolean | null | string[]>;
}

export interface RecalledNote {
  symbol: number;
  /** Onset tick: pacemaker pulses counted before the note's spike. */
  tick: number;
  /** Duration in ticks: pulses between the note's spike and its duration neuron's spike. */
  duration: number;
  /** Onset time, s from the start of recall (spike time). */
  time: number;
  /** Duration, s (duration neuron's spike time minus the note's). */
  seconds: number;
}

export interface RecalledTrack {
  track: number;
  name?: string;
  notes: RecalledNote[];
}

export interface RecallResult {
  title: string;
  tempo: number;
  tracks: RecalledTrack[];
  timing: TimeSegment[];
  meta: Sequence['meta'];
  /** Spikes recorded during recall (all groups but the pacemaker). */
  spikes: number;
  /** Pacemaker pulses elapsed. */
  pulses: number;
  /** The spikes themselves, when asked for (recall option `raster`). */
  raster?: {
    time: number[];
    neuron: number[];
    group: number[];
    groups: string[];
    /** The pacemaker: the time (s) of every `pulseEvery`-th pulse (its neurons fire as one; they are not in the spikes above). */
    pulses?: number[];
    pulseEvery?: number;
  };
}

/** A fragment to recognise: symbols in order (chord notes lowest first), with optional durations in any
 * one unit (ticks, seconds, beats): only their ratios count, so the fragment may be played at any tempo. */
export interface Fragment {
  notes: Array<{ symbol: number; duration?: number }>;
  /**
   * 'seconds': durations are as played, in seconds; among places that fit equally, the one whose own
   * tempo is closest to the playing wins (a listener assumes the usual tempo). Default 'relative'.
   */
  unit?: 'seconds' | 'relative';
  /**
   * Symbols this far apart count as the same (0, the default, for music: a semitone off is a wrong
   * note). A skill's position bins use 1: a pose a new demonstration puts in the neighbouring bin is
   * evidence, not a mismatch.
   */
  neighbours?: number;
  /**
   * Places this many notes of weight behind the best still name their title: the goal cluster's race
   * stays open that long (never shorter than the memory's evidenceMargin, 2). A skill's fragment widens
   * it by what its noise could have cost.
   */
  margin?: number;
}

export interface IdentifyMatch {
  title: string;
  /** Its best place's weight (evidence, discounted where durations do not fit) as a share of the fragment's notes (1 = whole). */
  score: number;
  /** How many places of this title match as well as its best (its goal neurons' spikes from its first slot of the race). */
  occurrences: number;
  /** Track of the first matching place. */
  track: number;
  /** Whether durations were checked and matched (false: matched on symbols only). */
  durationsMatched: boolean;
  /** Semitones (symbols) the fragment was played away from the piece at its best place; absent when 0. */
  transposition?: number;
}

/** The piece from the place a fragment was found, every track (continuation.ts). */
export interface Continuation {
  /** The tempo the continuation was recalled at: the pacemaker's rate times the piece's tempo map (1 = as learned). */
  tempo: number;
  /** Where that tempo came from: the fragment as played (durations in seconds), the caller, or the piece itself. */
  tempoSource: 'player' | 'asked' | 'piece';
  /** The player's tempo read from the fragment, relative to the piece at the place (null: not in seconds). */
  playerTempo: number | null;
  /** The place: the matched track, its last matched note's onset tick, and the piece's tick length there (s, at 1x). */
  place: { track: number; tick: number; secondsPerTick: number };
  /** Every track from the place on: ticks and times (s) relative to the last matched note's onset. */
  tracks: RecalledTrack[];
  /** Semitones every track was moved to the key the fragment was played in (0: the piece's own). */
  transposition: number;
  /** The spikes of the continuation from the place on, when asked for (times as the notes'). */
  raster?: RecallResult['raster'];
}

export interface CompleteResult extends Partial<Continuation> {
  match: IdentifyMatch | null;
  /** Notes after the fragment's last note, ticks relative to that note's onset. */
  notes: RecalledNote[];
}
