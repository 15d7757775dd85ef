#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { SequenceMemory } from '../memory/sequence-memory.js';
import type { CompleteResult, Fragment, IdentifyMatch, RecallResult, RecalledNote } from '../memory/types.js';
import { MemoryInputError, UnknownTitleError } from '../memory/validate.js';
import { SnapshotError } from '../memory/snapshot.js';
import { bundledMelodies, encodeMidi, MidiFileError, pitchName, recallToMidi } from '../music/index.js';
import type { RecalledSkill, TaughtSkill } from '../skills/skill.js';
import type { SkillRecognition } from '../skills/recognise-skill.js';
import { parseArgs, UsageError } from './args.js';
import { CommandError, runCommand, type AgentCommand } from './commands.js';
import { FragmentInputError, fragmentFromMidiFile, parseNotesArg } from './fragment-input.js';
import { collectMidiFiles, defaultMemoryPath, learnReadMidi, LearnFileResult, notesRead, openMemory, readMidiToLearn, saveMemory } from './library.js';
import { MemoryOnThread } from './memory-service.js';
import { hugePagesReport } from './huge-pages.js';
import { Progress } from './progress.js';
import type { AgentSetup } from './run-agent.js';

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
  complete                 identify and continue: same input as identify; --count <n> notes of the
                           matched track, every track joining in, at the tempo the fragment was
                           played (--midi) or --tempo <x>; --out <file.mid>, --json
  perform <title>          recall a piece and play it with simulated arms at the keyboard (physics);
                           prints the score report; --tempo <x>, --out played.mid, --wav played.wav,
                           --seconds <n> (only the first n s), --robot <name|file.urdf>, --json
  forget <title>           forget a piece or skill: its neurons and synapses are freed; every other
                           title recalls as before
  rename <title> <new>     give a piece or skill a new name (recall is unchanged)
  teach <skill>            learn a skill from a demonstration file: --demo <file.json|file.csv>
                           (JSON {joints?, samples: [{time, positions}]} or CSV 'time,<joint>,...';
                           seconds and radians), --robot <name|file.urdf> for joint ranges,
                           --tolerance <rad> (keyframe fit, default 0.02)
  identify-skill           "what is this skill?" for the start of a demonstration: --demo <file>
                           (as teach), --robot <name|file.urdf> for joint ranges; ranked skills,
                           or a tie while the motion is still in an opening several share;
                           --limit <n>, --json
  serve                    the agent (npm start): holds the memory (a new memory gets the bundled
                           melodies), serves the web app and its API on http://127.0.0.1:8080,
                           takes commands over MQTT (embedded broker on 127.0.0.1:1883 unless
                           --broker <url> [--username u --password p] names another) and drives
                           robots: --sim-robots <0|1|2> simulated piano arms over MQTT (default 2),
                           a simulated 6-joint industrial arm 'sim-arm' (--no-sim-arm: none),
                           --mqtt-robot <id> (repeatable) robots already on the broker,
                           --ros <ws://host:9090> [--ros-version 1|2] the agent on ROS, with
                           --ros-arm <id> [--ros-controller <name>] [--ros-action] an arm behind
                           that rosbridge, described by --robot <name|file.urdf|sidecar.json>
                           (default ur5e) or, with --ros-robot-description, by the URDF it serves
                           (robot_description) plus --robot's sidecar for acceleration limits;
                           [--ros-joints <a,b,c>] when its names differ from the description's;
                           [--ros-gripper <action>] its gripper's control_msgs/GripperCommand action
                           (e.g. /gripper_controller/gripper_cmd) with [--ros-gripper-positions
                           <open,closed>] the command's position open and closed (default 0.08,0)
                           and [--ros-gripper-joint <name>] its finger joint in /joint_states;
                           --port <n>, --host <addr>, --mqtt-port <n>; --journal-limit <bytes>
                           compacts the memory's journal into its file past that size; the HTTP API needs the
                           access token printed at start (kept in ~/.config/engram/token, or
                           --token-file <file>) when --host is not a loopback address, or always
                           with --require-token
                           MQTT access (see README, MQTT access control): --mqtt-passwd <file>
                           (mosquitto's format) and --mqtt-acl <file> (mosquitto's syntax; default
                           docs/mqtt-acl.conf) for the embedded broker; without a password file the
                           agent makes logins for itself and its simulated robots at start and keeps
                           an operator login in ~/.engram/mqtt-operator.json ($ENGRAM_MQTT_LOGIN);
                           --mqtt-cert <pem> --mqtt-key <pem>: the embedded broker speaks TLS;
                           --mqtt-ca <pem> checks a broker's certificate (mqtts://);
                           --sim-robot-password <p>: the simulated robots' password on --broker
                           (username: their ids sim-left, sim-right, sim-arm)
                           --ros-secret <s>: rosbridge authentication (ROS 1, rosauth) at connect
                           (passwords and the secret also from $ENGRAM_MQTT_PASSWORD,
                           $ENGRAM_SIM_ROBOT_PASSWORD, $ENGRAM_ROS_SECRET: not visible in ps)
  status | stop | resume   ask the running agent (over MQTT: --broker <url> or --mqtt-port <n>):
                           its memory and robots; stop every robot now; let them move again; logs in
                           with --username/--password, else the operator login serve keeps
  passwd <file> <user>     add or change a user in an MQTT password file (mosquitto's format; the
                           password from --password or one line on stdin); --delete removes the user
  demo                     learn the bundled melodies, recall, identify and complete, print, exit
  help                     this text

Every command takes --memory <file> (default: $ENGRAM_MEMORY or ~/.engram/memory.engram).
`;

/** The first line on stdin (a password given by pipe or typed). */
async function readLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

/** A ROS arm's gripper from --ros-gripper <action> and --ros-gripper-positions <open,closed>. */
function rosGripper(action: string, positions: unknown, joint: unknown): { action: string; openPosition: number; closedPosition: number; joint?: string } {
  if (!/^\/?[A-Za-z][\w/]*$/.test(action)) throw new UsageError('--ros-gripper needs the action\'s ROS name, e.g. /gripper_controller/gripper_cmd');
  const text = typeof positions === 'string' ? positions : '0.08,0';
  const [open, closed, ...rest] = text.split(',').map((x) => Number(x.trim()));
  if (rest.length || !Number.isFinite(open) || !Number.isFinite(closed) || open === closed) throw new UsageError('--ros-gripper-positions needs two different numbers: the command\'s position open and closed, e.g. 0.08,0');
  return { action, openPosition: open!, closedPosition: closed!, ...(typeof joint === 'string' && joint.trim() ? { joint: joint.trim() } : {}) };
}

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

/**
 * The agent's commands on this thread: the one dispatcher every channel uses, with the memory file
 * opened here (each change saved to it before the command returns).
 */
/** A skill recognition for people: the skill named, or the tie, then the ranked skills. */
function fmtSkillRecognition(r: SkillRecognition): string {
  if (r.matches.length === 0) return 'no skill taught in these joints moves like this';
  const head = r.best ? `this is '${r.best}'` : `a tie: the motion so far fits ${r.tie!.map((t) => `'${t}'`).join(', ')} equally (an opening they share)`;
  return [head, ...r.matches.map((m, i) => `${String(i + 1).padStart(3)}. ${m.skill}  ${(100 * m.score).toFixed(1)}% (${m.evidence} of ${m.notes} notes)`)].join('\n');
}

function localCommands(memoryFile: string): { memory: MemoryOnThread; run: (command: AgentCommand) => Promise<unknown> } {
  const memory = new MemoryOnThread(openMemory(memoryFile), memoryFile);
  return { memory, run: (command) => runCommand({ memory, emit: () => undefined }, command) };
}

function learnFiles(memory: SequenceMemory, paths: string[], title: string | undefined): LearnFileResult[] {
  const { files, missing } = collectMidiFiles(paths);
  const results: LearnFileResult[] = missing.map((file) => ({ file, status: 'failed' as const, error: `${file}: no such file or folder` }));
  if (title !== undefined && files.length !== 1) throw new UsageError('--title names one piece: give exactly one file');
  // every file is read first, so the memory makes room for all their notes at once
  const reading = new Progress(files.length, 'reading');
  const read = files.map((file) => {
    const r = readMidiToLearn(memory, file, title);
    reading.tick(file);
    return r;
  });
  reading.done();
  memory.reserve(notesRead(read));
  const learning = new Progress(read.length, 'learning');
  for (const r of read) {
    results.push(learnReadMidi(memory, r));
    learning.tick(r.file);
  }
  learning.done();
  return results;
}

async function main(argv: string[]): Promise<void> {
  const { command, positional, opts } = parseArgs(argv, {
    flags: ['json', 'bundled', 'help', 'ros-action', 'ros-robot-description', 'sim-arm', 'no-sim-arm', 'require-token', 'delete'],
    values: ['memory', 'tempo', 'track', 'out', 'notes', 'midi', 'limit', 'count', 'title', 'wav', 'seconds', 'robot', 'port', 'host', 'broker', 'mqtt-port', 'username', 'password', 'demo', 'tolerance', 'sim-robots', 'mqtt-robot', 'ros', 'token-file', 'ros-version', 'ros-arm', 'ros-joints', 'ros-controller', 'mqtt-passwd', 'mqtt-acl', 'mqtt-cert', 'mqtt-key', 'mqtt-ca', 'sim-robot-password', 'ros-secret', 'journal-limit', 'ros-gripper', 'ros-gripper-positions', 'ros-gripper-joint'],
    repeatable: ['track', 'mqtt-robot'],
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
      const rows = (await localCommands(memoryFile).run({ command: 'list' })) as Array<{ title: string; kind: string; tracks: number; notes: number }>;
      if (json) process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
      else if (rows.length === 0) process.stdout.write(`memory ${memoryFile} is empty: use 'engram learn'\n`);
      else for (const r of rows) process.stdout.write(`${r.title}\t${r.tracks} tracks\t${r.notes} notes\n`);
      return;
    }
    case 'recall': {
      const title = positional[0];
      if (!title) throw new UsageError('recall: which title? (see engram list)');
      const tracks = opts.track === undefined ? undefined : (opts.track as string[]).map((t) => {
        const n = Number(t);
        if (!Number.isInteger(n)) throw new UsageError(`--track needs a whole number, got '${t}'`);
        return n;
      });
      const recalled = (await localCommands(memoryFile).run({ command: 'recall', title, tempo: num('tempo', 1), tracks })) as RecallResult | RecalledSkill;
      if ('keyframes' in recalled) {
        // a skill: its keyframes, rebuilt from the spikes
        if (typeof opts.out === 'string') throw new UsageError(`recall: '${title}' is a skill: it has keyframes, not notes to write as MIDI`);
        if (json) process.stdout.write(`${JSON.stringify(recalled)}\n`);
        else {
          const last = recalled.keyframes[recalled.keyframes.length - 1];
          process.stdout.write(`skill '${title}': ${recalled.keyframes.length} keyframes (${recalled.joints.map((j) => j.name).join(', ')}) over ${last ? (last.time + last.dwell).toFixed(2) : '0.00'} s at tempo ${recalled.tempo}\n`);
          // its gripper events: what and when
          if (recalled.gripper?.length) process.stdout.write(`  gripper: ${recalled.gripper.map((g) => `${g.closure >= 0.95 ? 'close' : g.closure <= 0.05 ? 'open' : `${Math.round(100 * g.closure)}%`} at ${g.time.toFixed(2)} s`).join(', ')}\n`);
        }
        return;
      }
      const r = recalled;
      if (typeof opts.out === 'string') writeFileSync(opts.out, recallToMidi(r));
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        for (const t of r.tracks) process.stdout.write(`track ${t.track} (${t.name}): ${fmtNotes(t.notes)}\n`);
        const last = r.tracks.flatMap((t) => t.notes).reduce((a, n) => Math.max(a, n.time + n.seconds), 0);
        process.stdout.write(`${r.tracks.reduce((a, t) => a + t.notes.length, 0)} notes, ${last.toFixed(2)} s at tempo ${r.tempo}${typeof opts.out === 'string' ? `; wrote ${opts.out}` : ''}\n`);
      }
      return;
    }
    case 'forget': {
      const title = positional[0];
      if (!title || positional.length > 1) throw new UsageError('forget: name one title (engram forget <title>; see engram list)');
      const r = (await localCommands(memoryFile).run({ command: 'forget', title })) as { kind: string; neuronsRemoved: number; synapsesRemoved: number };
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`forgot the ${r.kind === 'skill' ? 'skill' : 'piece'} '${title}': ${r.neuronsRemoved} neurons and ${r.synapsesRemoved} synapses freed; memory: ${memoryFile}\n`);
      return;
    }
    case 'rename': {
      const [title, to] = positional;
      if (!title || to === undefined || positional.length > 2) throw new UsageError('rename: engram rename <title> <new title> (quote titles with spaces)');
      const r = (await localCommands(memoryFile).run({ command: 'rename', title, to })) as { kind: string };
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`renamed the ${r.kind === 'skill' ? 'skill' : 'piece'} '${title}' to '${to}'; memory: ${memoryFile}\n`);
      return;
    }
    case 'identify': {
      const fragment = readFragment(opts);
      const matches = (await localCommands(memoryFile).run({ command: 'identify', ...fragment, limit: num('limit', 10) })) as IdentifyMatch[];
      process.stdout.write(json ? `${JSON.stringify(matches)}\n` : `${fmtMatches(matches)}\n`);
      return;
    }
    case 'complete': {
      const fragment = readFragment(opts);
      const { memory, run } = localCommands(memoryFile);
      const tempo = opts.tempo === undefined ? {} : { tempo: num('tempo', 1) };
      const r = (await run({ command: 'complete', ...fragment, count: num('count', 16), ...tempo })) as CompleteResult;
      if (typeof opts.out === 'string' && r.match && r.tracks && r.place) {
        // every track, on the matched title's resolution, at the tick length the continuation was recalled at
        const e = memory.memory.entry(r.match.title);
        const ppq = typeof e.meta.ppq === 'number' ? e.meta.ppq : 480;
        const tracks = r.tracks.map((t) => ({ name: t.name ?? `track ${t.track + 1}`, notes: t.notes.map((n) => ({ pitch: n.symbol, tick: n.tick, duration: n.duration })) }));
        writeFileSync(opts.out, encodeMidi(tracks, ppq, [{ tick: 0, secondsPerTick: r.place.secondsPerTick / r.tempo! }]));
      }
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!r.match) process.stdout.write('no match\n');
      else {
        process.stdout.write(`${r.match.title} (track ${r.match.track}, score ${r.match.score.toFixed(2)}) continues at ${r.tempo}x the piece's tempo (${r.tempoSource}):\n`);
        for (const t of r.tracks ?? []) process.stdout.write(`  track ${t.track} (${t.name}): ${fmtNotes(t.notes, 32)}\n`);
      }
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
      const host = typeof opts.host === 'string' ? opts.host : '127.0.0.1';
      const rosUrl = typeof opts.ros === 'string' ? opts.ros : undefined;
      const rosVersion = num('ros-version', 1);
      if (rosVersion !== 1 && rosVersion !== 2) throw new UsageError(`--ros-version is 1 or 2, got ${rosVersion}`);
      let arm: NonNullable<AgentSetup['ros']>['arm'];
      if (typeof opts['ros-arm'] === 'string') {
        if (!rosUrl) throw new UsageError('--ros-arm needs --ros <ws://host:9090>');
        const joints = typeof opts['ros-joints'] === 'string' ? opts['ros-joints'].split(',').map((j) => j.trim()).filter(Boolean) : undefined;
        if (joints?.length === 0) throw new UsageError("--ros-joints needs the arm's joint names in /joint_states, comma-separated, base first");
        arm = {
          id: opts['ros-arm'],
          joints,
          controller: typeof opts['ros-controller'] === 'string' ? opts['ros-controller'] : 'arm_controller',
          action: opts['ros-action'] === true,
          robot: typeof opts.robot === 'string' ? opts.robot : 'ur5e',
          fromRobot: opts['ros-robot-description'] === true,
          ...(typeof opts['ros-gripper'] === 'string' ? { gripper: rosGripper(opts['ros-gripper'], opts['ros-gripper-positions'], opts['ros-gripper-joint']) } : {}),
        };
      }
      const { runAgent } = await import('./run-agent.js');
      const { defaultOperatorFile } = await import('./operator-login.js');
      const str = (name: string) => (typeof opts[name] === 'string' ? (opts[name] as string) : undefined);
      const external = typeof opts.broker === 'string';
      const passwordFile = str('mqtt-passwd');
      if (external && (passwordFile || str('mqtt-acl') || str('mqtt-cert'))) throw new UsageError('--mqtt-passwd, --mqtt-acl and --mqtt-cert are for the embedded broker: give them to your broker (see README, MQTT access control)');
      const agent = await runAgent({
        memoryFile,
        journalLimit: typeof opts['journal-limit'] === 'string' ? num('journal-limit', 0) : undefined,
        host,
        port: num('port', 8080),
        requireToken: opts['require-token'] === true,
        tokenFile: typeof opts['token-file'] === 'string' ? opts['token-file'] : undefined,
        broker: typeof opts.broker === 'string' ? opts.broker : undefined,
        mqttPort: num('mqtt-port', 1883),
        username: typeof opts.username === 'string' ? opts.username : undefined,
        // from the environment too: a command line is visible to every user of the machine (ps)
        password: typeof opts.password === 'string' ? opts.password : process.env.ENGRAM_MQTT_PASSWORD || undefined,
        mqttPasswordFile: passwordFile,
        mqttAclFile: str('mqtt-acl'),
        operatorFile: external || passwordFile ? undefined : defaultOperatorFile(),
        mqttTls: { cert: str('mqtt-cert'), key: str('mqtt-key'), ca: str('mqtt-ca') },
        simRobotPassword: str('sim-robot-password') ?? (process.env.ENGRAM_SIM_ROBOT_PASSWORD || undefined),
        simRobots: num('sim-robots', 2),
        simArm: opts['no-sim-arm'] !== true,
        mqttRobots: (opts['mqtt-robot'] as string[] | undefined) ?? [],
        ros: rosUrl ? { url: rosUrl, version: rosVersion, arm, secret: str('ros-secret') ?? (process.env.ENGRAM_ROS_SECRET || undefined) } : undefined,
        log: (line) => process.stderr.write(`engram: ${line}\n`),
      }).catch((err: Error) => {
        throw new UsageError(err.message);
      });
      const addr = agent.http.address();
      const where = typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/${agent.token ? `?token=${agent.token}` : ''}` : String(addr);
      const robots = agent.fleet.list();
      const { titles } = await agent.memory.stats();
      const learned = agent.bundledLearned;
      const pages = hugePagesReport();
      process.stdout.write(
        `engram agent: memory ${memoryFile} (${titles} titles${learned ? `, ${learned} bundled melodies learned now` : ''})\n` +
          `web app and API on ${where}${agent.token ? ' (open this URL: the API needs its access token)' : ''}\n` +
          `MQTT commands on ${agent.mqttUrl} topic engram/agent/cmd${external ? '' : ' (embedded broker)'}\n` +
          (external ? '' : `MQTT logins: ${passwordFile ? `${passwordFile}, ` : ''}the agent's and its simulated robots' made now${agent.mqttOperator ? `; operator '${agent.mqttOperator.username}' in ${defaultOperatorFile()}` : ''}; no anonymous clients\n`) +
          (rosUrl ? `ROS: services /engram/{status,list,stop,resume,run}, topics /engram/{command,response,events,notes} on ${rosUrl}\n` : '') +
          `robots: ${robots.length ? robots.map((r) => `${r.id} (${r.transport}, ${r.robot})`).join(', ') : 'none'}\n` +
          (pages ? `${pages}\n` : '') +
          '(Ctrl-C stops)\n',
      );
      agent.core.events.on('event', (e) => {
        if (e.type === 'error' || e.type === 'learned' || e.type === 'forgotten' || e.type === 'renamed' || e.type === 'performed' || e.type === 'stopped') process.stdout.write(`event ${JSON.stringify(e)}\n`);
      });
      const stop = () => void agent.close().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'teach': {
      const skill = positional[0];
      if (!skill) throw new UsageError('teach: name the skill (engram teach <skill> --demo <file.json|file.csv>)');
      if (typeof opts.demo !== 'string') throw new UsageError('teach: give the demonstration with --demo <file.json|file.csv> (to record from a robot, send teach to the running agent)');
      const { readDemonstration } = await import('./demonstration-file.js');
      const demoFile = readDemonstration(opts.demo, typeof opts.robot === 'string' ? opts.robot : 'ur5e-planar');
      const tolerance = opts.tolerance === undefined ? undefined : num('tolerance', 0.02);
      const r = (await localCommands(memoryFile).run({ command: 'teach', skill, samples: demoFile.samples, joints: demoFile.joints, tolerance })) as TaughtSkill;
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`learned skill '${skill}': ${r.samples} samples over ${r.seconds.toFixed(2)} s -> ${r.keyframes} keyframes (${demoFile.joints.map((j) => j.name).join(', ')})${r.gripperEvents ? `, ${r.gripperEvents} gripper events` : ''}; memory: ${memoryFile}\n`);
      return;
    }
    case 'identify-skill': {
      if (typeof opts.demo !== 'string') throw new UsageError('identify-skill: give the motion with --demo <file.json|file.csv> (its joint samples so far)');
      const { readDemonstration } = await import('./demonstration-file.js');
      const demoFile = readDemonstration(opts.demo, typeof opts.robot === 'string' ? opts.robot : 'ur5e-planar');
      const r = (await localCommands(memoryFile).run({ command: 'identify-skill', samples: demoFile.samples, joints: demoFile.joints, limit: num('limit', 10) })) as SkillRecognition;
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`${fmtSkillRecognition(r)}\n`);
      return;
    }
    case 'status':
    case 'stop':
    case 'resume': {
      // ask the running agent over MQTT
      const { askAgent } = await import('../../bridge/mqtt/ask.js');
      const { defaultOperatorFile, readOperatorLogin } = await import('./operator-login.js');
      const url = typeof opts.broker === 'string' ? opts.broker : `mqtt://127.0.0.1:${num('mqtt-port', 1883)}`;
      // an explicit login, else the operator login a local engram serve keeps
      const login = typeof opts.username === 'string' ? { username: opts.username, password: typeof opts.password === 'string' ? opts.password : process.env.ENGRAM_MQTT_PASSWORD || undefined } : (readOperatorLogin(defaultOperatorFile()) ?? {});
      const ca = typeof opts['mqtt-ca'] === 'string' ? (await import('node:fs')).readFileSync(opts['mqtt-ca']) : undefined;
      const r = await askAgent(url, { command }, { ...login, ca }).catch((err: Error) => {
        throw new UsageError(`${command}: ${err.message}`);
      });
      if (!r.ok) fail(1, `${command}: ${r.error}`);
      process.stdout.write(`${JSON.stringify(r.result, null, json ? 0 : 1)}\n`);
      return;
    }
    case 'passwd': {
      const [file, user] = positional;
      if (!file || !user) throw new UsageError('passwd: engram passwd <file> <username> [--password <p> | the password on stdin] [--delete]');
      const { setMqttPassword } = await import('./passwd.js');
      const password = opts.delete === true ? null : typeof opts.password === 'string' ? opts.password : await readLine();
      if (password === '') throw new UsageError('passwd: the password is empty');
      process.stdout.write(`${setMqttPassword(file, user, password)}\n`);
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
    err instanceof CommandError ||
    (err instanceof Error && ['RobotDescriptionError', 'DemonstrationError', 'PasswordFileError', 'AclFileError'].includes(err.name))
  ) {
    fail(1, err.message);
  }
  throw err;
});
