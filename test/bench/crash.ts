/**
 * Crash safety (issue 11): a real agent (engram serve, a child process) learns corpus files through its
 * HTTP API and is killed with SIGKILL at seeded random moments: while learning, while compacting its
 * journal into the memory file (the moment a temporary file appears), and while saving at shutdown
 * (SIGTERM, then SIGKILL during the fold). After each kill it is started again and checked: every learn
 * that was acknowledged is listed and recalls its notes, the memory loaded, no temporary file is left.
 * Also the learns per second through the API with 10 and with 300 pieces stored.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalSegments, readSegment } from '../../src/agent/memory-journal.js';
import { saveMemory } from '../../src/agent/library.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { readMidiFile } from '../../src/music/index.js';
import { Rng } from '../../src/snn/rng.js';
import { startAgentChild, tempFiles, type AgentChild } from './crash-agent.js';

export interface CrashResult {
  kills: number;
  byMoment: Record<'learning' | 'compaction' | 'shutdown save', number>;
  /** Kills with a save's temporary file on disk at the moment of the kill. */
  killedMidSave: number;
  /** Kills that left a torn journal record (an append cut short). */
  tornRecords: number;
  acknowledged: number;
  lost: number;
  /** Acknowledged pieces whose recall failed or gave other notes than learned. */
  recallFailures: number;
  loads: number;
  starts: number;
  /** Temporary files of earlier (killed) processes found after a start (target 0), and before it (left by the kills). */
  tempsAfterStart: number;
  tempsLeftByKills: number;
  titlesAtEnd: number;
  memoryBytesAtEnd: number;
  seconds: number;
}

interface Piece {
  file: string;
  midi: string;
  notes: number;
}

/** Corpus files as base64 MIDI with their note counts (the files the memory accepts), smallest first. */
export function learnablePieces(files: string[], count: number): Piece[] {
  const out: Piece[] = [];
  for (const file of files) {
    try {
      const p = readMidiFile(file, 'x');
      out.push({ file, midi: readFileSync(file).toString('base64'), notes: p.sequence.tracks.reduce((n, t) => n + t.notes.length, 0) });
    } catch {
      // a file the reader refuses is not a crash-safety case
    }
  }
  return out.sort((a, b) => a.midi.length - b.midi.length).slice(0, count);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function crashTest(options: { kills: number; seed?: number; files: string[]; journalLimit?: number; log?: (s: string) => void }): Promise<CrashResult> {
  const t0 = performance.now();
  const rng = new Rng(options.seed ?? 11);
  const dir = mkdtempSync(join(tmpdir(), 'engram-crash-'));
  const file = join(dir, 'memory.engram');
  const pieces = learnablePieces(options.files, 60);
  const extra = ['--sim-robots', '0', '--no-sim-arm', '--journal-limit', String(options.journalLimit ?? 150_000)];
  const acked = new Map<string, number>(); // title -> notes
  const r: CrashResult = {
    kills: 0, byMoment: { learning: 0, compaction: 0, 'shutdown save': 0 }, killedMidSave: 0, tornRecords: 0, acknowledged: 0, lost: 0, recallFailures: 0,
    loads: 0, starts: 0, tempsAfterStart: 0, tempsLeftByKills: 0, titlesAtEnd: 0, memoryBytesAtEnd: 0, seconds: 0,
  };
  let next = 0;
  let recent: string[] = [];

  const check = async (agent: AgentChild) => {
    // files of earlier processes (the running agent's own compaction may be writing one right now)
    r.tempsAfterStart += tempFiles(file).filter((n) => !n.includes(`.tmp-${agent.child.pid}-`)).length;
    const list = await agent.command({ command: 'list' });
    const have = new Set(((list.result as Array<{ title: string }>) ?? []).map((e) => e.title));
    for (const title of acked.keys()) if (!have.has(title)) r.lost++;
    // recall: the pieces acknowledged just before the kill, and a few older ones
    const older = [...acked.keys()];
    const sample = [...recent, ...Array.from({ length: Math.min(3, older.length) }, () => older[rng.int(older.length)]!)];
    for (const title of sample) {
      const rec = await agent.command({ command: 'recall', title });
      const notes = rec.ok ? (rec.result as { tracks: Array<{ notes: unknown[] }> }).tracks.reduce((n, t) => n + t.notes.length, 0) : -1;
      if (notes !== acked.get(title)) r.recallFailures++;
    }
    r.titlesAtEnd = have.size;
  };

  let agent = await startAgentChild(file, extra);
  try {
    for (let k = 0; k < options.kills; k++) {
      const roll = rng.next();
      const moment: keyof CrashResult['byMoment'] = roll < 0.5 ? 'learning' : roll < 0.8 ? 'compaction' : 'shutdown save';
      recent = [];
      let stopped = false;
      // two learners at once, so kills land inside requests and group commits
      const learner = async () => {
        while (!stopped) {
          const piece = pieces[next % pieces.length]!;
          const title = `k${k}-${next++}`;
          try {
            const res = await agent.command({ command: 'learn', title, midi: piece.midi });
            if (res.ok && !stopped) {
              acked.set(title, piece.notes);
              recent.push(title);
            } else if (res.ok) acked.set(title, piece.notes);
          } catch {
            return; // the connection died with the agent: not acknowledged
          }
        }
      };
      const learners = [learner(), learner()];
      if (moment === 'learning') {
        await sleep(50 + rng.int(1500));
      } else if (moment === 'compaction') {
        // kill the moment a compaction's temporary file is seen (polled every millisecond), after a seeded pause
        const until = performance.now() + 15_000;
        while (tempFiles(file).length === 0 && performance.now() < until) await sleep(1);
        await sleep(rng.int(30));
      } else {
        await sleep(100 + rng.int(600));
        stopped = true;
        agent.child.kill('SIGTERM');
        await sleep(rng.int(150));
      }
      r.killedMidSave += tempFiles(file).length > 0 ? 1 : 0;
      await agent.kill('SIGKILL');
      stopped = true;
      await Promise.all(learners);
      r.kills++;
      r.byMoment[moment]++;
      r.tempsLeftByKills += tempFiles(file).length;
      const last = journalSegments(file).at(-1);
      if (last) {
        try {
          if (readSegment(last).torn) r.tornRecords++;
        } catch {
          // a corrupt segment shows at the restart
        }
      }
      r.starts++;
      try {
        agent = await startAgentChild(file, extra);
        r.loads++;
      } catch (err) {
        options.log?.(`restart after kill ${k + 1} failed: ${(err as Error).message.slice(0, 400)}`);
        break;
      }
      await check(agent);
      if ((k + 1) % 10 === 0) options.log?.(`  ${k + 1} kills: ${acked.size} acknowledged learns, ${r.lost} lost, ${r.loads}/${r.starts} loads, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    r.acknowledged = acked.size;
    r.memoryBytesAtEnd = statSync(file).size;
  } finally {
    await agent.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

export interface LearnRateResult {
  stored: number;
  learns: number;
  perSecond: number;
  memoryBytes: number;
  compactions: number;
}

/**
 * Learns per second through the API (one learn at a time, each acknowledged after its journal sync) with
 * each of `stored` piece sets already in a memory file: one agent per set, all running; the same `learn`
 * pieces (`count` learns each, every piece under several titles, so the journal is compacted on the way)
 * sent in rounds of 20 that alternate between the agents (each round starting with the next one), so load
 * from elsewhere on the machine falls on all of them alike.
 */
export async function learnRates(stored: Array<Array<{ title: string; sequence: Parameters<SequenceMemory['learn']>[1] }>>, learn: Piece[], count = 400): Promise<LearnRateResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-rate-'));
  const runs: Array<{ file: string; agent: AgentChild | null; seconds: number; memoryBytes: number; stored: number }> = [];
  try {
    for (const [k, pieces] of stored.entries()) {
      const file = join(dir, `memory-${k}.engram`);
      const m = new SequenceMemory();
      for (const p of pieces) m.learn(p.title, p.sequence);
      saveMemory(m, file);
      runs.push({ file, agent: null, seconds: 0, memoryBytes: statSync(file).size, stored: pieces.length });
    }
    for (const r of runs) {
      r.agent = await startAgentChild(r.file, ['--sim-robots', '0', '--no-sim-arm']);
      await r.agent.command({ command: 'learn', title: 'warm-up', midi: learn[0]!.midi }); // code paths compiled
    }
    for (let done = 0; done < count; done += 20) {
      // each round starts with the next agent: whoever goes first pays for the machine's idle-to-busy change
      const round = done / 20;
      for (const r of [...runs.slice(round % runs.length), ...runs.slice(0, round % runs.length)]) {
        const t = performance.now();
        for (let i = done; i < Math.min(count, done + 20); i++) {
          const res = await r.agent!.command({ command: 'learn', title: `rate-${i}`, midi: learn[i % learn.length]!.midi });
          if (!res.ok) throw new Error(`learn ${i} failed: ${res.error}`);
        }
        r.seconds += (performance.now() - t) / 1000;
      }
    }
    return runs.map((r) => ({ stored: r.stored, learns: count, perSecond: count / r.seconds, memoryBytes: r.memoryBytes, compactions: journalSegments(r.file).at(-1)?.generation ?? 0 }));
  } finally {
    for (const r of runs) await r.agent?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
