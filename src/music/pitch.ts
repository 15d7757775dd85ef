const STEP: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** MIDI number of a scientific pitch name (C4 = 60; sharps '#', flats 'b'); null if it is not one. */
export function parsePitch(name: string): number | null {
  const m = /^([A-Ga-g])([#b]*)(-?\d+)$/.exec(name.trim());
  if (!m) return null;
  const acc = [...m[2]!].reduce((a, c) => a + (c === '#' ? 1 : -1), 0);
  const midi = STEP[m[1]!.toUpperCase()]! + acc + (Number(m[3]) + 1) * 12;
  return midi >= 0 && midi <= 127 ? midi : null;
}

/** Scientific pitch name of a MIDI number (sharps). */
export function pitchName(midi: number): string {
  return `${NAMES[((midi % 12) + 12) % 12]}${Math.floor(midi / 12) - 1}`;
}
