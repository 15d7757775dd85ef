import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeMidi, readMidiFile } from '../../src/music/index.js';
import { corpusDir, corpusFiles } from '../bench/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const memory = join(dir, 'mem.engram');
const CLI = resolve('src/agent/cli.ts');

function engram(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--memory', memory], { encoding: 'utf8', env: { ...process.env, ENGRAM_MEMORY: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const piece = (pitches: number[]) =>
  encodeMidi([{ name: 'm', notes: pitches.map((p, i) => ({ pitch: p, tick: i * 240, duration: 240 })) }], 480, [{ tick: 0, secondsPerTick: 0.5 / 480 }]);

describe('engram CLI', () => {
  it('learns a folder past bad files, reporting them, and keeps the good ones', () => {
    const songs = join(dir, 'songs');
    mkdirSync(join(songs, 'sub'), { recursive: true });
    writeFileSync(join(songs, 'alpha.mid'), piece([60, 62, 64, 65, 67, 69, 71, 72]));
    writeFileSync(join(songs, 'sub', 'beta.mid'), piece([72, 71, 69, 67, 65, 64, 62, 60]));
    writeFileSync(join(songs, 'broken.mid'), piece([60, 61]).subarray(0, 30));
    writeFileSync(join(songs, 'notes.mid'), 'plain text');
    const r = engram('learn', songs);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/learned 2 pieces \(16 notes\), skipped 0, failed 2/);
    expect(r.err).toMatch(/broken.mid: is truncated/);
    expect(r.err).toMatch(/notes.mid: is not a MIDI file/);
    const list = engram('list');
    expect(list.out).toMatch(/alpha\t1 tracks\t8 notes/);
    expect(list.out).toMatch(/beta\t1 tracks\t8 notes/);
    const again = engram('learn', join(songs, 'alpha.mid'));
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/skipped .*alpha.mid: 'alpha' is already learned/);
  });

  it('recalls to a MIDI file at a tempo', () => {
    const out = join(dir, 'alpha-fast.mid');
    const r = engram('recall', 'alpha', '--tempo', '2', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/8 notes, 1\.00 s at tempo 2; wrote/);
    const back = readMidiFile(out);
    expect(back.sequence.tracks[0]!.notes.map((n) => n.symbol)).toEqual([60, 62, 64, 65, 67, 69, 71, 72]);
  });

  it('identifies and completes from --notes and --midi', () => {
    const id = engram('identify', '--notes', 'C4 D4 E4 F4');
    expect(id.code).toBe(0);
    expect(id.out).toMatch(/1\. alpha\s+score 1\.00/);
    const frag = join(dir, 'frag.mid');
    writeFileSync(frag, piece([71, 69, 67]));
    expect(engram('identify', '--midi', frag).out).toMatch(/1\. beta/);
    const c = engram('complete', '--notes', 'G4:e A4:e B4:e', '--count', '1', '--json');
    expect(JSON.parse(c.out).notes).toEqual([expect.objectContaining({ symbol: 72, tick: 240, duration: 240 })]);
  });

  it('gives clear errors and exit codes', () => {
    expect(engram('recall', 'gamma')).toMatchObject({ code: 1, err: expect.stringMatching(/unknown title 'gamma'/) });
    expect(engram('identify', '--notes', '')).toMatchObject({ code: 1, err: expect.stringMatching(/no notes given/) });
    expect(engram('identify', '--notes', 'C4 Q9')).toMatchObject({ code: 1, err: expect.stringMatching(/'Q9' is not a pitch name/) });
    expect(engram('identify')).toMatchObject({ code: 2, err: expect.stringMatching(/give the fragment/) });
    expect(engram('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'frobnicate'/) });
    expect(engram('recall', 'alpha', '--tempo', 'fast')).toMatchObject({ code: 2, err: expect.stringMatching(/--tempo needs a number/) });
    expect(engram('learn', join(dir, 'nowhere'))).toMatchObject({ code: 1, err: expect.stringMatching(/nowhere: no such file/) });
    expect(engram('help').out).toMatch(/Usage: engram <command>/);
  });

  it('runs the demo on the bundled melodies', () => {
    const r = engram('demo');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\d+ titles, \d+ notes, \d+ neurons, \d+ synapses \(14 learned now\)/);
    expect(r.out).toMatch(/Für Elise \(opening\)\s+53\/53 notes/);
    expect(r.out).toMatch(/1\. Für Elise/);
    expect(existsSync(memory)).toBe(true);
  });

  it('performs a piece with the simulated arms and writes what the keys played', () => {
    const out = join(dir, 'played.mid');
    const wav = join(dir, 'played.wav');
    const r = engram('perform', 'Twinkle, Twinkle, Little Star', '--out', out, '--wav', wav);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/66 notes played of 66/);
    expect(r.out).toMatch(/F1 1\.000/);
    expect(readMidiFile(out).notes).toBe(66);
    expect(readFileSync(wav).subarray(0, 4).toString()).toBe('RIFF');
    expect(engram('perform', 'Twinkle, Twinkle, Little Star', '--robot', join(dir, 'nope.json'))).toMatchObject({ code: 1, err: expect.stringMatching(/nope.json: \(file\): cannot be read/) });
  }, 60_000);

  const corpus = corpusDir();
  it.skipIf(!corpus)('learns real corpus files', () => {
    const src = corpusFiles(corpus!).slice(0, 2);
    const d = join(dir, 'corpus');
    mkdirSync(d);
    for (const f of src) copyFileSync(f, join(d, f.split('/').pop()!));
    const r = engram('learn', d);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/learned 2 pieces/);
  });
});
