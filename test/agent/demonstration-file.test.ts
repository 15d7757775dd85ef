import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDemonstration } from '../../src/agent/demonstration-file.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-demo-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('demonstration files', () => {
  it('a CSV with comments and several bad lines: every bad line by its real line number, in one error', () => {
    const csv = file(
      'bad.csv',
      ['# a demonstration', '', 'time,shoulder,elbow,wrist', '0,0,0,0', '# a comment in between', '0.1,0,x,0', '0.2,0,0', '0.3,0,0,0', '0.4,0,,0', '0.5,0,0,0'].join('\n'),
    );
    expect(() => readDemonstration(csv)).toThrow(/bad\.csv: lines 6, 7, 9: each needs 4 numbers \(time, shoulder, elbow, wrist\)/);
    const good = file('good.csv', ['# header follows', 'time,shoulder,elbow,wrist', '0,0,0,0', '0.5,0.1,0.2,0.3'].join('\n'));
    expect(readDemonstration(good).samples).toHaveLength(2);
  });

  it('JSON that does not parse: the line and column of the fault', () => {
    const json = file('bad.json', '{\n  "samples": [\n    {"time": 0, "positions": [0, 0, 0]},\n    {"time": 0.1 "positions": [0, 0, 0]}\n  ]\n}\n');
    expect(() => readDemonstration(json)).toThrow(/bad\.json:4:18: not valid JSON/);
  });

  it('the CLI prints the message and no stack trace', () => {
    const csv = file('cli-bad.csv', 'time,shoulder,elbow,wrist\n0,0,0,0\n0.1,0,zero,0\n');
    const cli = new URL('../../src/agent/cli.ts', import.meta.url).pathname;
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'teach', 'wave', '--demo', csv, '--memory', join(dir, 'm.engram')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^engram: .*cli-bad\.csv: line 3: each needs 4 numbers/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = spawnSync(process.execPath, ['--import', 'tsx', cli, 'teach', 'wave', '--demo', join(dir, 'nope.csv'), '--memory', join(dir, 'm.engram')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv: no such file/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
