import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DemonstrationFileError, readDemonstration } from '../../src/agent/demonstration-file.js';
import { scanJson, pathKey, textPlaces, type JsonPath } from '../../src/agent/json-locations.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-demo-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
/** The DemonstrationFileError a file gives (the test fails if it loads or throws anything else). */
const problemsOf = (f: string): DemonstrationFileError => {
  try {
    readDemonstration(f);
  } catch (err) {
    expect(err).toBeInstanceOf(DemonstrationFileError);
    return err as DemonstrationFileError;
  }
  throw new Error(`${f} loaded`);
};

describe('demonstration files: every bad line by its real line number, in one pass', () => {
  it('CSV: comments and blank lines count; each bad line is reported with what is wrong, none is quoted', () => {
    const lines = [
      '# a demonstration of a wave', // 1
      '', // 2
      'time,shoulder,elbow,wrist', // 3
      '0,0,0,0', // 4
      '# a comment in between', // 5
      '0.1,0,x,0', // 6: not a number
      '0.2,0,0', // 7: too few values
      '', // 8
      '0.3,0,0,0', // 9
      '0.4,0,,0', // 10: empty cell
      '0.35,0,0,0', // 11: time goes back
      '0.5,0,0,9', // 12: outside the wrist's range
      '0.6,0,0,0,0', // 13: too many values
      '0.7,0,0,0', // 14
    ];
    const err = problemsOf(file('bad.csv', lines.join('\n')));
    expect(err.problems.map((p) => p.line)).toEqual([6, 7, 10, 11, 12, 13]);
    expect(err.count).toBe(6);
    expect(err.problems.map((p) => p.problem)).toEqual([
      'column 3 is not a number',
      'has 3 values; a line needs 4 (time and 3 joint positions)',
      'column 3 is empty',
      'column 1 (time) must be later than the sample before',
      "column 4 is outside joint 3's range -3.1416..3.1416 rad",
      'has 5 values; a line needs 4 (time and 3 joint positions)',
    ]);
    expect(err.message).toMatch(/bad\.csv: 6 bad lines:\n {2}line 6: column 3 is not a number\n {2}line 7: has 3 values/);
    expect(err.message.length).toBeLessThanOrEqual(500);
    // the joint names of the header are not quoted back
    expect(err.message).not.toMatch(/shoulder|elbow|wrist/);
    // Windows line ends and a byte-order mark: the same line numbers
    expect(problemsOf(file('bad-crlf.csv', `\uFEFF${lines.join('\r\n')}`)).problems.map((p) => p.line)).toEqual([6, 7, 10, 11, 12, 13]);
    const good = readDemonstration(file('good.csv', ['# header follows', 'time,shoulder,elbow,wrist', '0,0,0,0', '', '0.5,0.1,-0.2,0.3'].join('\n')));
    expect(good.samples).toEqual([
      { time: 0, positions: [0, 0, 0] },
      { time: 0.5, positions: [0.1, -0.2, 0.3] },
    ]);
    expect(good.joints.map((j) => j.name)).toEqual(['shoulder', 'elbow', 'wrist']);
  });

  it('CSV: a bad header is named by its line; one bad line is one short line', () => {
    expect(() => readDemonstration(file('header.csv', '# c\n\nt,a,b\n0,0,0\n'))).toThrow(/header\.csv:3: the header must be 'time,<joint>,<joint>,\.\.\.'$/);
    expect(() => readDemonstration(file('one.csv', 'time,a,b,c\n0,0,0,0\n0.1,0,zero,0\n'))).toThrow(/^\S*one\.csv:3: column 3 is not a number$/);
    expect(() => readDemonstration(file('short.csv', 'time,a,b,c\n0,0,0,0\n'))).toThrow(/short\.csv: needs at least 2 samples/);
  });

  it('JSON: bad samples inside valid JSON, each by the line and column where its value starts', () => {
    const text = [
      '{', // 1
      '  "samples": [', // 2
      '    {"time": 0, "positions": [0, 0, 0]},', // 3
      '    {"time": 0.1, "positions": [0, "x", 0]},', // 4: positions[1] at column 36
      '    {"time": 0.2,', // 5
      '     "positions": [0, 0]},', // 6: positions at column 19
      '    {"positions": [0, 0, 0]},', // 7: time missing: the sample, column 5
      '    {"time": 0.1, "positions": [0, 0, 0]},', // 8: time goes back, column 14
      '    7,', // 9: not an object, column 5
      '    {"time": 0.5, "positions": [0, 0, 99]},', // 10: out of range, column 39
      '    {"time": 0.6, "positions": [0, 0, 0]}', // 11
      '  ]', // 12
      '}', // 13
    ].join('\n');
    const err = problemsOf(file('bad.json', text));
    expect(err.problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [4, 36, 'samples[1].positions[1]'],
      [6, 19, 'samples[2].positions'],
      [7, 5, 'samples[3].time'],
      [8, 14, 'samples[4].time'],
      [9, 5, 'samples[5]'],
      [10, 39, 'samples[6].positions[2]'],
    ]);
    // each column is where the value really is
    const lines = text.split('\n');
    for (const p of err.problems) expect(lines[p.line - 1]![p.column! - 1]).toMatch(/["\d{[]/);
    expect(err.problems.map((p) => p.problem)).toEqual([
      'must be a finite number of radians',
      'must hold 3 joint positions, has 2',
      'is missing',
      'must be later than the sample before',
      'must be an object {time, positions}',
      "is outside joint 3's range -3.1416..3.1416 rad",
    ]);
    expect(err.message).toMatch(/bad\.json: 6 bad values:\n {2}line 4, column 36: samples\[1\]\.positions\[1\]: must be a finite number of radians\n/);
  });

  it('JSON: joints given in the file are checked the same way; a good file loads', () => {
    const bad = '{"joints": [\n  {"name": "a", "min": -1, "max": 1},\n  {"name": "b", "min": 2, "max": 1}\n],\n"samples": []}';
    expect(problemsOf(file('joints.json', bad)).problems).toEqual([{ line: 3, column: 3, path: 'joints[1]', problem: 'min must be below max' }]);
    const good = readDemonstration(file('good.json', JSON.stringify({ joints: [{ name: 'a', min: -1, max: 1 }], samples: [{ time: 0, positions: [0] }, { time: 1, positions: [0.5] }] }, null, 2)));
    expect(good).toEqual({ joints: [{ name: 'a', min: -1, max: 1 }], samples: [{ time: 0, positions: [0] }, { time: 1, positions: [0.5] }] });
    expect(problemsOf(file('nosamples.json', '{\n  "joints": []\n}')).problems).toEqual([{ line: 1, column: 1, path: 'samples', problem: 'is missing: an array of {time, positions}' }]);
  });

  it('the gripper: a CSV column and a JSON field (0..1, open or closed); every bad one by its line, none quoted', () => {
    const csv = [
      '# pick and place', // 1
      'time,shoulder,gripper,elbow,wrist', // 2
      '0,0,open,0,0', // 3
      '0.1,0,0.5,0,0', // 4
      '0.2,0,half,0,0', // 5: not a gripper state
      '0.3,0,1.5,0,0', // 6: above closed
      '0.4,0,closed,9,0', // 7: the elbow, column 4, out of range
      '0.5,0,,0,0', // 8: empty
      '0.6,0,1,0,0', // 9
    ];
    const err = problemsOf(file('grip.csv', csv.join('\n')));
    expect(err.problems.map((p) => [p.line, p.problem])).toEqual([
      [5, 'column 3 (gripper) must be a number from 0 (open) to 1 (closed), or open or closed'],
      [6, 'column 3 (gripper) must be a number from 0 (open) to 1 (closed), or open or closed'],
      [7, "column 4 is outside joint 2's range -3.1416..3.1416 rad"],
      [8, 'column 3 is empty'],
    ]);
    expect(err.message).not.toMatch(/half/);
    const good = readDemonstration(file('grip-good.csv', ['time,shoulder,elbow,wrist,gripper', '0,0,0,0,open', '0.1,0,0.1,0,closed', '0.2,0,0.2,0,0.25'].join('\n')));
    expect(good.joints.map((j) => j.name)).toEqual(['shoulder', 'elbow', 'wrist']);
    expect(good.samples).toEqual([{ time: 0, positions: [0, 0, 0], gripper: 0 }, { time: 0.1, positions: [0, 0.1, 0], gripper: 1 }, { time: 0.2, positions: [0, 0.2, 0], gripper: 0.25 }]);
    const json = [
      '{"samples": [', // 1
      '  {"time": 0, "positions": [0, 0, 0], "gripper": "open"},', // 2
      '  {"time": 0.1, "positions": [0, 0, 0], "gripper": 2},', // 3: column 52
      '  {"time": 0.2, "positions": [0, 0, 0]},', // 4: missing: the sample, column 3
      '  {"time": 0.3, "positions": [0, 0, 0], "gripper": "shut"},', // 5: column 52
      '  {"time": 0.4, "positions": [0, 0, 0], "gripper": 1}', // 6
      ']}',
    ].join('\n');
    const jerr = problemsOf(file('grip.json', json));
    expect(jerr.problems.map((p) => [p.line, p.column, p.path, p.problem])).toEqual([
      [3, 52, 'samples[1].gripper', 'must be a number from 0 (open) to 1 (closed), or open or closed'],
      [4, 3, 'samples[2]', 'has no gripper: give it on every sample or on none'],
      [5, 52, 'samples[3].gripper', 'must be a number from 0 (open) to 1 (closed), or open or closed'],
    ]);
    expect(jerr.message).not.toMatch(/shut/);
    const late = '{"samples": [\n  {"time": 0, "positions": [0, 0, 0]},\n  {"time": 1, "positions": [0, 0, 0], "gripper": 1}\n]}';
    expect(problemsOf(file('grip-late.json', late)).problems).toEqual([{ line: 3, column: 50, path: 'samples[1].gripper', problem: 'is given, but the first sample has none: give it on every sample or on none' }]);
    expect(readDemonstration(file('grip-good.json', '{"samples": [{"time": 0, "positions": [0, 0, 0], "gripper": "closed"}, {"time": 1, "positions": [0, 1, 0], "gripper": 0}]}')).samples.map((x) => x.gripper)).toEqual([1, 0]);
  });

  it('JSON that does not parse: the line and column of the fault, with what was expected', () => {
    const json = file('syntax.json', '{\n  "samples": [\n    {"time": 0, "positions": [0, 0, 0]},\n    {"time": 0.1 "positions": [0, 0, 0]}\n  ]\n}\n');
    expect(() => readDemonstration(json)).toThrow(/syntax\.json:4:18: not valid JSON: ',' or '}' was expected$/);
    expect(problemsOf(file('comma.json', '{"samples": [\n  1,\n  2,\n]}')).problems).toEqual([{ line: 4, column: 1, problem: 'not valid JSON: an unexpected character where a value should be' }]);
    expect(problemsOf(file('open.json', '{"samples": [\n  "never ends\n]}')).problems[0]).toMatchObject({ line: 2, column: 14 });
    expect(problemsOf(file('cut.json', '{"samples": [1, 2')).problems[0]).toMatchObject({ line: 1, column: 18, problem: "not valid JSON: ',' or ']' was expected" });
  });

  it('many bad lines: all counted, the first listed, then "and N more"; the message stays short', () => {
    const rows = ['time,a,b,c'];
    for (let i = 0; i < 300; i++) rows.push(i % 3 === 0 ? `${i},0,0,0` : `${i},0,bad,0`);
    const err = problemsOf(file('many.csv', rows.join('\n')));
    expect(err.count).toBe(200);
    expect(err.problems).toHaveLength(20);
    expect(err.problems.map((p) => p.line)).toEqual([3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22, 24, 25, 27, 28, 30, 31]);
    const listed = err.message.split('\n').filter((l) => /^ {2}line \d+: column 3 is not a number$/.test(l)).length;
    expect(err.message).toMatch(new RegExp(`\\n {2}and ${200 - listed} more$`));
    expect(listed).toBeGreaterThanOrEqual(8);
    expect(err.message.length).toBeLessThanOrEqual(500);
  });

  it('the CLI prints the message(s) and exits 1, never a stack trace (bad CSV, bad JSON, missing file, a folder)', { timeout: 120_000 }, () => {
    const cli = new URL('../../src/agent/cli.ts', import.meta.url).pathname;
    const teach = (demo: string) => spawnSync(process.execPath, ['--import', 'tsx', cli, 'teach', 'wave', '--demo', demo, '--memory', join(dir, 'm.engram')], { encoding: 'utf8' });
    const folder = join(dir, 'a-folder.csv');
    mkdirSync(folder, { recursive: true });
    const cases: Array<[string, RegExp]> = [
      [file('cli-bad.csv', 'time,shoulder,elbow,wrist\n0,0,0,0\n0.1,0,zero,0\n0.2,0\n'), /^engram: \S*cli-bad\.csv: 2 bad lines:\n {2}line 3: column 3 is not a number\n {2}line 4: has 2 values/],
      [file('cli-bad.json', '{"samples": [\n {"time": 0, "positions": [0, 0, 0]},\n {"time": "soon", "positions": [0, 0, 0]}\n]}'), /^engram: \S*cli-bad\.json:3:11: samples\[1\]\.time: must be a finite number of seconds\n$/],
      [file('cli-syntax.json', '{"samples": [}'), /^engram: \S*cli-syntax\.json:1:14: not valid JSON/],
      [join(dir, 'nope.csv'), /^engram: \S*nope\.csv: no such file\n$/],
      [folder, /^engram: \S*a-folder\.csv: is a folder, not a demonstration file\n$/],
    ];
    for (const [demo, expected] of cases) {
      const r = teach(demo);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });
});

describe('JSON locations', () => {
  it('finds where each value starts, at any indentation, and agrees with JSON.parse on what is JSON', () => {
    const leafPaths = (v: unknown, path: Array<string | number> = [], out: Array<[JsonPath, unknown]> = []): Array<[JsonPath, unknown]> => {
      if (path.length > 4) return out;
      out.push([path, v]);
      if (Array.isArray(v)) v.forEach((x, i) => leafPaths(x, [...path, i], out));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leafPaths(x, [...path, k], out);
      return out;
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const paths = leafPaths(JSON.parse(text));
        const scan = scanJson(text, paths.map(([p]) => p));
        expect(scan.ok).toBe(true);
        if (!scan.ok) return;
        for (const [p, v] of paths) {
          const at = scan.at.get(pathKey(p));
          expect(at).toBeDefined();
          const here = text.slice(at!);
          if (v === null || typeof v !== 'object') expect(here.startsWith(JSON.stringify(v))).toBe(true);
          else expect(here[0]).toBe(Array.isArray(v) ? '[' : '{');
        }
      }),
      { seed: 20261203, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.constantFrom('', '{', '}', '[', ']', ',', ':', '"', 'x', '1', '-', '\\', ' '), (value, at, insert) => {
        const text = JSON.stringify(value);
        const k = at % (text.length + 1);
        const mutated = text.slice(0, k) + insert + text.slice(k + (insert === ' ' ? 0 : 1));
        let parses = true;
        try {
          JSON.parse(mutated);
        } catch {
          parses = false;
        }
        expect(scanJson(mutated).ok).toBe(parses);
      }),
      { seed: 20261203, numRuns: 2000 },
    );
  });

  it('lines and columns of offsets', () => {
    expect(textPlaces('ab\ncd\n\nef', [0, 1, 3, 7, 8, 2])).toEqual([
      { line: 1, column: 1 },
      { line: 1, column: 2 },
      { line: 2, column: 1 },
      { line: 4, column: 1 },
      { line: 4, column: 2 },
      { line: 1, column: 3 },
    ]);
  });
});
