import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RELATIVE_LINK, SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot, loadSnapshot, saveSnapshot } from '../../src/memory/snapshot.js';
import { bundledMelodies } from '../../src/music/notation.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const melodies = bundledMelodies();

function bundled(): SequenceMemory {
  const m = new SequenceMemory();
  for (const mel of melodies) m.learn(mel.title, mel.sequence);
  return m;
}

describe('snapshots', () => {
  it('round-trip: a loaded memory recalls and identifies as the saved one, and saves the same bytes', () => {
    const m = bundled();
    const file = join(dir, 'a.engram');
    saveSnapshot(m, file);
    const l = loadSnapshot(file);
    expect(l.size).toBe(m.size);
    for (const mel of melodies) expect(l.recall(mel.title)).toEqual(m.recall(mel.title));
    const frag = { notes: [64, 63, 64, 63, 64, 59].map((s) => ({ symbol: s + 12 })) };
    expect(l.identify(frag)).toEqual(m.identify(frag));
    expect(encodeSnapshot(l).equals(readFileSync(file))).toBe(true);
    // and it goes on learning where it left off
    l.learn('more', { tracks: [{ notes: [{ symbol: 1, tick: 0, duration: 1 }] }] });
    expect(l.recall('more').tracks[0]!.notes.length).toBe(1);
  });

  it('names the file and the fault for bad snapshots', () => {
    const good = encodeSnapshot(bundled());
    const cases: Array<[string, Buffer, RegExp]> = [
      ['not.engram', Buffer.from('hello world, not a memory'), /not.engram: is not an engram memory file/],
      ['short.engram', good.subarray(0, good.length - 100), /short.engram: is truncated/],
      ['flip.engram', Buffer.from(good).fill(7, good.length - 50, good.length - 40), /flip.engram: is corrupt \(checksum/],
    ];
    const v3 = Buffer.from(good);
    v3.writeUInt32LE(3, 8);
    cases.push(['v3.engram', v3, /version 3 is not supported/]);
    // the header is checksummed too: a changed title, parameter or section length is refused
    const header = Buffer.from(good);
    const at = header.indexOf('"rngState":') + 11;
    header[at] = header[at] === 0x31 ? 0x32 : 0x31;
    cases.push(['header.engram', header, /header.engram: has a corrupt header \(checksum mismatch\)/]);
    const hlen = Buffer.from(good);
    hlen.writeUInt32LE(hlen.readUInt32LE(12) - 1, 12);
    cases.push(['hlen.engram', hlen, /hlen.engram: has a corrupt header \(checksum mismatch\)/]);
    for (const [name, bytes, re] of cases) {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      expect(() => loadSnapshot(f)).toThrow(re);
    }
    expect(() => loadSnapshot(join(dir, 'missing.engram'))).toThrow(/missing.engram: could not be read/);
  });

  it('is never left half-written when the saving process is killed', async () => {
    const file = join(dir, 'killed.engram');
    const before = bundled();
    saveSnapshot(before, file);
    const child = resolve('test/helpers/save-forever.ts');
    let midWrite = 0;
    for (let attempt = 0; attempt < 25 && midWrite < 2; attempt++) {
      const p = spawn(process.execPath, ['--import', 'tsx', child, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res, rej) => {
        // killed as soon as a save's temporary file appears (while it is being written), or after
        // two seconds of saves if no appearance was seen; a loaded machine does not move the kill
        let saving = false;
        const watcher = watch(dir, (_event, name) => {
          if (saving && name?.startsWith('.killed.engram.tmp')) p.kill('SIGKILL');
        });
        p.stdout.on('data', (d: Buffer) => {
          if (!d.toString().includes('saving')) return;
          saving = true;
          setTimeout(() => p.kill('SIGKILL'), 2000);
        });
        p.on('exit', () => {
          watcher.close();
          res();
        });
        p.on('error', rej);
      });
      const temps = readdirSync(dir).filter((f) => f.startsWith('.killed.engram.tmp'));
      if (temps.length > 0) midWrite++;
      for (const t of temps) rmSync(join(dir, t));
      const m = loadSnapshot(file); // whole: the old memory or the new one
      expect([before.size, before.size + 1]).toContain(m.size);
    }
    expect(midWrite).toBeGreaterThan(0); // at least one kill landed while a save was being written
  }, 120_000);

  it('still loads a version 1 file (no header checksum), and saves version 2', () => {
    const m = bundled();
    const v2 = encodeSnapshot(m);
    // version 1: the same header and body after a 16-byte preamble (no header checksum)
    const v1 = Buffer.concat([v2.subarray(0, 16), v2.subarray(24)]);
    v1.writeUInt32LE(1, 8);
    const file = join(dir, 'v1.engram');
    writeFileSync(file, v1);
    const l = loadSnapshot(file);
    for (const mel of melodies) expect(l.recall(mel.title)).toEqual(m.recall(mel.title));
    saveSnapshot(l, file);
    expect(readFileSync(file).readUInt32LE(8)).toBe(2);
    expect(readFileSync(file).equals(v2)).toBe(true);
  });

  it("loads a file from before the goal cluster raced: its goal neurons' old refractory time is dropped, so places count right", () => {
    const m = bundled();
    const v2 = encodeSnapshot(m);
    const v1 = Buffer.concat([v2.subarray(0, 16), v2.subarray(24)]);
    v1.writeUInt32LE(1, 8);
    const now = '"goal":{"model":"lif","tauM":20000000,"theta":15,"vReset":0,"tRef":0}';
    const old = '"goal":{"model":"lif","tauM":2e7,"theta":15,"vReset":0,"tRef":500}   ';
    expect(old.length).toBe(now.length);
    const at = v1.indexOf(now, 16, 'latin1');
    expect(at).toBeGreaterThan(0);
    v1.write(old, at, 'latin1');
    const file = join(dir, 'old-goal.engram');
    writeFileSync(file, v1);
    const l = loadSnapshot(file);
    expect(l.params.goal.tRef).toBe(0);
    const frag = { notes: [64, 63, 64, 63, 64, 59].map((s) => ({ symbol: s + 12 })) };
    expect(l.identify(frag)).toEqual(m.identify(frag));
  });

  it("loads a file from before the interval area's delay line: its relative links get the delay their note's pitch gives", () => {
    const m = bundled();
    const frag = { notes: [64, 63, 64, 63, 64, 59, 62, 60].map((s) => ({ symbol: s + 3 })) };
    const before = m.identify(frag);
    expect(before[0]!.transposition).not.toBe(0);
    // an old file: one delay on every interval link, so every note they reach fires in one phase
    const net = m.net;
    let links = 0;
    for (let q = 0; q < net.synapseCount; q++) if (net.synKind[q] === RELATIVE_LINK) (net.synDelay[q] = m.params.delayGate), links++;
    expect(links).toBeGreaterThan(100);
    expect(m.identify(frag)[0]?.transposition ?? 0).toBe(0);
    const file = join(dir, 'flat-links.engram');
    saveSnapshot(m, file);
    expect(loadSnapshot(file).identify(frag)).toEqual(before);
  });

  it('decodes only whole buffers', () => {
    expect(() => decodeSnapshot(Buffer.alloc(3), 'x')).toThrow(/x: is not an engram memory/);
    expect(existsSync(dir)).toBe(true);
  });
});
