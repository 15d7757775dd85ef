import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { perform } from '../../sim/perform.js';
import { corpusDir, corpusFiles } from './corpus.js';
import { loadCorpus } from './evaluate.js';
const files = corpusFiles(corpusDir()!).filter((_, i) => i % 17 === 0);
const pieces = loadCorpus(files);
const m = new SequenceMemory();
for (const p of pieces) m.learn(p.title, p.sequence);
let sim = 0, wall = 0; const f1s: number[] = [];
for (const p of pieces) {
  const r = perform(m, p.title, { seconds: 60 });
  sim += r.simSeconds; wall += r.wallSeconds; f1s.push(r.report.f1);
  const issues = r.arms.flatMap(a => a.issues.map(i => `${i.kind}:${i.notes.length}`)).join(' ');
  console.log(p.title.padEnd(30), r.report.f1.toFixed(3), r.report.precision.toFixed(3), r.report.recall.toFixed(3), `${r.report.reference} notes`, (r.simSeconds / r.wallSeconds).toFixed(1) + 'x', issues);
}
console.log('mean F1', (f1s.reduce((a, b) => a + b, 0) / f1s.length).toFixed(3), 'speed', (sim / wall).toFixed(1));
