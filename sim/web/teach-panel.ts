import type { DemoSample, SkillJoint } from '../../src/skills/demonstration.js';
import type { Keyframe } from '../../src/skills/keyframes.js';
import type { SkillRecognition } from '../../src/skills/recognise-skill.js';
import { gripperChanges, type GripperEvent } from '../../src/skills/gripper.js';
import { JointCurves, shortName, type CurvesShown } from './joint-curves.js';
import { Freedrive } from './freedrive.js';
import { command, JogSender } from './jog.js';
import type { LiveRobots } from './live-robots.js';
import { densify, gripperAlong, idleTrim, keyframeRoom, keyframeSamples, keyframesOf, moved } from './teach-recording.js';
import { ToolDrag } from './tool-drag.js';
import type { StageView } from './view.js';

/** Where the panel is: nothing recorded, counting in, recording, a recording to edit and teach, a skill shown. */
export type TeachPhase = 'idle' | 'count-in' | 'recording' | 'recorded' | 'skill';

/** The teach panel's state, for people poking at the page and for the browser test (window.engramTeach). */
export interface TeachState {
  robot: string | null;
  /** The chosen robot's joint positions as it last reported them. */
  positions: number[] | null;
  phase: TeachPhase;
  /** Seconds left of the count-in. */
  countIn: number | null;
  /** Samples recorded, and the part kept (s from the first sample). */
  samples: number;
  duration: number;
  trim: { from: number; to: number } | null;
  keyframes: Array<{ time: number; dwell: number }>;
  selected: number | null;
  /** Whether keyframes were deleted or moved (then the keyframes are what is taught). */
  edited: boolean;
  /** "What is this skill?": the skills the memory names for the demonstration so far, best first. */
  guesses: Array<{ title: string; score: number }>;
  /** The skills tied for the lead while the motion is still in an opening they share (null: none). */
  tie: string[] | null;
  /** The skill named alone for the recording (null: none, or a tie): what Complete performs the rest of. */
  best: string | null;
  /** What the last Complete answered (identify-skill with complete), or its error. */
  completed: Record<string, unknown> | null;
  /** identify-skill calls answered so far (live while recording, and once at Stop). */
  identified: number;
  skills: string[];
  /** The skill chosen in the list, its keyframes as recalled at the replay tempo. */
  skill: string | null;
  replay: { tempo: number; running: boolean; result: Record<string, unknown> | null; playhead: number | null };
  jog: { sent: number; refused: number; error: string | null };
  drag: { solved: number; refused: number };
  /** The chosen robot's gripper: whether it has one, how closed it last reported it, grip commands sent and refused. */
  gripper: { available: boolean; closure: number | null; sent: number; refused: number; error: string | null };
  message: string;
}

declare global {
  interface Window {
    engramTeach: TeachState;
    /** What the joint curves drew last (where the keyframes and trim handles are on screen). */
    engramTeachCurves(): CurvesShown | null;
  }
}

/** What identify-skill answers (the agent's recognise-skill result). */
type SkillAnswer = Pick<SkillRecognition, 'matches' | 'tie' | 'best'>;

/** Longest recording, s: past it the recording stops by itself (and stays far inside what a teach message may carry). */
const MAX_RECORDING_S = 600;
/** Jog steps by keyboard, rad: normal and with Shift. */
const KEY_STEP = 0.1;
const FINE_STEP = 0.02;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

/**
 * Teaching a skill by demonstration in the page, on any robot the agent drives: jog it (joint sliders
 * within its limits, the keyboard, or dragging its tool in the 3D view), Record with a count-in and Stop,
 * see the recording as joint curves with the keyframes the agent will cut, trim the idle ends, delete
 * or move keyframes, name and teach it; choose a learned skill to see its keyframes and its tool path,
 * replay it on the robot at any tempo, rename or delete it. While recording, the memory is asked "what
 * is this skill?" on the demonstration so far. Everything goes through the agent's commands (jog,
 * teach, identify-skill, recall, perform, rename, forget): the robot moves only through its safety gate.
 */
export class TeachPanel {
  readonly state: TeachState = {
    robot: null,
    positions: null,
    phase: 'idle',
    countIn: null,
    samples: 0,
    duration: 0,
    trim: null,
    keyframes: [],
    selected: null,
    edited: false,
    guesses: [],
    tie: null,
    best: null,
    completed: null,
    identified: 0,
    skills: [],
    skill: null,
    replay: { tempo: 1, running: false, result: null, playhead: null },
    jog: { sent: 0, refused: 0, error: null },
    drag: { solved: 0, refused: 0 },
    gripper: { available: false, closure: null, sent: 0, refused: 0, error: null },
    message: '',
  };
  readonly #live: LiveRobots;
  readonly #jog = new JogSender();
  readonly #drag: ToolDrag;
  /** Freedrive: grab any link in the 3D view and push it; the joints give way (sim/web/freedrive.ts). */
  readonly #freedrive: Freedrive;
  readonly #curves: JointCurves;
  /** The recording: joint states of the robot on its clock. */
  #samples: DemoSample[] = [];
  #joints: SkillJoint[] = [];
  #keyframes: Keyframe[] = [];
  #recordingRobot: string | null = null;
  #countdown: ReturnType<typeof setTimeout> | null = null;
  #identifyTimer: ReturnType<typeof setInterval> | null = null;
  #identifying = false;
  /** A skill's recalled keyframes (robot joint order) and the path being replayed, for the playhead. */
  #skillKeyframes: Keyframe[] = [];
  #replayEnd: number | null = null;
  #titles: Array<{ title: string; kind?: string }> = [];
  #deleteArmed: ReturnType<typeof setTimeout> | null = null;

  // the panel's controls
  readonly #robotChoice = el('select', { id: 'teach-robot', ariaLabel: 'robot to teach' });
  readonly #sliders = el('div', { className: 'teach-sliders', tabIndex: 0, ariaLabel: 'jog the arm: joint sliders; keys 1-9 pick a joint, arrows move it (Shift: finer)' });
  readonly #countIn = el('select', { id: 'teach-count-in', ariaLabel: 'count-in' }, el('option', { value: '0', textContent: 'no count-in' }), el('option', { value: '1', textContent: '1 s count-in' }), el('option', { value: '3', textContent: '3 s count-in', selected: true }));
  readonly #record = el('button', { id: 'teach-record', textContent: 'Record', className: 'record' });
  readonly #stop = el('button', { id: 'teach-stop', textContent: 'Stop', disabled: true });
  readonly #trimIdle = el('button', { id: 'teach-trim', textContent: 'Trim idle ends', disabled: true, title: 'cut the time the arm stood still at the start and the end' });
  readonly #deleteKey = el('button', { id: 'teach-delete-keyframe', textContent: 'Delete keyframe', disabled: true, title: 'delete the selected keyframe (Delete key)' });
  readonly #name = el('input', { id: 'teach-name', placeholder: 'skill name', ariaLabel: 'skill name', maxLength: 256 });
  readonly #save = el('button', { id: 'teach-save', textContent: 'Teach', disabled: true, title: 'learn the recording (as trimmed and edited) under this name' });
  readonly #complete = el('button', { id: 'teach-complete', textContent: 'Complete on the robot', disabled: true, title: 'the skill named for this recording goes on from where the arm is: the rest of it, on the robot' });
  readonly #status = el('p', { id: 'teach-status', role: 'status', className: 'teach-status' });
  readonly #guesses = el('p', { id: 'teach-guesses', className: 'dim', ariaLive: 'polite' });
  readonly #skillList = el('ul', { id: 'teach-skills', ariaLabel: 'learned skills' });
  readonly #tempo = el('input', { id: 'teach-tempo', type: 'number', min: '0.1', max: '8', step: '0.05', value: '1', ariaLabel: 'replay tempo' });
  readonly #replay = el('button', { id: 'teach-replay', textContent: 'Replay on the robot', disabled: true });
  readonly #newName = el('input', { id: 'teach-new-name', placeholder: 'new name', ariaLabel: 'new name of the chosen skill', maxLength: 256 });
  readonly #rename = el('button', { id: 'teach-rename', textContent: 'Rename', disabled: true });
  readonly #forget = el('button', { id: 'teach-forget', textContent: 'Delete skill', disabled: true, className: 'stop' });
  readonly #countdownShown = el('div', { className: 'teach-countdown', hidden: true });
  /** Shown while the chosen robot is stopped (a stop command, its watchdog, a failed goal): jogs are refused until then. */
  readonly #resume = el('button', { id: 'teach-resume', textContent: 'Resume the robot', hidden: true });
  readonly #stopped = el('span', { id: 'teach-stopped', className: 'teach-stopped', hidden: true });
  readonly #freedriveToggle = el('button', { id: 'teach-freedrive', textContent: 'Freedrive', title: 'hand-guide the arm: grab any link in the 3D view and push or pull it; the joints give way (off: the arm is held)' });
  /** The gripper, for robots that have one (G on the sliders toggles it). */
  readonly #openGripper = el('button', { id: 'teach-gripper-open', textContent: 'Open gripper', hidden: true, title: 'open the gripper (G on the sliders toggles it)' });
  readonly #closeGripper = el('button', { id: 'teach-gripper-close', textContent: 'Close gripper', hidden: true, title: 'close the gripper (G on the sliders toggles it)' });

  constructor(section: HTMLElement, view: StageView, live: LiveRobots) {
    this.#live = live;
    window.engramTeach = this.state;
    const canvas = el('canvas', { id: 'teach-curves', ariaLabel: 'the recording: joint curves with the keyframes on them' });
    this.#curves = new JointCurves(canvas);
    window.engramTeachCurves = () => this.#curves.shown;
    this.#freedrive = new Freedrive(view, live, () => this.state.robot);
    // while freedrive is on, a press on the tool grabs it compliantly too: the IK drag stands aside
    this.#drag = new ToolDrag(view, live, () => (this.#freedrive.on ? null : this.state.robot));
    view.container.appendChild(this.#countdownShown);
    section.append(
      el('h2', { textContent: 'Teach a skill by demonstration' }),
      el('div', { className: 'row' }, el('label', { htmlFor: 'teach-robot', textContent: 'Robot' }), this.#robotChoice, this.#stopped, this.#resume, this.#freedriveToggle, this.#openGripper, this.#closeGripper, el('span', { className: 'dim', textContent: 'jog it: sliders, keys (click the sliders, 1-9 and arrows, G: gripper), or drag its tool in the 3D view; Freedrive: grab any link and push it' })),
      el(
        'div',
        { className: 'teach-grid' },
        this.#sliders,
        el(
          'div',
          { className: 'teach-main' },
          el('div', { className: 'row' }, this.#countIn, this.#record, this.#stop, this.#trimIdle, this.#deleteKey),
          canvas,
          el('div', { className: 'row' }, this.#name, this.#save, this.#complete),
          this.#status,
          this.#guesses,
        ),
      ),
      el('h3', { textContent: 'Skills' }),
      this.#skillList,
      el('div', { className: 'row' }, el('label', { htmlFor: 'teach-tempo', textContent: 'Tempo' }), this.#tempo, this.#replay, this.#newName, this.#rename, this.#forget),
    );
    this.#wire(section);
    this.#curves.set(null);
  }

  /** The joints a recording of robot `id` is taught in: as the agent names them (its own joint names), with their ranges. */
  #skillJoints(id: string): SkillJoint[] {
    const r = this.#live.robot(id);
    if (!r) return [];
    return r.description.joints.map((j, i) => ({ name: r.status.joints[i] ?? j.name, min: j.min, max: j.max }));
  }

  #say(message: string): void {
    this.state.message = message;
    this.#status.textContent = message;
  }

  #wire(section: HTMLElement): void {
    const live = this.#live;
    live.events.on('robots', (robots) => {
      const chosen = robots.find((r) => r.id === this.state.robot);
      this.#resume.hidden = this.#stopped.hidden = !chosen?.stopped;
      this.#stopped.textContent = chosen?.stopped ? `stopped: ${chosen.stopReason ?? ''}` : '';
      const ids = robots.map((r) => r.id);
      // arms of their own first (the piano arms can be taught too, but are usually at the keyboard)
      const order = [...ids].sort((a, b) => Number(!!live.robot(a)?.description.piano) - Number(!!live.robot(b)?.description.piano) || a.localeCompare(b));
      const have = [...this.#robotChoice.options].map((o) => o.value);
      if (order.join('\n') !== have.join('\n')) this.#robotChoice.replaceChildren(...order.map((id) => el('option', { value: id, textContent: id })));
      // a status change (a stop, an activity) is not a new robot: the one chosen, its sliders and a recording stay
      const keep = this.state.robot && ids.includes(this.state.robot) ? this.state.robot : (order[0] ?? null);
      if (keep) this.#robotChoice.value = keep;
      if (keep !== this.state.robot) this.#choose(keep);
    });
    this.#robotChoice.addEventListener('change', () => this.#choose(this.#robotChoice.value || null));
    this.#resume.addEventListener('click', async () => {
      if (!this.state.robot) return;
      const r = await command({ command: 'resume', robots: [this.state.robot] });
      this.#say(r.ok ? `${this.state.robot} resumed` : `not resumed: ${r.error}`);
    });
    live.events.on('state', (s) => {
      if (s.id !== this.state.robot) return;
      this.state.positions = s.positions;
      if (s.gripper !== undefined) this.state.gripper.closure = s.gripper;
      if (this.state.phase === 'recording' && s.id === this.#recordingRobot) this.#add(s.time, s.positions, s.gripper);
      if (!this.#jog.active && !this.#drag.dragging && !this.#freedrive.dragging) this.#showSliders(s.positions);
      if (this.#replayEnd !== null && this.state.replay.running) {
        const k = this.#skillKeyframes;
        const length = k.length ? k[k.length - 1]!.time + k[k.length - 1]!.dwell : 0;
        const t = Math.max(0, Math.min(length, length - (this.#replayEnd - s.time)));
        this.state.replay.playhead = t;
        if (this.#curves.content) this.#curves.set({ ...this.#curves.content, playhead: t });
      }
    });
    live.events.on('path', (p) => {
      if (p.id !== this.state.robot || !this.state.replay.running) return;
      this.#replayEnd = p.times[p.times.length - 1] ?? null;
    });
    this.#jog.events.on('refused', ({ error }) => {
      this.#freedrive.resync();
      this.state.jog = { sent: this.#jog.sent, refused: this.#jog.refused, error };
      this.#say(`jog refused: ${error}`);
    });
    this.#jog.events.on('sent', () => (this.state.jog = { sent: this.#jog.sent, refused: this.#jog.refused, error: null }));
    this.#drag.events.on('target', ({ positions }) => {
      this.state.drag = { solved: this.#drag.solved, refused: this.#drag.refused };
      this.#showSliders(positions);
      this.#jog.to(positions);
    });
    this.#freedrive.events.on('target', ({ positions }) => {
      this.#showSliders(positions);
      this.#jog.to(positions);
    });
    this.#freedriveToggle.setAttribute('aria-pressed', 'false');
    this.#freedriveToggle.addEventListener('click', () => {
      this.#freedrive.on = !this.#freedrive.on;
      this.#freedriveToggle.setAttribute('aria-pressed', String(this.#freedrive.on));
      this.#freedriveToggle.textContent = this.#freedrive.on ? 'Freedrive on' : 'Freedrive';
      this.#say(this.#freedrive.on ? 'freedrive: grab any link of the arm in the 3D view and push or pull it; let go and it holds' : 'freedrive off: the arm is held');
    });
    this.#drag.events.on('unreachable', () => {
      this.state.drag = { solved: this.#drag.solved, refused: this.#drag.refused };
      this.#say('the tool cannot reach there: drag it closer to the arm');
    });

    // keys on the sliders: 1-9 pick a joint, arrows move it; handled here, not by the player's keys
    this.#sliders.addEventListener('keydown', (e) => {
      const inputs = [...this.#sliders.querySelectorAll('input')];
      if (/^[1-9]$/.test(e.key) && Number(e.key) <= inputs.length) {
        inputs[Number(e.key) - 1]!.focus();
      } else if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
        const input = (e.target as HTMLElement).closest('input') ?? inputs[0];
        if (!input) return;
        const j = inputs.indexOf(input);
        const sign = e.key === 'ArrowRight' || e.key === 'ArrowUp' ? 1 : -1;
        this.#jogJoint(j, sign * (e.shiftKey ? FINE_STEP : KEY_STEP));
      } else if ((e.key === 'g' || e.key === 'G') && this.state.gripper.available) {
        void this.#grip((this.state.gripper.closure ?? 0) >= 0.5 ? 0 : 1);
      } else return;
      e.preventDefault();
      e.stopPropagation();
    });
    section.addEventListener('keydown', (e) => {
      if ((e.key === 'Delete' || e.key === 'Backspace') && e.target === this.#curves.canvas) {
        e.preventDefault();
        this.#deleteKeyframe();
      }
    });
    this.#curves.canvas.tabIndex = 0;

    this.#openGripper.addEventListener('click', () => void this.#grip(0));
    this.#closeGripper.addEventListener('click', () => void this.#grip(1));
    this.#record.addEventListener('click', () => this.#startCountIn());
    this.#stop.addEventListener('click', () => this.#stopRecording());
    this.#trimIdle.addEventListener('click', () => {
      const w = idleTrim(this.#samples);
      const t0 = this.#samples[0]!.time;
      this.#setTrim({ from: this.#samples[w.from]!.time - t0, to: this.#samples[w.to]!.time - t0 });
      this.#say(`trimmed the idle ends: ${(this.state.trim!.to - this.state.trim!.from).toFixed(1)} s kept of ${this.state.duration.toFixed(1)} s`);
    });
    this.#deleteKey.addEventListener('click', () => this.#deleteKeyframe());
    this.#curves.events.on('trim', (t) => this.#setTrim(t));
    this.#curves.events.on('select', ({ index }) => {
      if (this.state.phase !== 'recorded') return;
      this.state.selected = index;
      this.#deleteKey.disabled = index === null || this.#keyframes.length <= 2;
      this.#redraw();
    });
    this.#curves.events.on('move', ({ index, time }) => {
      if (this.state.phase !== 'recorded') return;
      const room = keyframeRoom(this.#keyframes, index);
      const k = this.#keyframes[index]!;
      const to = Math.max(room.min, Math.min(room.max, time));
      if (index === 0 || Math.abs(to - k.time) < 1e-4) return; // the first keyframe is where the skill starts
      k.time = to;
      this.state.edited = true;
      this.#redraw();
    });
    this.#name.addEventListener('input', () => this.#enable());
    this.#save.addEventListener('click', () => void this.#teach());
    this.#complete.addEventListener('click', () => void this.#completeSkill());
    this.#tempo.addEventListener('change', () => {
      const t = Number(this.#tempo.value);
      if (Number.isFinite(t) && t >= 0.1 && t <= 8) {
        this.state.replay.tempo = t;
        if (this.state.skill) void this.#showSkill(this.state.skill);
      }
    });
    this.#replay.addEventListener('click', () => void this.#replaySkill());
    this.#rename.addEventListener('click', () => void this.#renameSkill());
    this.#forget.addEventListener('click', () => this.#forgetSkill());
    document.addEventListener('engram:library-changed', () => void this.#loadSkills());
    document.addEventListener('engram:link', (e) => {
      if ((e as CustomEvent<{ up: boolean }>).detail.up) void this.#loadSkills();
    });
    void this.#loadSkills();
  }

  // ---- the robot and jogging ---------------------------------------------------------------------

  #choose(id: string | null): void {
    if (this.state.phase === 'recording' || this.state.phase === 'count-in') this.#stopRecording();
    this.state.robot = id;
    this.#jog.robot = id;
    const r = id ? this.#live.robot(id) : null;
    this.state.positions = r?.state?.positions ?? null;
    this.state.gripper = { available: !!r?.description.gripper, closure: r?.state?.gripper ?? null, sent: 0, refused: 0, error: null };
    this.#openGripper.hidden = this.#closeGripper.hidden = !this.state.gripper.available;
    this.#sliders.replaceChildren();
    if (!r || !id) return void this.#enable();
    r.description.joints.forEach((j, i) => {
      const input = el('input', { type: 'range', min: String(j.min), max: String(j.max), step: '0.001', value: String(r.state?.positions[i] ?? 0), ariaLabel: `${i + 1}: ${j.name}` });
      input.dataset.joint = String(i);
      const out = el('output', { textContent: '' });
      input.addEventListener('input', () => {
        const q = this.#sliderPositions();
        out.textContent = Number(input.value).toFixed(2);
        this.#jog.to(q);
      });
      this.#sliders.append(el('label', { className: 'teach-joint', title: `${j.name}: ${j.min.toFixed(2)}..${j.max.toFixed(2)} ${j.type === 'prismatic' ? 'm' : 'rad'}` }, el('span', { textContent: `${i + 1} ${shortName(j.name)}` }), input, out));
    });
    if (r.state) this.#showSliders(r.state.positions);
    this.#enable();
  }

  #sliderPositions(): number[] {
    return [...this.#sliders.querySelectorAll('input')].map((i) => Number(i.value));
  }

  #showSliders(positions: readonly number[]): void {
    const inputs = [...this.#sliders.querySelectorAll('input')];
    inputs.forEach((input, i) => {
      if (positions[i] === undefined || document.activeElement === input && this.#jog.active) return;
      input.value = String(positions[i]);
      const out = input.nextElementSibling as HTMLOutputElement | null;
      if (out) out.textContent = positions[i]!.toFixed(2);
    });
  }

  /** Moves joint j by dq from where it is going (or is), inside its range. */
  #jogJoint(j: number, dq: number): void {
    const id = this.state.robot;
    const r = id ? this.#live.robot(id) : null;
    if (!r?.state) return;
    const from = this.#jog.target ?? r.state.positions;
    const joint = r.description.joints[j]!;
    const q = [...from];
    q[j] = Math.max(joint.min, Math.min(joint.max, q[j]! + dq));
    this.#showSliders(q);
    this.#jog.to(q);
  }

  /** Opens (0) or closes (1) the chosen robot's gripper through the agent (its safety gate); recorded with the joints while recording. */
  async #grip(closure: number): Promise<void> {
    const id = this.state.robot;
    if (!id || !this.state.gripper.available) return;
    this.state.gripper.sent++;
    const r = await command({ command: 'grip', robot: id, gripper: closure >= 0.5 ? 'closed' : 'open' });
    if (r.ok) {
      this.state.gripper.error = null;
      if (this.state.phase !== 'recording') this.#say(`${id}: gripper ${closure >= 0.5 ? 'closed' : 'open'}`);
    } else {
      this.state.gripper.refused++;
      this.state.gripper.error = r.error ?? 'refused';
      this.#say(`gripper refused: ${r.error}`);
    }
  }

  /** The gripper events of the recording (s from its first sample), for the curves. */
  #recordedGripper(): GripperEvent[] {
    return gripperChanges(this.#samples).map(({ time, closure }) => ({ time, closure }));
  }

  // ---- recording ---------------------------------------------------------------------------------

  #startCountIn(): void {
    const id = this.state.robot;
    const r = id ? this.#live.robot(id) : null;
    if (!id || !r) return this.#say('no robot to record from: connect one (engram serve starts the simulated arm)');
    if (!r.status.connected || r.status.stopped) return this.#say(`${id} is ${r.status.connected ? 'stopped: resume it first' : 'disconnected'}`);
    this.#clearRecording();
    let left = Number(this.#countIn.value);
    this.state.phase = 'count-in';
    const tick = () => {
      if (this.state.phase !== 'count-in') return;
      if (left <= 0) {
        this.#countdownShown.hidden = true;
        this.state.countIn = null;
        return this.#startRecording(id);
      }
      this.state.countIn = left;
      this.#countdownShown.hidden = false;
      this.#countdownShown.textContent = String(left);
      this.#say(`recording from ${id} in ${left}…`);
      left--;
      this.#countdown = setTimeout(tick, 1000);
    };
    this.#enable();
    tick();
  }

  #startRecording(id: string): void {
    this.state.phase = 'recording';
    this.#recordingRobot = id;
    this.#joints = this.#skillJoints(id);
    this.#samples = [];
    this.#say(`recording ${id}: move it (sliders, keys, drag the tool, freedrive), then press Stop`);
    this.#enable();
    // "what is this skill?" on the demonstration so far, about once a second while it moves
    this.#identifyTimer = setInterval(() => void this.#identify(this.#samples), 1000);
  }

  #add(time: number, positions: number[], gripper?: number): void {
    const last = this.#samples[this.#samples.length - 1];
    if (last && time <= last.time) return;
    // a robot with a gripper: every sample carries it (the last known until its state says)
    const g = this.state.gripper.available ? (gripper ?? last?.gripper ?? this.state.gripper.closure ?? 0) : undefined;
    this.#samples.push(g === undefined ? { time, positions: [...positions] } : { time, positions: [...positions], gripper: g });
    this.state.samples = this.#samples.length;
    this.state.duration = time - this.#samples[0]!.time;
    if (this.state.duration > MAX_RECORDING_S) return this.#stopRecording();
    if (this.#samples.length % 5 === 0) {
      this.#curves.set({ samples: this.#samples, path: null, keyframes: [], keyframeOrigin: 0, joints: this.#joints.map((j) => j.name), trim: null, selected: null, playhead: null, gripper: this.#recordedGripper() });
    }
  }

  #stopRecording(): void {
    if (this.#countdown) clearTimeout(this.#countdown);
    if (this.#identifyTimer) clearInterval(this.#identifyTimer);
    this.#countdown = null;
    this.#identifyTimer = null;
    this.#countdownShown.hidden = true;
    this.state.countIn = null;
    if (this.state.phase === 'count-in') {
      this.state.phase = 'idle';
      this.#say('recording cancelled');
      return this.#enable();
    }
    if (this.state.phase !== 'recording') return;
    const s = this.#samples;
    if (s.length < 2 || !moved(s)) {
      this.state.phase = 'idle';
      this.#say(
        s.length < 2
          ? `no joint states came from ${this.#recordingRobot} while recording: is it connected?`
          : `the arm did not move while recording (every joint stayed within 0.01 rad): nothing to teach. Jog it with the sliders, the keys or by dragging its tool while recording, then press Record again`,
      );
      this.#curves.set({ samples: s, path: null, keyframes: [], keyframeOrigin: 0, joints: this.#joints.map((j) => j.name), trim: null, selected: null, playhead: null });
      return this.#enable();
    }
    this.state.phase = 'recorded';
    this.#setTrim({ from: 0, to: s[s.length - 1]!.time - s[0]!.time });
    this.#say(`recorded ${s.length} joint states over ${this.state.duration.toFixed(1)} s: ${this.#keyframes.length} keyframes. Trim, edit keyframes, name it and press Teach (or Record again)`);
    void this.#identify(this.#kept());
  }

  #clearRecording(): void {
    if (this.state.robot) this.#live.showPath(this.state.robot, null);
    this.#samples = [];
    this.#keyframes = [];
    Object.assign(this.state, { samples: 0, duration: 0, trim: null, keyframes: [], selected: null, edited: false, guesses: [], tie: null, best: null, completed: null, skill: null });
    this.#guesses.textContent = '';
    this.#renderSkills();
  }

  /** The samples inside the trim window. */
  #kept(): DemoSample[] {
    const s = this.#samples;
    const trim = this.state.trim;
    if (!trim || s.length === 0) return s;
    const t0 = s[0]!.time;
    return s.filter((x) => x.time - t0 >= trim.from - 1e-9 && x.time - t0 <= trim.to + 1e-9);
  }

  #setTrim(t: { from: number; to: number }): void {
    if (this.state.phase !== 'recorded') return;
    const wasEdited = this.state.edited;
    this.state.trim = t;
    const kept = this.#kept();
    this.#keyframes = kept.length >= 2 ? keyframesOf(kept, this.#joints) : [];
    this.state.edited = false;
    this.state.selected = null;
    if (wasEdited) this.#say('trimmed: the keyframes were cut again from the recording (your keyframe edits were dropped)');
    this.#redraw();
  }

  #deleteKeyframe(): void {
    const i = this.state.selected;
    if (this.state.phase !== 'recorded' || i === null || this.#keyframes.length <= 2) return;
    this.#keyframes.splice(i, 1);
    if (i === 0) {
      // the skill starts at the next one now
      const t0 = this.#keyframes[0]!.time;
      for (const k of this.#keyframes) k.time -= t0;
      const trim = this.state.trim!;
      this.state.trim = { from: trim.from + t0, to: trim.to };
    }
    this.state.selected = null;
    this.state.edited = true;
    this.#say(`keyframe deleted: ${this.#keyframes.length} left`);
    this.#redraw();
  }

  /** What Teach sends: the kept samples, or, once keyframes were edited, the keyframes as a demonstration. */
  #demonstration(): DemoSample[] {
    return this.state.edited ? gripperAlong(keyframeSamples(this.#keyframes), this.#kept()) : this.#kept();
  }

  #redraw(): void {
    const s = this.#samples;
    const trim = this.state.trim;
    // the tool's path in 3D: what Teach would teach (at most 400 poses of it)
    const taught = this.#demonstration();
    const every = Math.max(1, Math.ceil(taught.length / 400));
    if (this.#recordingRobot === this.state.robot && this.state.robot) this.#live.showPath(this.state.robot, densify(taught.filter((_, i) => i % every === 0 || i === taught.length - 1).map((x) => x.positions)));
    this.state.keyframes = this.#keyframes.map((k) => ({ time: k.time, dwell: k.dwell }));
    this.#curves.set({
      samples: s,
      path: this.state.edited ? keyframeSamples(this.#keyframes) : null,
      keyframes: this.#keyframes,
      keyframeOrigin: trim ? this.#keptOrigin() : 0,
      joints: this.#joints.map((j) => j.name),
      trim,
      selected: this.state.selected,
      playhead: null,
      gripper: this.#recordedGripper(),
    });
    this.#enable();
  }

  /** Where the kept part's first sample is, s from the recording's first sample. */
  #keptOrigin(): number {
    const kept = this.#kept();
    return kept.length ? kept[0]!.time - this.#samples[0]!.time : 0;
  }

  /**
   * Asks the agent which skills move like these samples (live while recording, and at Stop): the
   * identify-skill command hears them in the pose code of the skills taught in this robot's joints,
   * and answers the skills ranked, or a tie while the motion is still in an opening several share.
   */
  async #identify(samples: DemoSample[]): Promise<void> {
    const robot = this.#recordingRobot;
    if (this.#identifying || !robot || samples.length < 2 || !moved(samples)) return;
    this.#identifying = true;
    try {
      const r = await command({ command: 'identify-skill', robot, samples, limit: 10 });
      if (!r.ok) return void (this.#guesses.textContent = `what is this skill? the memory could not say: ${r.error}`);
      const answer = r.result as SkillAnswer;
      const matches = answer.matches.filter((m) => m.score > 0);
      this.state.guesses = matches.map((m) => ({ title: m.skill, score: m.score }));
      this.state.tie = answer.tie;
      this.state.best = answer.best;
      this.state.identified++;
      this.#enable();
      const skills = this.#titles.some((t) => t.kind === 'skill');
      this.#guesses.replaceChildren(
        'What is this skill? ',
        ...(answer.tie
          ? ['a tie (the motion is still in an opening they share): ', ...answer.tie.slice(0, 5).flatMap((t, i) => [i ? ' · ' : '', el('strong', { textContent: t })])]
          : matches.length
            ? matches.slice(0, 5).flatMap((m, i) => [i ? ' · ' : '', el('strong', { textContent: m.skill }), ` ${(100 * m.score).toFixed(0)}%`])
            : [skills ? 'no learned skill moves like this (yet)' : 'no skills learned yet']),
      );
    } catch (err) {
      this.#guesses.textContent = `what is this skill? ${(err as Error).message}`;
    } finally {
      this.#identifying = false;
    }
  }

  async #teach(): Promise<void> {
    const skill = this.#name.value.trim();
    const robot = this.#recordingRobot;
    if (!skill) return this.#say('name the skill first');
    if (!robot || this.state.phase !== 'recorded') return;
    const samples = this.#demonstration();
    this.#save.disabled = true;
    this.#say(`teaching ${skill}…`);
    const r = await command({ command: 'teach', skill, robot, samples });
    if (!r.ok) {
      this.#say(`not taught: ${r.error}`);
      return this.#enable();
    }
    const taught = r.result as { keyframes: number; seconds: number };
    document.dispatchEvent(new CustomEvent('engram:library-changed'));
    this.state.phase = 'idle';
    this.#name.value = '';
    await this.#loadSkills();
    await this.#showSkill(skill);
    this.#say(`learned ${skill}: ${taught.keyframes} keyframes over ${taught.seconds.toFixed(1)} s; replay it on the robot at any tempo`);
  }

  // ---- skills ------------------------------------------------------------------------------------

  async #loadSkills(): Promise<void> {
    try {
      const res = await fetch('/api/titles');
      if (!res.ok) return;
      this.#titles = (await res.json()) as Array<{ title: string; kind?: string }>;
    } catch {
      return;
    }
    this.state.skills = this.#titles.filter((t) => t.kind === 'skill').map((t) => t.title);
    if (this.state.skill && !this.state.skills.includes(this.state.skill)) this.state.skill = null;
    this.#renderSkills();
  }

  #renderSkills(): void {
    this.#skillList.replaceChildren(
      ...(this.state.skills.length
        ? this.state.skills.map((t) => {
            const b = el('button', { textContent: t });
            b.dataset.skill = t;
            b.setAttribute('aria-pressed', String(t === this.state.skill));
            b.addEventListener('click', () => void this.#showSkill(t));
            return el('li', {}, b);
          })
        : [el('li', { className: 'dim', textContent: 'no skills yet: record one above' })]),
    );
    this.#enable();
  }

  /** Shows a skill: its keyframes recalled at the replay tempo on the timeline, its tool path in 3D. */
  async #showSkill(title: string): Promise<void> {
    if (this.state.phase === 'recording' || this.state.phase === 'count-in') return;
    this.state.skill = title;
    if (this.state.phase === 'recorded') this.#clearRecording();
    this.state.skill = title;
    this.state.phase = 'skill';
    this.state.guesses = [];
    this.state.tie = null;
    this.state.best = null;
    this.#guesses.textContent = '';
    this.#renderSkills();
    const r = await command({ command: 'recall', title, tempo: this.state.replay.tempo });
    if (!r.ok) return this.#say(`cannot show ${title}: ${r.error}`);
    const recalled = r.result as { joints: SkillJoint[]; keyframes: Keyframe[]; gripper?: GripperEvent[] };
    const id = this.state.robot;
    const robotJoints = id ? this.#skillJoints(id) : [];
    // in the robot's joint order, by name (a skill of another robot is shown in its own)
    const order = robotJoints.map((j) => recalled.joints.findIndex((k) => k.name === j.name));
    const fits = order.length === recalled.joints.length && order.every((i) => i >= 0);
    const keyframes = fits ? recalled.keyframes.map((k) => ({ ...k, positions: order.map((i) => k.positions[i]!) })) : recalled.keyframes;
    this.#skillKeyframes = keyframes;
    this.#joints = fits ? robotJoints : recalled.joints;
    const path = keyframeSamples(keyframes);
    this.#curves.set({ samples: path, path: null, keyframes, keyframeOrigin: 0, joints: this.#joints.map((j) => j.name), trim: null, selected: null, playhead: null, gripper: recalled.gripper ?? [] });
    this.state.keyframes = keyframes.map((k) => ({ time: k.time, dwell: k.dwell }));
    if (fits && id) this.#live.showPath(id, densify(path.map((s) => s.positions)));
    const length = path.length ? path[path.length - 1]!.time : 0;
    this.#say(`${title}: ${keyframes.length} keyframes, ${length.toFixed(1)} s at tempo ${this.state.replay.tempo}${fits ? '' : ` (taught on other joints: ${recalled.joints.map((j) => j.name).join(', ')})`}`);
    this.#enable();
  }

  async #replaySkill(): Promise<void> {
    const title = this.state.skill;
    const id = this.state.robot;
    if (!title || !id) return;
    const tempo = this.state.replay.tempo;
    this.state.replay = { tempo, running: true, result: null, playhead: 0 };
    this.#replayEnd = null;
    this.#enable();
    this.#say(`replaying ${title} on ${id} at tempo ${tempo}…`);
    // too fast for the robot's limits: slowed down by the gate to what fits (the answer says so)
    const r = await command({ command: 'perform', title, robots: [id], tempo, fit: true });
    this.state.replay.running = false;
    this.state.replay.result = r.ok ? (r.result as Record<string, unknown>) : { error: r.error };
    if (r.ok) {
      const res = r.result as { tempo: number; fittedFrom?: number; reached?: number; due?: number; keyframes?: number; stopped?: boolean; gripper?: { events: number; performed: number }; warning?: string };
      const slowed = res.fittedFrom !== undefined ? ` (slowed from ${res.fittedFrom} to fit the robot's limits)` : '';
      const gripper = res.gripper ? `, ${res.gripper.performed} of ${res.gripper.events} gripper events` : '';
      this.#say(`${res.stopped ? 'stopped' : 'replayed'} ${title} at tempo ${res.tempo.toFixed(2)}${slowed}: ${res.reached} of ${res.due} keyframes reached${gripper}${res.warning ? ` (${res.warning})` : ''}`);
      // the path stays drawn after the robot is done
      this.#live.showPath(id, densify(keyframeSamples(this.#skillKeyframes).map((s) => s.positions)));
    } else this.#say(`replay failed: ${r.error}`);
    this.#enable();
  }

  /**
   * The skill named for the recording goes on from where the arm is: identify-skill with complete (the
   * rest of it from the place the memory found, through the safety gate, slowed to fit if need be).
   */
  async #completeSkill(): Promise<void> {
    const robot = this.#recordingRobot;
    const skill = this.state.best;
    if (!robot || !skill) return;
    this.#complete.disabled = true;
    this.#say(`completing ${skill} on ${robot} from where the arm is…`);
    const r = await command({ command: 'identify-skill', robot, samples: this.#kept(), complete: true, fit: true });
    this.state.completed = r.ok ? (r.result as Record<string, unknown>) : { error: r.error };
    if (r.ok) {
      const res = r.result as { best: string; place: number; performed: { reached?: number; due?: number; keyframes?: number; stopped?: boolean } };
      const p = res.performed;
      this.#say(`${p.stopped ? 'stopped' : 'completed'} ${res.best} from ${res.place.toFixed(2)} s into it: ${p.reached} of ${p.due ?? p.keyframes} keyframes reached`);
    } else this.#say(`not completed: ${r.error}`);
    this.#enable();
  }

  async #renameSkill(): Promise<void> {
    const title = this.state.skill;
    const to = this.#newName.value.trim();
    if (!title) return;
    if (!to) return this.#say('type the new name first');
    const r = await command({ command: 'rename', title, to });
    if (!r.ok) return this.#say(`not renamed: ${r.error}`);
    this.#newName.value = '';
    this.state.skill = to;
    this.#say(`renamed ${title} to ${to}`);
    document.dispatchEvent(new CustomEvent('engram:library-changed'));
    await this.#loadSkills();
  }

  /** Delete asks to be pressed again within 4 s (nothing learned goes by one stray click). */
  #forgetSkill(): void {
    const title = this.state.skill;
    if (!title) return;
    if (!this.#deleteArmed) {
      this.#forget.textContent = `Really delete ${title}?`;
      this.#deleteArmed = setTimeout(() => this.#disarm(), 4000);
      return;
    }
    this.#disarm();
    void (async () => {
      const r = await command({ command: 'forget', title });
      if (!r.ok) return this.#say(`not deleted: ${r.error}`);
      this.#say(`deleted ${title}`);
      this.state.skill = null;
      this.state.phase = 'idle';
      if (this.state.robot) this.#live.showPath(this.state.robot, null);
      this.#curves.set(null);
      document.dispatchEvent(new CustomEvent('engram:library-changed'));
      await this.#loadSkills();
    })();
  }

  #disarm(): void {
    if (this.#deleteArmed) clearTimeout(this.#deleteArmed);
    this.#deleteArmed = null;
    this.#forget.textContent = 'Delete skill';
  }

  /** Buttons enabled by phase. */
  #enable(): void {
    const p = this.state.phase;
    const busy = p === 'count-in' || p === 'recording';
    this.#record.disabled = busy || !this.state.robot;
    this.#record.textContent = p === 'recorded' ? 'Record again' : 'Record';
    this.#stop.disabled = !busy;
    this.#record.classList.toggle('live', p === 'recording');
    this.#trimIdle.disabled = p !== 'recorded';
    this.#deleteKey.disabled = p !== 'recorded' || this.state.selected === null || this.#keyframes.length <= 2;
    this.#save.disabled = p !== 'recorded' || !this.#name.value.trim();
    this.#complete.disabled = p !== 'recorded' || !this.state.best || !this.#recordingRobot;
    this.#complete.textContent = this.state.best && p === 'recorded' ? `Complete “${this.state.best}” on the robot` : 'Complete on the robot';
    const chosen = p === 'skill' && !!this.state.skill;
    this.#replay.disabled = !chosen || this.state.replay.running || !this.state.robot;
    this.#rename.disabled = !chosen;
    this.#forget.disabled = !chosen;
    this.#robotChoice.disabled = busy;
  }
}
