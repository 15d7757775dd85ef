#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { SequenceMemory } from '../memory/sequence-memory.js';
import type { Fragment, IdentifyMatch, RecalledNote } from '../memory/types.js';
import { MemoryInputError, UnknownTitleError } from '../memory/validate.js';
import { SnapshotError } from '../memory/snapshot.js';
import { bundledMelodies, encodeMidi, MidiFileError, pitchName, recallToMidi } from '../music/index.js';
import { parseArgs, UsageError } from './args.js';
import { FragmentInputError, fragmentFromMidiFile, parseNotesArg } from './fragment-input.js';
import { collectMidiFiles, defaultMemoryPath, learnMidiFile, LearnFileResult, notesPerTitle, openMemory, saveMemory } from './library.js';
import { Progress } from './progress.js';

const HELP = `engram — a spiking sequence memory for music and robot skills

Usage: engram <command> [options]

Commands:
  learn <file|dir>...      learn MIDI files (folders are searched recursively); bad files are
                           reported and skipped. --bundled learns the bundled melodies.
                           --title <t> names a single file's piece (default: file name)
  list                     titles in memory with tracks and notes
  recall <title>           recall a piece; --tempo <x> (1 = as learned), --track <n> (repeatable,
                           from 0), --out <file.mid>, --json
  identify                 recognise a fragment: --notes "E4 D#4 E4 D#4 E4 B3" (durations optional:
                           E4:q, E4:e., E4:e3 or numbers) or --midi <frag.mid>; --limit <n>, --json
  complete                 identify and continue: same input as identify; --count <n> notes,
                           --tempo <x>, --out <file.mid>, --json
  perform <title>          recall a piece and play it with simulated arms at the keyboard (physics);
                           prints the score report; --tempo <x>, --out played.mid, --wav played.wav,
                           --seconds <n> (only the first n s), --robot <name|file.json>, --json
  serve                    the agent (npm start): holds the memory (the bundled melodies are learned
                           if missing), serves the web app and its API on http://127.0.0.1:8080 and
                           takes commands over MQTT (embedded broker on 127.0.0.1:1883 unless --broker
                           <url> names another); --port <n>, --host <addr>, --mqtt-port <n>,
                           --broker <url> [--username u --password p]
  demo                     learn the bundled melodies, recall, identify and complete, print, exit
  help                     this text

Every command takes --memory <file> (default: $ENGRAM_MEMORY or ~/.engram/memory.engram).
`;

function fail(code: number, message: string): never {
  process.stderr.write(`engram: ${message}\n`);
  process.exit(code);
}

function fmtNotes(notes: RecalledNote[], max = 16): string {
  const s = notes.slice(0, max).map((n) => `${pitchName(n.symbol)}@${n.tick}+${n.duration}`).join(' ');
  return notes.length > max ? `${s} ... (${notes.length} notes)` : s;
}

function fmtMatches(matches: IdentifyMatch[]): string {
  if (matches.length === 0) return 'no match';
  return matches
    .map((m, i) => `${String(i + 1).padStart(2)}. ${m.title}  score ${m.score.toFixed(2)}  places ${m.occurrences}  track ${m.track}${m.durationsMatched ? '' : '  (symbols only)'}`)
    .join('\n');
}

function readFragment(opts: Record<string, string | string[] | boolean>): Fragment {
  const notes = opts.notes;
  const midi = opts.midi;
  if (typeof notes === 'string' && typeof midi === 'string') throw new UsageError('give --notes or --midi, not both');
  if (typeof notes === 'string') return parseNotesArg(notes);
  if (typeof midi === 'string') return fragmentFromMidiFile(midi);
  throw new UsageError('give the fragment with --notes "E4 D#4 E4" or --midi <file.mid>');
}

function learnFiles(memory: SequenceMemory, paths: string[], title: string | undefined): LearnFileResult[] {
  const { files, missing } = collectMidiFiles(paths);
  const results: LearnFileResult[] = missing.map((file) => ({ file, status: 'failed' as const, error: `${file}: no such file or folder` }));
  if (title !== undefined && files.length !== 1) throw new UsageError('--title names one piece: give exactly one file');
  const progress = new Progress(files.length, 'learning');
  for (const file of files) {
    results.push(learnMidiFile(memory, file, title));
    progress.tick(file);
  }
  progress.done();
  return results;
}

async function main(argv: string[]): Promise<void> {
  const { command, positional, opts } = parseArgs(argv, {
    flags: ['json', 'bundled', 'help'],
    values: ['memory', 'tempo', 'track', 'out', 'notes', 'midi', 'limit', 'count', 'title', 'wav', 'seconds', 'robot', 'port', 'host', 'broker', 'mqtt-port', 'username', 'password'],
    repeatable: ['track'],
  });
  if (!command || command === 'help' || opts.help) {
    process.stdout.write(HELP);
    return;
  }
  const memoryFile = typeof opts.memory === 'string' ? opts.memory : defaultMemoryPath();
  const json = opts.json === true;
  const num = (name: string, dflt: number): number => {
    const v = opts[name];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${String(v)}'`);
    return n;
  };
  switch (command) {
    case 'learn': {
      const memory = openMemory(memoryFile);
      const results: LearnFileResult[] = [];
      if (opts.bundled) {
        for (const m of bundledMelodies()) {
          if (memory.has(m.title)) results.push({ file: m.file, title: m.title, status: 'skipped', error: `'${m.title}' is already learned` });
          else results.push({ file: m.file, title: m.title, notes: memory.learn(m.title, m.sequence).notes, status: 'learned' });
        }
      }
      if (positional.length === 0 && !opts.bundled) throw new UsageError('learn: name MIDI files or folders (or --bundled)');
      results.push(...learnFiles(memory, positional, typeof opts.title === 'string' ? opts.title : undefined));
      const learned = results.filter((r) => r.status === 'learned');
      if (learned.length > 0) saveMemory(memory, memoryFile);
      const failed = results.filter((r) => r.status === 'failed');
      const skipped = results.filter((r) => r.status === 'skipped');
      if (json) process.stdout.write(`${JSON.stringify({ memory: memoryFile, results }, null, 1)}\n`);
      else {
        for (const r of skipped) process.stdout.write(`skipped ${r.file}: ${r.error}\n`);
        for (const r of failed) process.stderr.write(`failed  ${r.error}\n`);
        const notes = learned.reduce((a, r) => a + (r.notes ?? 0), 0);
        process.stdout.write(`learned ${learned.length} pieces (${notes} notes), skipped ${skipped.length}, failed ${failed.length}; memory: ${memoryFile} (${memory.size} titles)\n`);
      }
      if (failed.length > 0) process.exitCode = 1;
      return;
    }
    case 'list': {
      const memory = openMemory(memoryFile);
      const counts = notesPerTitle(memory);
      const rows = memory.titles().map((e) => ({ title: e.title, tracks: e.tracks, notes: counts.get(e.title) ?? 0, file: e.meta.file ?? null }));
      if (json) process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
      else if (rows.length === 0) process.stdout.write(`memory ${memoryFile} is empty: use 'engram learn'\n`);
      else for (const r of rows) process.stdout.write(`${r.title}\t${r.tracks} tracks\t${r.notes} notes\n`);
      return;
    }
    case 'recall': {
      const title = positional[0];
      if (!title) throw new UsageError('recall: which title? (see engram list)');
      const memory = openMemory(memoryFile);
      const tracks = opts.track === undefined ? undefined : (opts.track as string[]).map((t) => {
        const n = Number(t);
        if (!Number.isInteger(n)) throw new UsageError(`--track needs a whole number, got '${t}'`);
        return n;
      });
      const r = memory.recall(title, { tempo: num('tempo', 1), tracks });
      if (typeof opts.out === 'string') writeFileSync(opts.out, recallToMidi(r));
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        for (const t of r.tracks) process.stdout.write(`track ${t.track} (${t.name}): ${fmtNotes(t.notes)}\n`);
        const last = r.tracks.flatMap((t) => t.notes).reduce((a, n) => Math.max(a, n.time + n.seconds), 0);
        process.stdout.write(`${r.tracks.reduce((a, t) => a + t.notes.length, 0)} notes, ${last.toFixed(2)} s at tempo ${r.tempo}${typeof opts.out === 'string' ? `; wrote ${opts.out}` : ''}\n`);
      }
      return;
    }
    case 'identify': {
      const memory = openMemory(memoryFile);
      const matches = memory.identify(readFragment(opts), { limit: num('limit', 10) });
      process.stdout.write(json ? `${JSON.stringify(matches)}\n` : `${fmtMatches(matches)}\n`);
      return;
    }
    case 'complete': {
      const memory = openMemory(memoryFile);
      const r = memory.complete(readFragment(opts), { count: num('count', 16), tempo: num('tempo', 1) });
      if (typeof opts.out === 'string' && r.match) {
        const e = memory.entry(r.match.title);
        const ppq = typeof e.meta.ppq === 'number' ? e.meta.ppq : 480;
        const notes = r.notes.map((n) => ({ pitch: n.symbol, tick: n.tick, duration: n.duration }));
        writeFileSync(opts.out, encodeMidi([{ name: r.match.title, notes }], ppq, [{ tick: 0, secondsPerTick: e.timingSpt[0]! / num('tempo', 1) }]));
      }
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!r.match) process.stdout.write('no match\n');
      else process.stdout.write(`${r.match.title} (track ${r.match.track}, score ${r.match.score.toFixed(2)}) continues: ${fmtNotes(r.notes, 32)}\n`);
      return;
    }
    case 'perform': {
      const title = positional[0];
      if (!title) throw new UsageError('perform: which title? (see engram list)');
      const memory = openMemory(memoryFile);
      // the simulator is loaded on demand: the agent does not depend on it
      const sim = await import('../../sim/perform.js');
      const p = sim.perform(memory, title, {
        tempo: num('tempo', 1),
        seconds: opts.seconds === undefined ? undefined : num('seconds', 0),
        robot: typeof opts.robot === 'string' ? opts.robot : undefined,
      });
      if (typeof opts.out === 'string') {
        // played notes on a 960-ticks-per-second grid (480 per quarter at 120 bpm)
        const notes = p.played.map((n) => ({ pitch: n.pitch, tick: Math.round(n.time * 960), duration: Math.max(1, Math.round(n.duration * 960)) }));
        writeFileSync(opts.out, encodeMidi([{ name: `${title} (played)`, notes }], 480, [{ tick: 0, secondsPerTick: 1 / 960 }]));
      }
      if (typeof opts.wav === 'string') writeFileSync(opts.wav, (await import('../../sim/synth.js')).renderWav(p.played));
      if (json) process.stdout.write(`${JSON.stringify({ ...p, score: undefined })}\n`);
      else process.stdout.write(`${sim.formatPerformance(p)}\n`);
      return;
    }
    case 'demo':
      demo(memoryFile, typeof opts.memory === 'string');
      return;
    case 'serve': {
      const memory = openMemory(memoryFile);
      let learned = 0;
      for (const m of bundledMelodies()) {
        if (memory.has(m.title)) continue;
        memory.learn(m.title, m.sequence);
        learned++;
      }
      if (learned > 0) saveMemory(memory, memoryFile);
      const host = typeof opts.host === 'string' ? opts.host : '127.0.0.1';
      const port = num('port', 8080);
      const { serve } = await import('./serve.js');
      const server = await serve({ memory, host, port }).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use: pick another with --port` : `cannot listen on ${host}:${port}: ${err.message}`);
      });
      const addr = server.address();
      const where = typeof addr === 'object' && addr ? `http://${addr.address}:${addr.port}/` : String(addr);
      // MQTT: an external broker by URL, or the embedded one
      const { MqttAgent } = await import('../../bridge/mqtt/agent.js');
      let broker: { url: string; close(): Promise<void> } | null = null;
      let url = typeof opts.broker === 'string' ? opts.broker : '';
      if (!url) {
        const { startEmbeddedBroker } = await import('../../bridge/mqtt/broker.js');
        const mqttPort = num('mqtt-port', 1883);
        broker = await startEmbeddedBroker({ host, port: mqttPort }).catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(err.code === 'EADDRINUSE' ? `MQTT port ${mqttPort} on ${host} is in use: pick another with --mqtt-port, or name a broker with --broker` : err.message);
        });
        url = broker.url;
      }
      const mqttAgent = new MqttAgent({
        memory,
        url,
        username: typeof opts.username === 'string' ? opts.username : undefined,
        password: typeof opts.password === 'string' ? opts.password : undefined,
        save: () => saveMemory(memory, memoryFile),
      });
      await mqttAgent.start();
      process.stdout.write(
        `engram agent: memory ${memoryFile} (${memory.size} titles${learned ? `, ${learned} bundled melodies learned now` : ''})\n` +
          `web app and API on ${where}\nMQTT commands on ${url} topic engram/agent/cmd${broker ? ' (embedded broker)' : ''}  (Ctrl-C stops)\n`,
      );
      const stop = () => {
        void mqttAgent
          .stop()
          .then(() => broker?.close())
          .finally(() => server.close(() => process.exit(0)));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    default:
      throw new UsageError(`unknown command '${command}' (see engram help)`);
  }
}

/** The default run: bundled melodies learned, each recalled at two tempi, a fragment recognised and completed. */
function demo(memoryFile: string, explicit: boolean): void {
  const file = explicit ? memoryFile : process.env.ENGRAM_MEMORY || 'engram-demo.engram';
  const memory = openMemory(file);
  const melodies = bundledMelodies();
  let learned = 0;
  for (const m of melodies) {
    if (memory.has(m.title)) continue;
    memory.learn(m.title, m.sequence);
    learned++;
  }
  if (learned > 0) saveMemory(memory, file);
  const s = memory.stats();
  process.stdout.write(`memory ${file}: ${s.titles} titles, ${s.notes} notes, ${s.neurons} neurons, ${s.synapses} synapses (${learned} learned now)\n\n`);
  for (const m of melodies) {
    const r = memory.recall(m.title);
    const fast = memory.recall(m.title, { tempo: 2 });
    const src = m.sequence.tracks.reduce((a, t) => a + t.notes.length, 0);
    const got = r.tracks.reduce((a, t) => a + t.notes.length, 0);
    const len = (x: typeof r) => x.tracks.flatMap((t) => t.notes).reduce((a, n) => Math.max(a, n.time + n.seconds), 0);
    process.stdout.write(`${m.title.padEnd(36)} ${String(got).padStart(3)}/${src} notes  ${len(r).toFixed(2)} s at 1x, ${len(fast).toFixed(2)} s at 2x\n`);
  }
  const fragment = parseNotesArg('E5:s D#5:s E5:s D#5:s E5:s B4:s');
  process.stdout.write(`\nidentify E5 D#5 E5 D#5 E5 B4:\n${fmtMatches(memory.identify(fragment, { limit: 3 }))}\n`);
  const c = memory.complete(parseNotesArg('G4 G4 F4 F4 E4 E4'), { count: 8 });
  process.stdout.write(`\ncomplete G4 G4 F4 F4 E4 E4 -> ${c.match?.title ?? 'no match'}: ${fmtNotes(c.notes)}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) fail(2, `${err.message}\n(see 'engram help')`);
  if (
    err instanceof MemoryInputError ||
    err instanceof UnknownTitleError ||
    err instanceof SnapshotError ||
    err instanceof MidiFileError ||
    err instanceof FragmentInputError ||
    (err instanceof Error && err.name === 'RobotDescriptionError')
  ) {
    fail(1, err.message);
  }
  throw err;
});
