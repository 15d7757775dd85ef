/**
 * npm run bench -- --fuzz [--fuzz-inputs N] [--fuzz-seed S]: a seeded mutation fuzzer (mutate.ts) plus
 * fast-check arbitraries over every surface the agent reads, N inputs each (default 100,000):
 *   MIDI, demonstrations, snapshots   in this process (fuzz-surfaces.ts checks each input)
 *   HTTP                              POST bodies to a running agent on 127.0.0.1
 *   MQTT                              payloads on every topic the agent reads, through its embedded broker
 *   rosbridge                         protocol messages to the agent's ROS channel (this file plays rosbridge)
 * The agent runs in a child process (fuzz-agent.ts), so a crash is seen as its exit. Per surface it
 * prints inputs tried, crashes (an unexpected kind of error, a 5xx, the agent gone), hangs (an input or a
 * status check between batches not answered by its deadline), refusals that are long or echo the input,
 * wrong recalls, and the peak RSS (the agent's for the networked surfaces, this process's otherwise).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { WebSocketServer, type WebSocket } from 'ws';
import { AGENT_USER, aclTemplate } from '../../bridge/mqtt/access.js';
import { randomPassword, setPasswordEntry } from '../../bridge/mqtt/passwords.js';
import { agentTopics } from '../../bridge/mqtt/topics.js';
import { robotTopics } from '../../bridge/mqtt/robot-topics.js';
import { loadRobot } from '../../robots/load.js';
import { encodeMidi } from '../../src/music/midi-writer.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { checkDemonstrationInput, checkMidiInput, checkSnapshotInput, commandSeeds, demonstrationSeeds, resealed, robotMessageSeeds, snapshotSeed } from './fuzz-surfaces.js';
import { badRefusal, Mutator, safeStringify } from './mutate.js';

interface Row {
  surface: string;
  inputs: number;
  crashes: number;
  hangs: number;
  unclear: number;
  wrong: number;
  peakRssMB: number;
  seconds: number;
  examples: string[];
}

const line = (s = '') => process.stdout.write(`${s}\n`);
const ownPeakMB = () => process.resourceUsage().maxRSS / 1024;
/** A deadline for one in-process input: past it, the input counts as a hang. */
const INPUT_DEADLINE_MS = 2000;

function newRow(surface: string): Row {
  return { surface, inputs: 0, crashes: 0, hangs: 0, unclear: 0, wrong: 0, peakRssMB: 0, seconds: 0, examples: [] };
}

function record(row: Row, failure: string | null, input?: string): void {
  if (!failure) return;
  if (failure.startsWith('crash')) row.crashes++;
  else if (failure.startsWith('hang')) row.hangs++;
  else if (failure.startsWith('recalled wrong') || failure.startsWith('learned, then')) row.wrong++;
  else row.unclear++;
  const kind = failure.split(':')[0] ?? failure;
  if (row.examples.filter((e) => e.startsWith(kind)).length < 2) row.examples.push(`${failure}${input ? ` (input ${input.slice(0, 60).replace(/[^\x20-\x7e]/g, '.')})` : ''}`);
}

/** Runs `check` over n inputs: 1 in 5 from fast-check's arbitrary, the rest mutations of the seeds. */
function inProcess<T>(surface: string, n: number, seed: number, mutate: (m: Mutator) => T, arbitrary: fc.Arbitrary<T>, check: (x: T) => string | null, show: (x: T) => string): Row {
  const row = newRow(surface);
  const t0 = performance.now();
  const m = new Mutator(seed);
  const sampled = fc.sample(arbitrary, { seed, numRuns: Math.ceil(n / 5) });
  for (let i = 0; i < n; i++) {
    const input = i % 5 === 4 && sampled[(i / 5) | 0] !== undefined ? sampled[(i / 5) | 0]! : mutate(m);
    const t = performance.now();
    let failure = check(input);
    if (!failure && performance.now() - t > INPUT_DEADLINE_MS) failure = `hang: ${Math.round(performance.now() - t)} ms`;
    row.inputs++;
    record(row, failure, failure ? show(input) : undefined);
  }
  row.seconds = (performance.now() - t0) / 1000;
  row.peakRssMB = ownPeakMB();
  return row;
}

/**
 * A command seed: the changing ones (learn, teach) 1 time in 100, since each is saved to disk before
 * it is answered (that cost is the persistence benchmark's, not the fuzzer's).
 */
function pickCommand<T extends { command?: unknown }>(m: Mutator, seeds: T[]): T {
  const changing = seeds.filter((c) => c.command === 'learn' || c.command === 'teach');
  const others = seeds.filter((c) => !changing.includes(c));
  return m.rng.int(100) === 0 ? m.pick(changing) : m.pick(others);
}

/** Short MIDI seeds: the first 12 notes of each bundled melody (so 100,000 learns stay quick). */
function shortMidiSeeds(): Buffer[] {
  return bundledMelodies().map((m) =>
    encodeMidi(
      m.sequence.tracks.map((t, i) => ({ name: t.name ?? `track ${i + 1}`, notes: t.notes.slice(0, 12).map((n) => ({ pitch: n.symbol, tick: n.tick, duration: n.duration })) })),
      480,
      m.sequence.timing!,
    ),
  );
}

/** The fuzzed agent in its child process. */
interface Child {
  proc: ChildProcess;
  httpPort: number;
  mqttUrl: string;
  exited: () => string | null;
  rss(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The fuzzer's MQTT login: an operator (it commands the agent) that may also write sim-arm's topics, as
 * if the robot itself sent garbage; the rest is the shipped ACL.
 */
const FUZZER = { username: 'fuzzer', password: randomPassword() };

function fuzzAccessFiles(dir: string): [string, string] {
  const passwd = join(dir, 'passwd');
  const acl = join(dir, 'acl.conf');
  writeFileSync(passwd, setPasswordEntry('', FUZZER.username, FUZZER.password));
  writeFileSync(acl, `${aclTemplate('engram', AGENT_USER, [FUZZER.username])}\nuser ${FUZZER.username}\ntopic write engram/robots/sim-arm/#\n`);
  return [passwd, acl];
}

async function startAgent(rosUrl: string, memoryFile: string): Promise<Child> {
  const entry = new URL('./fuzz-agent.js', import.meta.url);
  const proc = fork(entry, [rosUrl, memoryFile, ...fuzzAccessFiles(dirname(memoryFile))], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000), process.env.FUZZ_STDERR && appendFileSync(process.env.FUZZ_STDERR, d)));
  let exit: string | null = null;
  proc.on('exit', (code, signal) => (exit = `the agent exited (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
  const ready = await new Promise<{ httpPort: number; mqttUrl: string }>((resolve, reject) => {
    proc.once('message', (m: { type: string; httpPort: number; mqttUrl: string }) => resolve(m));
    proc.once('exit', () => reject(new Error(exit ?? 'the agent exited')));
  });
  let peak = 0;
  return {
    proc,
    ...ready,
    exited: () => exit,
    rss: () =>
      new Promise((resolve) => {
        if (exit) return resolve(peak);
        const on = (m: { type: string; maxRss: number }) => {
          if (m.type !== 'rss') return;
          proc.off('message', on);
          peak = Math.max(peak, m.maxRss / 1024 / 1024);
          resolve(peak);
        };
        proc.on('message', on);
        proc.send({ type: 'rss' });
      }),
    close: async () => {
      if (exit) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.send({ type: 'close' });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
};

/** HTTP: command bodies (and a few /api/perform bodies) to the running agent, 16 at a time. */
async function fuzzHttp(child: Child, n: number, seed: number): Promise<Row> {
  const row = newRow('HTTP');
  const t0 = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const m = new Mutator(seed);
  const seeds = commandSeeds();
  const performSeeds = [{ title: bundledMelodies()[0]!.title, tempo: 1, seconds: 2 }];
  const arb = fc.sample(fc.jsonValue({ maxDepth: 5 }), { seed, numRuns: Math.ceil(n / 5) });
  // a kept-alive socket the server closed as idle just as a request went out: sent again on a new one
  // (Node's documented retry for reused sockets); any other connection error is the agent's fault
  // a 503 is the agent shedding load as documented (more than 8 requests at once): a client waits and
  // sends again; busy for 10 s on end would be a hang
  const post = async (path: string, body: Buffer): Promise<{ status: number; text: string } | { error: string }> => {
    for (let attempt = 0; ; attempt++) {
      let r = await postOnce(path, body);
      if ('error' in r && r.reused) r = await postOnce(path, body);
      if ('error' in r || r.status !== 503 || attempt === 100) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const postOnce = (path: string, body: Buffer) =>
    new Promise<{ status: number; text: string } | { error: string; reused: boolean }>((resolve) => {
      const req = request({ host: '127.0.0.1', port: child.httpPort, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ error: e.message, reused: false }));
      });
      req.on('error', (e) => resolve({ error: e.message, reused: req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET' }));
      req.end(body);
    });
  const slow: Array<[number, string]> = [];
  const one = async (i: number) => {
    const toPerform = i % 5000 === 7;
    const body = toPerform ? m.jsonText(m.pick(performSeeds), 1 << 20) : i % 5 === 4 ? Buffer.from(safeStringify(arb[(i / 5) | 0])) : m.jsonText(pickCommand(m, seeds as Array<{ command?: unknown }>), 1 << 20);
    const sent = performance.now();
    const r = await withTimeout(post(toPerform ? '/api/perform' : '/api/command', body), 60_000);
    slow.push([performance.now() - sent, body.toString().slice(0, 100)]);
    row.inputs++;
    const text = body.toString();
    if (r === 'timeout') return record(row, 'hang: no answer in 60 s', text);
    if ('error' in r) return record(row, child.exited() ?? `crash: ${r.error}`, text);
    if (r.status >= 500) return record(row, `crash: HTTP ${r.status} ${r.text.slice(0, 120)}`, text);
    if (r.status >= 400 && r.status !== 404) {
      let error: unknown;
      try {
        error = (JSON.parse(r.text) as { error?: unknown }).error;
      } catch {
        error = undefined;
      }
      record(row, badRefusal(error, text), text);
    }
  };
  await batches(n, 16, one, async () => {
    const r = await withTimeout(post('/api/command', Buffer.from('{"command":"status"}')), 5000);
    if (r === 'timeout' || 'error' in r || r.status !== 200) record(row, r === 'timeout' ? 'hang: status not answered in 5 s' : child.exited() ?? 'crash: status failed');
    return !child.exited();
  });
  agent.destroy();
  if (process.env.FUZZ_DEBUG) for (const [ms, b] of slow.sort((a, b) => b[0] - a[0]).slice(0, 12)) line(`   ${ms.toFixed(0)} ms ${b}`);
  if (process.env.FUZZ_DEBUG) line(`   total in flight ${slow.reduce((a, x) => a + x[0], 0).toFixed(0)} ms`);
  row.seconds = (performance.now() - t0) / 1000;
  row.peakRssMB = await child.rss();
  return row;
}

/** Runs n inputs `width` at a time, with a liveness check after every 1000; stops when the check says so. */
async function batches(n: number, width: number, one: (i: number) => Promise<void>, alive: () => Promise<boolean>): Promise<void> {
  let next = 0;
  while (next < n) {
    const end = Math.min(n, next + 1000);
    const workers = Array.from({ length: width }, async () => {
      while (next < end) await one(next++);
    });
    await Promise.all(workers);
    if (!(await alive())) return;
  }
}

/** MQTT: payloads on the agent's command topic and on every topic of its robot sim-arm, through the embedded broker. */
async function fuzzMqtt(child: Child, n: number, seed: number): Promise<Row> {
  const row = newRow('MQTT');
  const t0 = performance.now();
  const client = await mqtt.connectAsync(child.mqttUrl, { clientId: `engram-fuzz-${process.pid}`, reconnectPeriod: 0, ...FUZZER });
  const topics = agentTopics();
  const robot = robotTopics('sim-arm');
  const replies = new Map<string, (payload: string) => void>();
  client.on('message', (_topic, payload) => {
    try {
      const r = JSON.parse(payload.toString()) as { id?: string };
      if (typeof r.id === 'string') replies.get(r.id)?.(payload.toString());
    } catch {
      // not ours
    }
  });
  await client.subscribeAsync(topics.resp('fuzz'), { qos: 0 });
  const m = new Mutator(seed);
  const commands = commandSeeds().map((c) => ({ ...c, id: 'f', replyTo: 'fuzz' }));
  const msgs = robotMessageSeeds(loadRobot('ur5e').joints.length);
  const description = JSON.parse(JSON.stringify(loadRobot('ur5e'))) as object;
  const targets: Array<[string, object[]]> = [
    [topics.cmd, commands],
    [robot.state, msgs.state],
    [robot.keys, msgs.keys],
    [robot.result, msgs.result],
    [robot.gripperResult, msgs.gripper],
    [robot.status, [{ online: true }, { online: false }]],
    [robot.description, [description]],
  ];
  const arb = fc.sample(fc.jsonValue({ maxDepth: 5 }), { seed, numRuns: Math.ceil(n / 5) });
  let checks = 0;
  const status = async (): Promise<boolean> => {
    const id = `status-${++checks}`;
    const answered = new Promise<string>((resolve) => replies.set(id, resolve));
    client.publish(topics.cmd, JSON.stringify({ id, replyTo: 'fuzz', command: 'status' }), { qos: 0 });
    const r = await withTimeout(answered, 5000);
    replies.delete(id);
    if (r === 'timeout') record(row, child.exited() ?? 'hang: status not answered in 5 s');
    return !child.exited();
  };
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 500);
    for (; i < end; i++) {
      // half to the command topic (every command kind), half spread over the robot's topics
      const [topic, seeds] = i % 2 === 0 ? targets[0]! : targets[1 + ((i >> 1) % (targets.length - 1))]!;
      const payload = i % 5 === 4 ? Buffer.from(safeStringify(arb[(i / 5) | 0])) : m.jsonText(topic === topics.cmd ? pickCommand(m, seeds as Array<{ command?: unknown }>) : m.pick(seeds), 256 << 10);
      client.publish(topic, payload, { qos: 0 });
      row.inputs++;
    }
    if (!(await status())) break;
  }
  await client.endAsync(true);
  row.seconds = (performance.now() - t0) / 1000;
  row.peakRssMB = await child.rss();
  return row;
}

/**
 * A rosbridge for the fuzzer: takes the agent's WebSocket (its advertise, subscribe and
 * advertise_service ops) and sends it whatever the fuzzer makes; service responses come back by id.
 */
async function startFuzzRosbridge(): Promise<{ url: string; socket: () => WebSocket | null; responses: Map<string, () => void>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let socket: WebSocket | null = null;
  const responses = new Map<string, () => void>();
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      try {
        const msg = JSON.parse(data.toString()) as { op?: string; id?: string };
        if (msg.op === 'service_response' && typeof msg.id === 'string') responses.get(msg.id)?.();
      } catch {
        // the agent sends JSON; anything else is not ours to judge here
      }
    });
  });
  const port = (wss.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}`, socket: () => socket, responses, close: () => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))) };
}

async function fuzzRos(child: Child, bridge: Awaited<ReturnType<typeof startFuzzRosbridge>>, n: number, seed: number): Promise<Row> {
  const row = newRow('rosbridge');
  const t0 = performance.now();
  const m = new Mutator(seed);
  const ws = bridge.socket();
  if (!ws) {
    record(row, 'crash: the agent never connected to the rosbridge');
    return row;
  }
  const commands = commandSeeds().map((c) => ({ ...c, id: 'r' }));
  const frames = (i: number): object => {
    const json = m.jsonText(pickCommand(m, commands as Array<{ command?: unknown }>), 64 << 10).toString();
    switch (i % 3) {
      case 0:
        return { op: 'publish', topic: '/engram/command', msg: { data: json } };
      case 1:
        return { op: 'call_service', service: '/engram/run', id: `run-${i}`, args: { json } };
      default:
        return { op: 'call_service', service: `/engram/${m.pick(['status', 'list', 'stop', 'resume'])}`, id: `trigger-${i}`, args: {} };
    }
  };
  const arb = fc.sample(fc.jsonValue({ maxDepth: 5 }), { seed, numRuns: Math.ceil(n / 5) });
  let checks = 0;
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 500);
    for (; i < end; i++) {
      // the frame itself mutated too: structure (1 in 3), bytes (1 in 10), or any JSON (1 in 5)
      const frame = frames(i);
      const text = i % 5 === 4 ? safeStringify(arb[(i / 5) | 0]) : i % 3 === 0 ? m.jsonText(frame).toString() : i % 10 === 1 ? m.bytes(Buffer.from(JSON.stringify(frame))).toString() : JSON.stringify(frame);
      if (ws.readyState !== ws.OPEN) break;
      ws.send(text);
      row.inputs++;
    }
    const id = `status-check-${++checks}`;
    const answered = new Promise<void>((resolve) => bridge.responses.set(id, resolve));
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ op: 'call_service', service: '/engram/status', id, args: {} }));
    const r = await withTimeout(answered, 10_000);
    bridge.responses.delete(id);
    if (r === 'timeout') record(row, child.exited() ?? (ws.readyState !== ws.OPEN ? 'crash: the agent closed its rosbridge link' : 'hang: status service not answered in 10 s'));
    if (child.exited() || ws.readyState !== ws.OPEN) break;
  }
  row.seconds = (performance.now() - t0) / 1000;
  row.peakRssMB = await child.rss();
  return row;
}

export async function runFuzz(options: { inputs: number; seed: number }): Promise<Row[]> {
  const { inputs: n, seed } = options;
  line(`== Fuzzing (issue 11): ${n} inputs per surface, seed ${seed}; mutations (bit flips, byte insert/delete, splices, boundary integers, structural JSON) and fast-check arbitraries (1 in 5)`);
  const rows: Row[] = [];
  const show = (r: Row) => {
    line(
      `${r.surface.padEnd(15)} ${String(r.inputs).padStart(8)} ${String(r.crashes).padStart(8)} ${String(r.hangs).padStart(6)} ${String(r.unclear).padStart(8)} ${String(r.wrong).padStart(6)} ${r.peakRssMB.toFixed(0).padStart(9)} ${r.seconds.toFixed(1).padStart(8)}`,
    );
    for (const e of r.examples) line(`    e.g. ${e}`);
  };
  line('surface           inputs  crashes  hangs  unclear  wrong  peak RSS  seconds');
  line('                                                          (MB)');

  const midiSeeds = shortMidiSeeds();
  const midiArb = fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.concat([Buffer.from('MThd\0\0\0\x06\0\x01\0\x02\x01\xe0MTrk', 'latin1'), b])),
    fc.record({ ppq: fc.integer({ min: 1, max: 32767 }), bpm: fc.double({ min: 0.5, max: 5000, noNaN: true }), notes: fc.array(fc.record({ pitch: fc.integer({ min: 0, max: 127 }), tick: fc.integer({ min: 0, max: 1 << 24 }), duration: fc.integer({ min: 0, max: 1 << 16 }) }), { minLength: 1, maxLength: 16 }) }).map(({ ppq, bpm, notes }) => encodeMidi([{ name: 't', notes }], ppq, [{ tick: 0, secondsPerTick: 60 / (bpm * ppq) }])),
  );
  rows.push(inProcess('MIDI', n, seed, (m) => m.bytes(m.pick(midiSeeds), m.pick(midiSeeds), 1 << 16), midiArb, checkMidiInput, (b) => b.toString('latin1')));
  show(rows.at(-1)!);

  const demos = demonstrationSeeds();
  const demoArb = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ file: 'any.json', text: safeStringify(v) })),
    fc.string({ maxLength: 200 }).map((t) => ({ file: 'any.csv', text: `time,shoulder,elbow,wrist\n${t}` })),
  );
  rows.push(
    inProcess(
      'demonstrations',
      n,
      seed,
      (m) => {
        const d = m.pick(demos);
        return { file: d.file, text: d.file.endsWith('.json') && m.rng.int(2) ? m.jsonText(JSON.parse(d.text)).toString() : m.bytes(Buffer.from(d.text), Buffer.from(m.pick(demos).text)).toString('latin1') };
      },
      demoArb,
      checkDemonstrationInput,
      (d) => d.text,
    ),
  );
  show(rows.at(-1)!);

  // a buffer of its own (a small Buffer lives in Node's shared pool beside others)
  const seedBytes = snapshotSeed(1, 12);
  const snapOwn = Buffer.alloc(seedBytes.length);
  seedBytes.copy(snapOwn);
  rows.push(
    inProcess('snapshot files', n, seed, (m) => (m.rng.int(4) === 0 ? resealed(snapOwn, m) : m.bytes(snapOwn)), fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.concat([snapOwn.subarray(0, 24), b])), checkSnapshotInput, (b) => b.subarray(0, 80).toString('latin1')),
  );
  show(rows.at(-1)!);

  // the agent's memory file on tmpfs where there is one: every learn is saved (fsynced) before its answer
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'engram-fuzz-'));
  const bridge = await startFuzzRosbridge();
  const child = await startAgent(bridge.url, join(dir, 'memory.engram'));
  try {
    const startMB = (await child.rss()) || 0;
    line(`(the agent: a child process, memory and physics in worker threads, embedded broker, sim-arm on MQTT, ROS 2 channel; RSS at start ${startMB.toFixed(0)} MB)`);
    for (const [name, run] of [
      ['HTTP', () => fuzzHttp(child, n, seed)],
      ['MQTT', () => fuzzMqtt(child, n, seed)],
      ['rosbridge', () => fuzzRos(child, bridge, n, seed)],
    ] as const) {
      if (child.exited()) {
        const r = newRow(name);
        record(r, `crash: ${child.exited()}`);
        rows.push(r);
      } else rows.push(await run());
      show(rows.at(-1)!);
    }
  } finally {
    await child.close();
    await bridge.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const total = rows.reduce((a, r) => ({ crashes: a.crashes + r.crashes, hangs: a.hangs + r.hangs }), { crashes: 0, hangs: 0 });
  line(`total: ${rows.reduce((a, r) => a + r.inputs, 0)} inputs, ${total.crashes} crashes, ${total.hangs} hangs (target 0 and 0); unclear = refusals longer than 500 characters or quoting 80+ characters of the input; wrong = learned but not recalled exactly at tempo 1`);
  line();
  return rows;
}
