// Test helper: learns the bundled melodies and one large piece, then saves to argv[2] over and over
// until killed (used to check that a killed save never leaves a half-written memory file).
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { saveSnapshot } from '../../src/memory/snapshot.js';
import { bundledMelodies } from '../../src/music/notation.js';

const file = process.argv[2]!;
const m = new SequenceMemory();
for (const mel of bundledMelodies()) m.learn(mel.title, mel.sequence);
const notes = Array.from({ length: 200_000 }, (_, i) => ({ symbol: 40 + ((i * 7) % 48), tick: i * 60, duration: 60 }));
m.learn('large', { tracks: [{ notes }] });
saveSnapshot(m, file); // the first save also consolidates; the kills should land in plain saves
process.stdout.write('saving\n');
for (;;) saveSnapshot(m, file);
