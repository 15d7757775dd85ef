/**
 * npm run bench: the figures of the memory (issue 2) and of the simulated arms (issue 3) on
 * ../shared/data/piano-midi, printed as a report.
 * Options: --fragments N (per length, default 1000), --quick (100 fragments, fewer checks, 40 pieces
 * performed), --memory-only, --sim-only, --sim-pieces N, --load-only [--robots N --seconds S],
 * --stall-only [--stall-files N], --recognition-only [--recognition-fragments N] (issue 10's protocol; N = 0: latency only),
 * --crash [kills] (default 100; crash safety and learns per second with
 * 10 and 300 pieces stored), --long-run [minutes] (default 30; the agent performing, learning and
 * identifying in a loop: RSS, event-loop lag, file descriptors, listeners). The default run includes
 * short versions of both (20 kills, 2 minutes). --fuzz [--fuzz-inputs N (per surface, default 100000)
 * --fuzz-seed S] (fuzz.ts), --web-only [--web-loads N], --skills-only [--skills N] (issue 9: skills taught
 * by demonstration on the 3-, 6- and 7-joint arms, default 24 per arm; also in the default run).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { saveSnapshot, loadSnapshot } from '../../src/memory/snapshot.js';
import { corpusDir, corpusFiles } from './corpus.js';
import { exactRecall, learnAll, loadCorpus, makeFragments, scoreFragments, tempoDeviation, type CorpusPiece, type FragmentScore } from './evaluate.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { perform } from '../../sim/perform.js';
import { loadTest } from './load.js';
import { stallTest, type StallResult } from './stall.js';
import { reportRecognition } from './recognition.js';
import { crashTest, learnablePieces, learnRates } from './crash.js';
import { longRun, type LongRunResult } from './long-run.js';
import { runFuzz } from './fuzz.js';
import { webPageBench } from './web-page.js';
import { benchSkills } from './skills.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const perLength = Number(args[args.indexOf('--fragments') + 1]) || (quick ? 100 : 1000);
const LENGTHS = [3, 4, 6, 8, 12];
const memoryOnly = args.includes('--memory-only');
const simOnly = args.includes('--sim-only');
const loadOnly = args.includes('--load-only');
const stallOnly = args.includes('--stall-only');
const webOnly = args.includes('--web-only');
const recognitionOnly = args.includes('--recognition-only');
const skillsOnly = args.includes('--skills-only');
const skillsPerArm = Number(args[args.indexOf('--skills') + 1]) || 24;
const recognitionPerRow = args.includes('--recognition-fragments') ? Number(args[args.indexOf('--recognition-fragments') + 1]) : quick ? 50 : 250;
const simPieces = Number(args[args.indexOf('--sim-pieces') + 1]) || (quick ? 40 : Infinity);

const pct = (a: number, b: number) => (b === 0 ? '   n/a' : `${((100 * a) / b).toFixed(2).padStart(6)}%`);
const line = (s = '') => process.stdout.write(`${s}\n`);
const rssMB = () => process.resourceUsage().maxRSS / 1024;

if (args.includes('--fuzz')) {
  await runFuzz({ inputs: Number(args[args.indexOf('--fuzz-inputs') + 1]) || 100_000, seed: Number(args[args.indexOf('--fuzz-seed') + 1]) || 20261203 });
  process.exit(0);
}
/** The number after a flag, or `dflt` when the flag stands alone. */
const after = (flag: string, dflt: number) => {
  const v = Number(args[args.indexOf(flag) + 1]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
if (args.includes('--crash')) {
  await benchCrash(after('--crash', 100));
  process.exit(0);
}
if (args.includes('--long-run')) {
  await benchLongRun(after('--long-run', 30));
  process.exit(0);
}
if (loadOnly) {
  await benchLoad();
  process.exit(0);
}

/** Issue 11: kill -9 during learning, compaction and saving; learns per second with 10 and 300 pieces stored. */
async function benchCrash(kills: number): Promise<void> {
  const dir = corpusDir();
  if (!dir) {
    line('== Crash safety (issue 11): skipped, ../shared/data/piano-midi not found (set ENGRAM_CORPUS)');
    return;
  }
  const files = corpusFiles(dir);
  line(`== Crash safety (issue 11): ${kills} kill -9 of a real agent (engram serve, child process) learning corpus files through POST /api/command, journal limit 150 kB`);
  const r = await crashTest({ kills, files, log: line });
  line(`kills ${r.kills}: ${r.byMoment.learning} while learning, ${r.byMoment.compaction} while compacting, ${r.byMoment['shutdown save']} while saving at shutdown; ${r.killedMidSave} with a save's temporary file on disk, ${r.tornRecords} leaving a torn journal record`);
  line(`acknowledged learns ${r.acknowledged}, lost ${r.lost} (target 0); recall failures ${r.recallFailures} (target 0)`);
  line(`memory loaded ${r.loads}/${r.starts} (target all); temporary files left by kills ${r.tempsLeftByKills}, left after the next start ${r.tempsAfterStart} (target 0)`);
  line(`at the end: ${r.titlesAtEnd} titles, memory file ${(r.memoryBytesAtEnd / 1e6).toFixed(1)} MB; ${r.seconds.toFixed(0)} s`);
  const pieces = loadCorpus(files);
  const probe = learnablePieces(files.slice(300), 30);
  const rates = await learnRates([pieces.slice(0, 10), pieces.slice(0, 300)], probe);
  for (const x of rates) line(`learns per second through the API with ${String(x.stored).padStart(3)} pieces stored (memory file ${(x.memoryBytes / 1e6).toFixed(1)} MB): ${x.perSecond.toFixed(1)} (${x.learns} learns one after another, in rounds of 20 alternating between the two agents; ${x.compactions} compactions on the way)`);
  line(`ratio ${(rates[0]!.perSecond / rates[1]!.perSecond).toFixed(2)} (target within 2x)`);
  line();
}

/** Issue 11: the long run. */
async function benchLongRun(minutes: number): Promise<void> {
  line(`== Long run (issue 11): the agent (engram serve's setup, this process) performs pieces and skills on its simulated robots, learns and identifies in a loop for ${minutes} min`);
  const r: LongRunResult = await longRun({ minutes, log: line });
  const mb = (b: number) => (b / 1e6).toFixed(1);
  line(`cycles ${r.cycles}: ${r.performed} performances, ${r.learned} learns, ${r.identified} identifies, ${r.failures} failed commands, ${r.watchdogStops} robots resumed after a watchdog stop${r.failureMessages.length ? ` (${r.failureMessages.join('; ')})` : ''}`);
  line(`RSS start ${mb(r.start.rss)} MB, end ${mb(r.end.rss)} MB, growth ${mb(r.rssGrowthPerHour)} MB/h overall, ${mb(r.rssSlopeSecondHalf)} MB/h over the second half (memory held: ${r.start.notes} -> ${r.end.notes} notes)`);
  line(`event-loop lag p99 ${r.lagP99Ms.toFixed(1)} ms, max ${r.lagMaxMs.toFixed(1)} ms (load average now ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores)`);
  line(`open file descriptors start ${r.start.fds}, end ${r.end.fds}; listeners start ${r.start.listeners}, end ${r.end.listeners}; journal ${mb(r.end.journalBytes)} MB (limit ${mb(r.journalLimit)} MB), memory file ${mb(r.end.memoryBytes)} MB`);
  line(`growth trend: ${r.trend.length ? r.trend.join('; ') : 'none'}`);
  line();
}
if (stallOnly) {
  await benchStall();
  process.exit(0);
}
if (skillsOnly) {
  benchSkills(line, { count: skillsPerArm });
  process.exit(0);
}
if (webOnly) {
  await benchWebPage();
  process.exit(0);
}

/** Issue 12: the web page's weight and how soon it shows something, in headless Chromium. */
async function benchWebPage(): Promise<void> {
  const { existsSync } = await import('node:fs');
  const chrome = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chrome)) {
    line(`== Web page (issue 12): skipped, no Chromium at ${chrome}`);
    return;
  }
  const loads = Number(args[args.indexOf('--web-loads') + 1]) || 5;
  line(`== Web page (issue 12): engram serve with the bundled melodies, headless Chromium at 1440x900, ${loads} loads in fresh contexts (medians)`);
  const r = await webPageBench({ loads, chromium: chrome });
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  line(`transfer: ${kb(r.transferBytes)} compressed for ${kb(r.decodedBytes)} of HTML, JS and CSS in ${r.requests} requests`);
  line(`first paint ${r.firstPaintMs.toFixed(0)} ms, first frame of the stage ${r.firstRenderMs.toFixed(0)} ms, library ready ${r.libraryReadyMs.toFixed(0)} ms (from navigation start)`);
  line(`a performance's JSON (${r.performance.title}): ${kb(r.performance.transferBytes)} over the wire for ${kb(r.performance.decodedBytes)}`);
  line();
}

/**
 * Issue 8: the gap between the agent's handling of a robot's joint states while the agent works (learning
 * corpus files, browser performances, identify calls), with the memory and physics in worker threads
 * (as engram serve runs) and, for comparison, on the agent's own thread.
 */
async function benchStall(): Promise<void> {
  const dir = corpusDir();
  if (!dir) {
    line('== Stall (issue 8): skipped, ../shared/data/piano-midi not found (set ENGRAM_CORPUS)');
    return;
  }
  const files = corpusFiles(dir).slice(0, Number(args[args.indexOf('--stall-files') + 1]) || 50);
  line(`== Stall (issue 8): sim-left performs a 40 s skill over MQTT while the agent learns ${files.length} corpus files, plays 2 browser performances and answers 1000 identify calls`);
  line('joint states every 20 ms; gap = time between the agent handling one and the next (its safety gate hearing them), ms');
  const row = (name: string, r: StallResult) => {
    const perf = 'error' in r.performed ? `failed: ${r.performed.error}` : `${r.performed.reached}/${r.performed.keyframes} keyframes${r.performed.stopped ? ', stopped' : ''}`;
    const stops = [r.gateStop ? `gate: ${r.gateStop}` : '', r.robotWatchdogStops ? `robot watchdog: ${r.robotWatchdogStops}` : ''].filter(Boolean).join('; ') || 'none';
    line(`${name.padEnd(34)} median ${r.medianMs.toFixed(1).padStart(6)}  p99 ${r.p99Ms.toFixed(1).padStart(7)}  max ${r.maxMs.toFixed(1).padStart(7)}  (${r.gapsMs.length} gaps; load ${r.loadSeconds.toFixed(1)} s${r.loadWhilePerforming ? '' : ', outlasted the skill'}); skill ${perf}; watchdog stops: ${stops}`);
  };
  row('memory and physics in workers', await stallTest({ threads: 'workers', files }));
  row("on the agent's own thread", await stallTest({ threads: 'main', files }));
  // what the machine itself adds (other processes, the simulated robot on the same loop)
  row('no load (the floor on this machine)', await stallTest({ threads: 'workers', files: [], identifies: 0, browserPerformances: 0, skillSeconds: 15 }));
  line(`(target: max < 50 ms with workers, no watchdog stop; load average now ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores)`);
  line();
}

/** Issue 4: 50 robots over MQTT on loopback, each performing, for 60 s. */
async function benchLoad(): Promise<void> {
  const robots = Number(args[args.indexOf('--robots') + 1]) || 50;
  const seconds = Number(args[args.indexOf('--seconds') + 1]) || (quick ? 10 : 60);
  line(`== MQTT load (issue 4): ${robots} robots on loopback (embedded broker), each performing, ${seconds} s`);
  const r = await loadTest(robots, seconds);
  line(`messages through the broker: ${Math.round(r.messagesPerSecond)} per second over ${r.seconds.toFixed(1)} s`);
  line(`command latency (agent publish -> robot receive): median ${r.latencyMedianMs.toFixed(2)} ms, p99 ${r.latencyP99Ms.toFixed(2)} ms`);
  line(`commands sent ${r.commandsSent}, received ${r.commandsReceived}, lost ${r.lost} (target 0)`);
  line();
}

const dir = corpusDir();
if (!dir) {
  line('bench: ../shared/data/piano-midi not found (set ENGRAM_CORPUS to the corpus folder)');
  process.exit(1);
}
const files = corpusFiles(dir);
line(`engram benchmark — corpus ${dir} (${files.length} files), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
line();

// 1. reading and learning the whole corpus
let t = performance.now();
const pieces = loadCorpus(files);
const parseS = (performance.now() - t) / 1000;
const notes = pieces.reduce((a, p) => a + p.notes, 0);
const tracks = pieces.reduce((a, p) => a + p.sequence.tracks.length, 0);
const qMax = Math.max(...pieces.map((p) => p.quantisation.maxErrorTicks));
const qMean = pieces.reduce((a, p) => a + p.quantisation.meanErrorTicks * p.notes, 0) / notes;
line('== Learning (whole corpus, all tracks, whole pieces)');
line(`pieces ${pieces.length}, tracks ${tracks}, notes ${notes}; MIDI parse ${parseS.toFixed(2)} s`);
line(`quantisation: ticks kept at the file's own resolution (ppq ${[...new Set(pieces.map((p) => p.quantisation.ppq))].join(',')}); error max ${qMax} ticks, mean ${qMean.toFixed(3)} ticks`);
const memory = new SequenceMemory();
const learnS = learnAll(memory, pieces);
memory.identify({ notes: [{ symbol: 60 }, { symbol: 62 }, { symbol: 64 }, { symbol: 65 }] }); // builds what recognition needs, so its bytes count
const st = memory.stats();
line(`learn: ${learnS.toFixed(2)} s (target <= 60 s), ${Math.round(notes / learnS)} notes/s`);
line(`network: ${st.neurons} neurons, ${st.synapses} synapses; structure ${(st.structureBytes / 1e6).toFixed(1)} MB + tables ${(st.tableBytes / 1e6).toFixed(1)} MB + recognition sub-columns ${(st.indexBytes / 1e6).toFixed(1)} MB = ${((st.structureBytes + st.tableBytes + st.indexBytes) / notes).toFixed(1)} bytes per stored note (target <= 256)`);
const snapDir = join(tmpdir(), `engram-bench-${process.pid}`);
mkdirSync(snapDir, { recursive: true });
const snapFile = join(snapDir, 'corpus.engram');
t = performance.now();
saveSnapshot(memory, snapFile);
const saveS = (performance.now() - t) / 1000;
const snapBytes = statSync(snapFile).size;
t = performance.now();
loadSnapshot(snapFile);
const loadS = (performance.now() - t) / 1000;
rmSync(snapDir, { recursive: true, force: true });
line(`snapshot: ${(snapBytes / 1e6).toFixed(1)} MB (${(snapBytes / notes).toFixed(1)} bytes per note), save ${saveS.toFixed(2)} s, load ${loadS.toFixed(2)} s`);
line(`peak RSS so far: ${rssMB().toFixed(0)} MB`);
line();

if (recognitionOnly) {
  reportRecognition(memory, pieces, { perRow: recognitionPerRow, latencyQueries: quick ? 200 : 1000, learn: (m) => learnAll(m, pieces), fresh: () => new SequenceMemory() }, line);
  line(`peak RSS: ${rssMB().toFixed(0)} MB`);
  process.exit(0);
}

if (!simOnly) {
// 2. exact recall by title
line('== Recall by title (acceptance 2)');
const rec = exactRecall(memory, pieces);
line(`exact notes (pitch, onset tick, duration): ${rec.exact}/${rec.total} = ${pct(rec.exact, rec.total)} (target 100.00%); pieces with any difference: ${rec.imperfect.length}${rec.imperfect.length ? ` (${rec.imperfect.slice(0, 5).join(', ')})` : ''}`);
line(`recall throughput: ${Math.round(rec.total / rec.seconds)} notes/s over ${rec.seconds.toFixed(2)} s (target >= 200,000)`);
line();

// 3. tempo
line('== Tempo from the pacemaker (acceptance 4)');
const tempoTitles = pieces.filter((_, i) => i % (quick ? 34 : 7) === 0).map((p) => p.title);
for (const x of [0.5, 2]) {
  line(`tempo ${x}x: largest |IOI(x) * x / IOI(1x) - 1| over ${tempoTitles.length} pieces = ${(100 * tempoDeviation(memory, tempoTitles, x)).toFixed(4)}% (target < 1%)`);
}
line();

// 4. fragments
line(`== Fragment recall (acceptance 3): ${perLength} fragments per length from random positions of random tracks`);
const cases = makeFragments(pieces, LENGTHS, perLength, 2020);
line('len  given           tempo  unique  top-1(unique)  top-1(all)  equal-first(all)  continued notes exact   ms/query mean  p95');
const all: FragmentScore[] = [];
for (const L of LENGTHS) {
  const cs = cases.filter((c) => c.length === L);
  const rows: Array<[ 'durations' | 'pitches', number, number]> = [
    ['durations', 1, 16],
    ['durations', 0.5, quick ? 0 : 16],
    ['durations', 2, quick ? 0 : 16],
    ['pitches', 1, 16],
  ];
  for (const [mode, tempo, cont] of rows) {
    const s = scoreFragments(memory, pieces, cs, mode, tempo, cont);
    all.push(s);
    const contText = s.continuedTotal ? `${pct(s.continuedExact!, s.continuedTotal)} of ${s.continuedTotal}` : '       -';
    line(
      `${String(L).padStart(3)}  ${(mode === 'pitches' ? 'pitches only' : 'pitch+duration').padEnd(14)}  ${String(tempo).padStart(4)}x  ${pct(s.unique, s.queries)}  ${pct(s.top1Unique, s.unique)}       ${pct(s.top1All, s.queries)}  ${pct(s.equalFirstAll, s.queries)}           ${contText.padEnd(20)}  ${s.msMean.toFixed(3).padStart(8)}  ${s.msP95.toFixed(3).padStart(6)}`,
    );
  }
}
const ms = all.reduce((a, s) => a + s.msMean * s.queries, 0) / all.reduce((a, s) => a + s.queries, 0);
line(`identification latency over all ${all.reduce((a, s) => a + s.queries, 0)} queries: mean ${ms.toFixed(3)} ms (target <= 5 ms)`);
line();

// 5. the reference code's default task
line('== The reference code\'s default task: first 20 notes of track 1 of 331 pieces');
const ref: CorpusPiece[] = pieces.slice(0, 331).map((p) => {
  const first = p.sorted[0]!.slice(0, 20);
  return { ...p, sequence: { ...p.sequence, tracks: [{ name: 'track 1', notes: first }] }, sorted: [first], notes: first.length };
});
const refMem = new SequenceMemory();
const refLearn = learnAll(refMem, ref);
const refRec = exactRecall(refMem, ref);
const refCases = makeFragments(ref, [4], quick ? 100 : 331, 7);
const refFrag = scoreFragments(refMem, ref, refCases, 'durations', 1, 0);
line(`learn ${refRec.total} notes: ${(refLearn * 1000).toFixed(1)} ms; recall exact ${pct(refRec.exact, refRec.total)} in ${(refRec.seconds * 1000).toFixed(1)} ms (${((refRec.seconds * 1e6) / refRec.total).toFixed(2)} us per note)`);
line(`4-note fragments: top-1 ${pct(refFrag.top1All, refFrag.queries)}, ${refFrag.msMean.toFixed(3)} ms per query; network ${refMem.stats().neurons} neurons, ${refMem.stats().synapses} synapses`);
line('(published for the reference code on this task: ~1 minute and ~5 GB to learn, seconds per recalled note, no fragment recall)');
line();

// 6. fragments as people play them (issue 10)
reportRecognition(memory, pieces, { perRow: recognitionPerRow, latencyQueries: quick ? 200 : 1000, learn: (m) => learnAll(m, pieces), fresh: () => new SequenceMemory() }, line);
}

if (!memoryOnly) benchPerformance(memory, pieces);
if (!memoryOnly && !simOnly) benchSkills(line, { count: skillsPerArm });
if (!memoryOnly && !simOnly) await benchLoad();
if (!memoryOnly && !simOnly) await benchStall();
if (!memoryOnly && !simOnly) await benchCrash(quick ? 10 : 20);
if (!memoryOnly && !simOnly) await benchLongRun(2);
if (!memoryOnly && !simOnly) await benchWebPage();
line(`peak RSS: ${rssMB().toFixed(0)} MB`);

/** Issue 3: the simulated arms play the bundled melodies and the first 60 s of the corpus. */
function benchPerformance(memory: SequenceMemory, corpus: CorpusPiece[]): void {
  line('== Simulated arms at the keyboard (issue 3): two UR5e-class planar arms, mir_eval onset scoring (same pitch, +-50 ms)');
  const bundled = new SequenceMemory();
  const melodies = bundledMelodies();
  for (const m of melodies) bundled.learn(m.title, m.sequence);
  let worstF1 = 1;
  let worstMedian = 0;
  let worstP95 = 0;
  for (const m of melodies) {
    const p = perform(bundled, m.title);
    worstF1 = Math.min(worstF1, p.report.f1);
    worstMedian = Math.max(worstMedian, p.report.onsetMedianMs);
    worstP95 = Math.max(worstP95, p.report.onsetP95Ms);
    line(`  ${m.title.padEnd(34)} F1 ${p.report.f1.toFixed(3)}  P ${p.report.precision.toFixed(3)}  R ${p.report.recall.toFixed(3)}  onset median ${p.report.onsetMedianMs.toFixed(1)} ms  p95 ${p.report.onsetP95Ms.toFixed(1)} ms`);
  }
  line(`bundled melodies at written tempo: lowest F1 ${worstF1.toFixed(3)} (target 1.00), largest onset median ${worstMedian.toFixed(1)} ms (target <= 10), largest p95 ${worstP95.toFixed(1)} ms (target <= 25)`);
  const chosen = corpus.slice(0, Math.min(corpus.length, simPieces));
  let sim = 0;
  let wall = 0;
  let sim2 = 0;
  let wall2 = 0;
  const rows: Array<{ title: string; f1: number; p: number; r: number; notes: number; why: string }> = [];
  for (const piece of chosen) {
    const p = perform(memory, piece.title, { seconds: 60 });
    sim += p.simSeconds;
    wall += p.wallSeconds;
    if (p.arms.length === 2) (sim2 += p.simSeconds), (wall2 += p.wallSeconds);
    const why = new Map<string, number>();
    for (const a of p.arms) for (const i of a.issues) why.set(i.kind, (why.get(i.kind) ?? 0) + i.notes.length);
    rows.push({ title: piece.title, f1: p.report.f1, p: p.report.precision, r: p.report.recall, notes: p.report.reference, why: [...why].map(([k, v]) => `${v} ${k}`).join(', ') || '-' });
  }
  const f1s = rows.map((r) => r.f1).sort((a, b) => a - b);
  const q = (x: number) => f1s[Math.min(f1s.length - 1, Math.floor(x * f1s.length))]!;
  const mean = f1s.reduce((a, b) => a + b, 0) / f1s.length;
  line(`corpus, first 60 s of ${rows.length} pieces, two arms at 1x: mean F1 ${mean.toFixed(3)} (target >= 0.90); min ${f1s[0]!.toFixed(3)}, p10 ${q(0.1).toFixed(3)}, median ${q(0.5).toFixed(3)}, p90 ${q(0.9).toFixed(3)}; pieces with F1 = 1: ${f1s.filter((f) => f === 1).length}`);
  line(`  mean precision ${(rows.reduce((a, r) => a + r.p, 0) / rows.length).toFixed(3)}, mean recall ${(rows.reduce((a, r) => a + r.r, 0) / rows.length).toFixed(3)}`);
  line('  worst pieces (notes the planner reports, by reason):');
  for (const r of [...rows].sort((a, b) => a.f1 - b.f1).slice(0, 8)) line(`    ${r.title.padEnd(32)} F1 ${r.f1.toFixed(3)}  ${r.notes} notes; ${r.why}`);
  line(`headless sim speed: ${(sim / wall).toFixed(1)}x real time overall, ${(sim2 / wall2).toFixed(1)}x for two-arm pieces (target >= 20x), ${sim.toFixed(0)} s simulated`);
  line();
}
