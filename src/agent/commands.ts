import { bundledRobots, loadRobot } from '../../robots/load.js';
import type { Fragment } from '../memory/types.js';
import { UnknownTitleError } from '../memory/validate.js';
import { checkDemonstration, robotJoints, type DemoSample, type SkillJoint } from '../skills/demonstration.js';
import { gripperValue } from '../skills/gripper.js';
import { COMMAND_SCHEMAS, MAX_TITLE_CHARS } from './command-schemas.js';
import type { MemoryService } from './memory-service.js';
import type { EventSink, RobotFleet } from './robot-fleet.js';

/** An event the agent reports on every channel (MQTT, ROS, web). */
export interface AgentEvent {
  type: string;
  time: number;
  [key: string]: unknown;
}

/** The agent's event stream, as a typed Emitter (robots/events.ts) map: channels listen to 'event'. */
export interface AgentEvents {
  event: AgentEvent;
}

/** What a channel (MQTT, ROS, web) hands a validated command to; resolves with the result or rejects naming the input. */
export type CommandHandler = (command: AgentCommand, channel: string) => Promise<unknown>;

/** What a simulated performance answers (the physics run's Performance has these and more). */
export interface SimulatedPerformance {
  title: string;
  tempo: number;
  report: { reference: number; played: number; matched: number; precision: number; recall: number; f1: number; onsetMedianMs: number; onsetP95Ms: number; missed: unknown[]; extra: unknown[] };
  played: unknown[];
  arms: Array<{ issues: unknown[] }>;
  /** A continuation's place, tempo and tracks, as the memory found them. */
  continuation?: { title: string; tempo: number };
}

/** The simulated piano arms (armSimulator, from the sim layer), handed in by the wiring. */
export interface ArmSimulator {
  perform(title: string, options: { tempo?: number; seconds?: number }): Promise<SimulatedPerformance>;
  /** The performance with its recording for the web page's view, as JSON text, or that text gzip'd when asked. */
  recording(title: string, options: { tempo?: number; seconds?: number; recordFps: number; gzip?: boolean }): Promise<{ encoding: 'identity'; body: string } | { encoding: 'gzip'; body: Uint8Array }>;
  /** Plays on from a played fragment: the piece from where the memory found it, every track, at the player's tempo. */
  performFrom(fragment: Fragment, options: { count?: number; tempo?: number; seconds?: number }): Promise<SimulatedPerformance>;
  /** performFrom with its recording for the web page's view (as recording). */
  recordFrom(fragment: Fragment, options: { count?: number; tempo?: number; seconds?: number; recordFps: number; gzip?: boolean }): Promise<{ encoding: 'identity'; body: string } | { encoding: 'gzip'; body: Uint8Array }>;
}

/** What the commands work with, handed in by the wiring (run-agent.ts): nothing is imported from the sim or bridge layers. */
export interface CommandContext {
  memory: MemoryService;
  /** Connected robots (MQTT, ROS) behind their safety gates. */
  robots?: RobotFleet;
  /** The simulated arms: perform without robots. */
  simulator?: ArmSimulator;
  emit: (event: AgentEvent) => void;
  startedAt?: number;
}

/** A command, already validated by its channel (field types are the schema's). */
export type AgentCommand = { command: string } & Record<string, unknown>;


/** A command that cannot run as asked; the message names the field or robot. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/**
 * The agent's commands, the same whichever channel they come from. Returns the result or throws an
 * error whose message names the input. Long commands (perform, teach from a robot) report progress
 * as events while they run; stop always answers at once.
 */
export async function runCommand(ctx: CommandContext, msg: AgentCommand): Promise<unknown> {
  const m = ctx.memory;
  const emit: EventSink = (e) => ctx.emit({ time: Date.now(), ...e } as AgentEvent);
  switch (msg.command) {
    case 'status': {
      const s = await m.stats();
      return {
        titles: s.titles,
        skills: s.skills,
        notes: s.notes,
        neurons: s.neurons,
        synapses: s.synapses,
        uptimeSeconds: ctx.startedAt ? (Date.now() - ctx.startedAt) / 1000 : undefined,
        robots: ctx.robots?.list() ?? [],
      };
    }
    case 'memory': {
      // read only: the network's areas, and one title's chain when asked (its neurons and synapses)
      const anatomy = await m.anatomy();
      if (typeof msg.title !== 'string') return { ...anatomy, chain: null };
      return { ...anatomy, chain: await m.chain(msg.title, { track: msg.track as number | undefined, maxNotes: msg.maxNotes as number | undefined }) };
    }
    case 'list':
      return (await m.list()).map((e) => ({ title: e.title, kind: e.kind, tracks: e.tracks, notes: e.notes }));
    case 'recall': {
      const title = msg.title as string;
      if ((await m.title(title)).kind === 'skill') return m.recallSkill(title, { tempo: msg.tempo as number | undefined });
      return m.recall(title, { tempo: msg.tempo as number | undefined, tracks: msg.tracks as number[] | undefined });
    }
    case 'identify':
      return m.identify(fragmentOf(msg), { limit: msg.limit as number | undefined });
    case 'complete':
      return m.complete(fragmentOf(msg), { count: msg.count as number | undefined, tempo: msg.tempo as number | undefined });
    case 'learn': {
      const title = msg.title as string;
      const stats = await m.learnMidi(title, Buffer.from(msg.midi as string, 'base64'));
      emit({ type: 'learned', title, notes: stats.notes });
      return stats;
    }
    case 'forget':
      return forget(ctx, msg, emit);
    case 'rename':
      return rename(ctx, msg, emit);
    case 'perform':
      return perform(ctx, msg, emit);
    case 'teach':
      return teach(ctx, msg, emit);
    case 'identify-skill':
      return identifySkill(ctx, msg, emit);
    case 'grip': {
      if (!ctx.robots) throw new CommandError('robots: this agent has no robots connected');
      if (!ctx.robots.grip) throw new CommandError('grip: these robots take no gripper commands');
      return ctx.robots.grip(msg.robot as string, gripperValue(msg.gripper)!);
    }
    case 'jog': {
      if (!ctx.robots) throw new CommandError('robots: this agent has no robots connected');
      return ctx.robots.jog(msg.robot as string, msg.positions as number[]);
    }
    case 'continue':
      return playOn(ctx, msg, emit);
    case 'stop': {
      const stopped = ctx.robots?.stop('stop command', msg.robots as string[] | undefined) ?? [];
      emit({ type: 'stopped', robots: stopped, reason: 'stop command' });
      return { stopped };
    }
    case 'resume': {
      const { resumed, refused } = ctx.robots?.resume(msg.robots as string[] | undefined) ?? { resumed: [], refused: [] };
      emit({ type: 'resumed', robots: resumed });
      if (refused.length) throw new CommandError(`resume: ${refused.map((r) => `robot '${r.robot}': ${r.reason}`).join('; ')}${resumed.length ? ` (resumed: ${resumed.join(', ')})` : ''}`);
      return { resumed };
    }
    default:
      throw new CommandError(`command: unknown command '${msg.command}' (one of ${Object.keys(COMMAND_SCHEMAS).join(', ')})`);
  }
}

function robotIds(msg: AgentCommand): string[] {
  if (Array.isArray(msg.robots)) return msg.robots as string[];
  if (typeof msg.robot === 'string') return [msg.robot];
  return [];
}

async function perform(ctx: CommandContext, msg: AgentCommand, emit: EventSink): Promise<unknown> {
  const title = msg.title as string;
  const tempo = msg.tempo as number | undefined;
  const ids = robotIds(msg);
  const { kind } = await ctx.memory.title(title); // unknown titles fail here, naming the title
  if (ids.length > 0) {
    if (!ctx.robots) throw new CommandError('robots: this agent has no robots connected');
    if (kind === 'skill') {
      if (ids.length !== 1) throw new CommandError(`robots: a skill is performed by one robot, got ${ids.length}`);
      return ctx.robots.performSkill(title, ids[0]!, { tempo, fit: msg.fit === true }, emit);
    }
    return ctx.robots.performPiece(title, ids, { tempo, seconds: msg.seconds as number | undefined }, emit);
  }
  if (kind === 'skill') throw new CommandError(`robot: '${title}' is a skill taught by demonstration: name the robot to perform it on`);
  if (!ctx.simulator) throw new CommandError('robots: this agent has no simulated arms: name the robots to perform on');
  const p = await ctx.simulator.perform(title, { tempo, seconds: msg.seconds as number | undefined });
  emit({ type: 'performed', title: p.title, f1: p.report.f1, notes: p.played.length, robots: ['simulated'] });
  return summarise(p);
}

/** Plays on from the notes a player played, on the simulated arms: the piece from where the memory found them, at the player's tempo. */
async function playOn(ctx: CommandContext, msg: AgentCommand, emit: EventSink): Promise<unknown> {
  if (!ctx.simulator) throw new CommandError('robots: this agent has no simulated arms to play on');
  const p = await ctx.simulator.performFrom(fragmentOf(msg), { count: msg.count as number | undefined, tempo: msg.tempo as number | undefined, seconds: msg.seconds as number | undefined });
  emit({ type: 'performed', title: p.title, f1: p.report.f1, notes: p.played.length, robots: ['simulated'], continued: true });
  return summarise(p);
}

/** What a simulated performance answers on every channel: the report's counts, not its lists. */
function summarise(p: SimulatedPerformance): unknown {
  return {
    title: p.title,
    tempo: p.tempo,
    report: { ...p.report, missed: p.report.missed.length, extra: p.report.extra.length },
    played: p.played,
    issues: p.arms.flatMap((a) => a.issues),
    ...(p.continuation ? { continuation: p.continuation } : {}),
  };
}

async function teach(ctx: CommandContext, msg: AgentCommand, emit: EventSink): Promise<unknown> {
  const m = ctx.memory;
  const skill = msg.skill as string;
  if (await m.has(skill)) throw new CommandError(`skill: '${skill}' is already learned`);
  let joints: SkillJoint[];
  let samples: DemoSample[];
  const robot = typeof msg.robot === 'string' ? msg.robot : undefined;
  if (Array.isArray(msg.samples)) {
    // a demonstration sent whole: joints named in the message, or the connected robot's, or the default arm's
    joints = Array.isArray(msg.joints)
      ? (msg.joints as SkillJoint[])
      : robot && ctx.robots
        ? ctx.robots.joints(robot)
        : robotJoints(loadRobot('ur5e-planar'));
    // a gripper given as words is a closure like any other (the schema allows 0..1, 'open', 'closed')
    samples = (msg.samples as Array<DemoSample & { gripper?: unknown }>).map((s) => (s.gripper === undefined ? s : { ...s, gripper: gripperValue(s.gripper) ?? (s.gripper as number) }));
  } else {
    if (!robot) throw new CommandError('teach: give the demonstration as samples, or name the robot to record it from (robot)');
    if (!ctx.robots) throw new CommandError('robot: this agent has no robots connected');
    joints = ctx.robots.joints(robot);
    const seconds = (msg.seconds as number | undefined) ?? 10;
    emit({ type: 'teach', phase: 'recording', skill, robot, seconds });
    samples = await ctx.robots.record(robot, seconds, emit);
  }
  // what is wrong with it first (by sample and field), then whether it moved at all
  checkDemonstration(samples, joints, `demonstration '${skill}'`);
  refuseStill(skill, samples);
  const taught = await m.teachSkill(skill, samples, joints, { robot, tolerance: msg.tolerance as number | undefined });
  emit({ type: 'learned', title: skill, kind: 'skill', keyframes: taught.keyframes, samples: taught.samples });
  return taught;
}

/** Most tied skills an error names. */
const TIE_NAMES = 5;

/**
 * "What is this skill?" for joint samples of a motion so far: heard in the joints of the robot named
 * (a connected robot, else a bundled description) or of the joints sent, against the skills taught in
 * them. With complete, the one skill named performs the rest of itself on that robot from where the
 * motion got to (through its safety gate); a tie or no match is refused, nothing moves.
 */
async function identifySkill(ctx: CommandContext, msg: AgentCommand, emit: EventSink): Promise<unknown> {
  const robot = typeof msg.robot === 'string' ? msg.robot : undefined;
  const complete = msg.complete === true;
  if (complete && !robot) throw new CommandError('robot: name the robot to complete the skill on');
  if (complete && !ctx.robots) throw new CommandError('robots: this agent has no robots connected');
  const joints = Array.isArray(msg.joints) ? (msg.joints as SkillJoint[]) : jointsOfRobot(ctx, robot, complete);
  const r = await ctx.memory.identifySkill(msg.samples as DemoSample[], joints, { limit: msg.limit as number | undefined, place: complete });
  const answer = { ...(robot ? { robot } : {}), steps: r.steps, matches: r.matches, tie: r.tie, best: r.best };
  if (!complete) return answer;
  if (r.matches.length === 0) throw new CommandError('samples: no skill taught in these joints moves like this');
  if (r.tie) {
    const names = r.tie.slice(0, TIE_NAMES).map((t) => `'${t}'`).join(', ');
    throw new CommandError(`samples: the motion so far fits ${r.tie.length} skills equally (${names}${r.tie.length > TIE_NAMES ? ', ...' : ''}): they share its opening; move on until one is ahead, nothing was performed`);
  }
  if (r.place === null || r.place === undefined) throw new CommandError(`samples: the memory could not place the motion in '${r.best}', nothing was performed`);
  const performed = await ctx.robots!.performSkill(r.best!, robot!, { tempo: msg.tempo as number | undefined, fit: msg.fit === true, from: r.place }, emit);
  return { ...answer, place: r.place, performed };
}

/** A robot's joints: a connected robot's, else (when it need not move) a bundled description's. */
function jointsOfRobot(ctx: CommandContext, robot: string | undefined, mustBeConnected: boolean): SkillJoint[] {
  if (!robot) throw new CommandError('robot: name the robot whose joints the samples are (or send its joints)');
  const connected = ctx.robots?.list().some((s) => s.id === robot) ?? false;
  if (connected) return ctx.robots!.joints(robot);
  if (mustBeConnected) throw new CommandError('robot: no connected robot of that id (see status)');
  // a bundled description by name only: a remote command reads no files
  if (!bundledRobots().includes(robot)) throw new CommandError('robot: no connected robot and no bundled robot description of that name');
  return robotJoints(loadRobot(robot));
}

/** A joint that moves less than this over a whole demonstration, rad, did not move (the keyframes' still radius). */
const STILL_SPAN = 0.01;

/**
 * A demonstration in which no joint moved is refused: it would be learned as one still keyframe, a
 * skill that does nothing (a recording made while nobody moved the arm).
 */
function refuseStill(skill: string, samples: readonly DemoSample[]): void {
  const first = samples[0]!.positions;
  const moved = samples.some((s) => s.positions.some((q, j) => Math.abs(q - first[j]!) > STILL_SPAN));
  if (!moved) throw new CommandError(`demonstration '${skill}': the arm did not move (every joint stayed within ${STILL_SPAN} rad of where it started in all ${samples.length} samples): move it while recording`);
}

/** A title named in a command that the memory does not hold, said without quoting the name back (the web answers 404). */
function unknownTitle(title: string): UnknownTitleError {
  const e = new UnknownTitleError(title);
  e.message = 'title: no title of that name in memory (see list)';
  return e;
}

async function forget(ctx: CommandContext, msg: AgentCommand, emit: EventSink): Promise<unknown> {
  const title = msg.title as string;
  if (!(await ctx.memory.has(title))) throw unknownTitle(title);
  const r = await ctx.memory.forget(title);
  emit({ type: 'forgotten', title, kind: r.kind });
  return r;
}

async function rename(ctx: CommandContext, msg: AgentCommand, emit: EventSink): Promise<unknown> {
  const title = msg.title as string;
  const to = msg.to as string;
  // eslint-disable-next-line no-control-regex
  if (!/\S/.test(to) || /[\u0000-\u001f\u007f]/.test(to) || to.length > MAX_TITLE_CHARS) throw new CommandError(`to: a title is 1..${MAX_TITLE_CHARS} characters with a visible one and no control characters`);
  if (!(await ctx.memory.has(title))) throw unknownTitle(title);
  if (to !== title && (await ctx.memory.has(to))) throw new CommandError('to: another title already has that name');
  const r = await ctx.memory.rename(title, to);
  if (to !== title) emit({ type: 'renamed', title, to, kind: r.kind });
  return r;
}

function fragmentOf(msg: AgentCommand): Fragment {
  return { notes: msg.notes as Fragment['notes'], unit: msg.unit as Fragment['unit'], ...(typeof msg.neighbours === 'number' ? { neighbours: msg.neighbours } : {}) };
}
