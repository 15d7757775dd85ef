import type { Performance, PerformanceRecording } from '../perform.js';
import { clock } from './hidpi.js';
import { learnFiles, type LearnState } from './learn-files.js';
import { LiveRobots } from './live-robots.js';
import { MemoryPanel, type MemoryPanelState } from './memory-panel.js';
import { drawRoll } from './piano-roll.js';
import { PlayAlong, type PlayAlongState } from './play-along.js';
import { Player, type Move } from './player.js';
import { describeResult, WHOLE_PIECE_SECONDS } from './result-words.js';
import { robotsPanel } from './robots-panel.js';
import { drawRaster, type RasterShown } from './spike-raster.js';
import { Tones } from './tone.js';
import { StageView } from './view.js';
import { TeachPanel } from './teach-panel.js';

/** What /api/perform answers: a Performance with its recording (the agent records at 60 fps). */
export type PerformanceJson = Performance & { recording: PerformanceRecording };

/** A title as GET /api/titles lists it. */
interface Title {
  title: string;
  kind?: 'music' | 'skill';
  tracks: number;
  notes: number;
}

/** What the transport shows now (window.engram.transport()). */
interface TransportSnapshot {
  time: number;
  duration: number;
  playing: boolean;
  loop: boolean;
  speed: number;
  loops: number;
  stoppedBy: Player['stoppedBy'];
  /** The recording frame the arms show, and their joint angles per arm. */
  frame: number;
  arms: number[][];
  keysDown: number[];
  /** Voices started so far, and those still sounding. */
  tones: number;
  ringing: number;
  /** Where the piano roll and the raster drew their playhead. */
  rollTime: number;
  raster: RasterShown | null;
}

/** State the page exposes for people poking at it and for the browser tests. */
interface EngramPage {
  ready: boolean;
  playing: boolean;
  title: string | null;
  tempo: number;
  /** Key-downs as the page showed them while playing: playback time (s) and the physics time they were recorded at. */
  keyDowns: Array<{ pitch: number; shownAt: number; recordedAt: number }>;
  performance: PerformanceJson | null;
  /** How much of the piece was asked for: 'whole' or seconds. */
  length: 'whole' | number;
  /** Whether the page is performing a demo it chose itself (at opening). */
  demo: boolean;
  error: string | null;
  /** Whether the agent's event stream is open. */
  linked: boolean;
  titles: Title[];
  memory: MemoryPanelState;
  learning: LearnState;
  /** The play-along panel: notes heard, the memory's candidates, MIDI, the last continuation. */
  playAlong: PlayAlongState;
  transport(): TransportSnapshot;
}

declare global {
  interface Window {
    engram: EngramPage;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const library = $<HTMLUListElement>('library');
const tempo = $<HTMLInputElement>('tempo');
const tempoValue = $<HTMLOutputElement>('tempo-value');
const lengthChoice = $<HTMLSelectElement>('length');
const performButton = $<HTMLButtonElement>('perform');
const status = $<HTMLParagraphElement>('status');
const report = $<HTMLDivElement>('report');
const now = $<HTMLParagraphElement>('now');
const roll = $<HTMLCanvasElement>('roll');
const raster = $<HTMLCanvasElement>('raster');
const playPause = $<HTMLButtonElement>('play-pause');
const restart = $<HTMLButtonElement>('restart');
const seek = $<HTMLInputElement>('seek');
const clockOut = $<HTMLOutputElement>('clock');
const loopButton = $<HTMLButtonElement>('loop');
const speed = $<HTMLSelectElement>('speed');
const linkLine = $<HTMLParagraphElement>('link');
const view = new StageView($('stage'));
const live = new LiveRobots(view, $('stage'));
const player = new Player();
const tones = new Tones();
const memory = new MemoryPanel($<HTMLTableElement>('areas'), $<HTMLCanvasElement>('chain'), $('chain-caption'), $<HTMLSelectElement>('chain-track'));



/** How much of the piece the loaded performance holds (the demo's length is its own). */
let loadedLength: 'whole' | number = 'whole';
let rollTime = 0;
let rasterShown: RasterShown | null = null;
/** The next key event to apply when playing on. */
let nextKey = 0;

const page: EngramPage = {
  ready: false,
  playing: false,
  title: null,
  tempo: 1,
  keyDowns: [],
  performance: null,
  length: 'whole',
  demo: false,
  error: null,
  linked: false,
  titles: [],
  memory: memory.state,
  learning: { files: [] },
  playAlong: undefined as unknown as PlayAlongState, // set below, once the panel is built
  transport: () => {
    const rec = page.performance?.recording;
    return {
      time: player.time,
      duration: player.duration,
      playing: player.playing,
      loop: player.loop,
      speed: player.speed,
      loops: player.loops,
      stoppedBy: player.stoppedBy,
      frame: rec ? frameAt(rec, player.time) : -1,
      arms: view.armAngles(),
      keysDown: view.keysDown(),
      tones: tones.started,
      ringing: tones.ringing,
      rollTime,
      raster: rasterShown,
    };
  },
};
window.engram = page;

const frameAt = (rec: PerformanceRecording, t: number) => Math.max(0, Math.min(rec.frames.length - 1, Math.floor(t * rec.fps)));
const isMusic = (t: Title | undefined) => !!t && t.kind !== 'skill';

// ---- the library --------------------------------------------------------------------------------

async function loadLibrary(): Promise<void> {
  const res = await fetch('/api/titles');
  if (!res.ok) throw new Error(`the library: HTTP ${res.status}`);
  page.titles = (await res.json()) as Title[];
  library.replaceChildren(
    ...page.titles.map((t) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.append(t.title, Object.assign(document.createElement('span'), { className: 'meta', textContent: t.kind === 'skill' ? 'skill' : `${t.notes} notes${t.tracks > 1 ? `, ${t.tracks} tracks` : ''}` }));
      b.title = t.kind === 'skill' ? `a skill: ${t.notes} joint symbols; perform it on a robot` : `${t.tracks} tracks, ${t.notes} notes`;
      b.setAttribute('aria-pressed', String(t.title === page.title));
      b.dataset.title = t.title;
      b.addEventListener('click', () => choose(t.title));
      li.appendChild(b);
      return li;
    }),
  );
  if (!page.ready) performance.mark('engram:library-ready'); // npm run bench reads these marks
  if (!page.performance && !page.title) status.textContent = page.titles.length ? 'pick a piece, set the pacemaker rate, press Perform' : 'the memory is empty: drop MIDI files on the library to learn them';
  page.ready = true;
}

function choose(title: string): void {
  const t = page.titles.find((x) => x.title === title);
  if (!t) return;
  page.title = title;
  for (const b of library.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.title === title));
  performButton.disabled = !isMusic(t); // skills play on robots
  status.textContent = t.kind === 'skill' ? `${t.title}: a skill (${t.notes} joint symbols): perform it on a robot` : `${t.title}: ${t.tracks} tracks, ${t.notes} notes learned`;
  void memory.show(title, t.tracks);
}

// ---- performing: one recall, recorded; the transport replays it -----------------------------------

tempo.addEventListener('input', () => {
  page.tempo = Number(tempo.value);
  tempoValue.textContent = `${page.tempo.toFixed(2)}×`;
  showNow();
});
lengthChoice.addEventListener('change', () => {
  page.length = lengthChoice.value === 'whole' ? 'whole' : Number(lengthChoice.value);
});

performButton.addEventListener('click', () => {
  if (!page.title) return;
  tones.unlock();
  void perform(page.title, page.tempo, page.length);
});

let performing = 0;

async function perform(title: string, t: number, length: 'whole' | number, demo = false): Promise<void> {
  const ask = ++performing;
  page.demo = demo;
  page.error = null;
  if (!demo) performButton.disabled = true;
  status.textContent = `recalling ${title} at pacemaker ${t.toFixed(2)}× (${length === 'whole' ? 'the whole piece' : `the first ${length} s`}) and simulating the arms…`;
  try {
    const res = await fetch('/api/perform', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, tempo: t, seconds: length === 'whole' ? WHOLE_PIECE_SECONDS : length }) });
    const body = (await res.json()) as PerformanceJson & { error?: string };
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    if (ask !== performing) return; // a newer Perform took over
    load(body, length);
  } catch (err) {
    if (ask !== performing) return;
    page.error = err instanceof TypeError ? 'the agent did not answer (is engram serve running?)' : (err as Error).message;
    status.textContent = `error: ${page.error}`;
  } finally {
    if (ask === performing) performButton.disabled = !isMusic(page.titles.find((x) => x.title === page.title));
  }
}

function load(p: PerformanceJson, length: 'whole' | number): void {
  const rec = p.recording;
  tones.hush();
  loadedLength = length;
  page.performance = p;
  page.keyDowns = [];
  view.build(rec.keyboard, rec.robots);
  view.releaseKeys();
  nextKey = 0;
  memory.useRaster(rec.raster);
  if (page.title === p.title || !page.title) void memory.show(p.title, page.titles.find((x) => x.title === p.title)?.tracks ?? 1);
  // the recording lasts until its last frame or its last key release, whichever is later
  const lastKey = rec.keyEvents.length ? rec.keyEvents[rec.keyEvents.length - 1]!.time : 0;
  const duration = Math.max(rec.frames.length / rec.fps, lastKey);
  seek.max = String(duration);
  for (const el of [playPause, restart, seek]) el.disabled = false;
  const piece = page.titles.find((x) => x.title === p.title);
  status.textContent = `${p.title}${page.demo ? ' (a demo: pick a piece and press Perform)' : ''}`;
  report.replaceChildren(...describeResult(p, { length, pieceNotes: piece?.notes ?? null, stopped: null }));
  player.load(duration);
  player.play();
}

/** Shows the recording at playback time t: arms, keys (and their sound when playing on), roll, raster, chain. */
function show(t: number, from: number, move: Move): void {
  const p = page.performance;
  if (!p) return;
  const rec = p.recording;
  view.pose(rec.frames[frameAt(rec, t)]!);
  const events = rec.keyEvents;
  if (move === 'play' && t >= from) {
    while (nextKey < events.length && events[nextKey]!.time <= t) {
      const e = events[nextKey++]!;
      view.setKey(e.pitch, e.on);
      if (e.on) {
        tones.play(e.pitch);
        page.keyDowns.push({ pitch: e.pitch, shownAt: t, recordedAt: e.time });
      }
    }
  } else {
    // a jump: the keys as they stand at t, silently
    view.releaseKeys();
    nextKey = 0;
    while (nextKey < events.length && events[nextKey]!.time <= t) {
      const e = events[nextKey++]!;
      view.setKey(e.pitch, e.on);
    }
  }
  drawCharts(p, t);
  if (!seeking) seek.value = String(t); // not under the user's finger
  clockOut.textContent = `${clock(t)} / ${clock(player.duration)}`;
  seek.setAttribute('aria-valuetext', clockOut.textContent);
  view.render();
}

/** The roll, the raster and the chain at playback time t. */
function drawCharts(p: PerformanceJson, t: number): void {
  drawRoll(roll, p, t, player.duration);
  rasterShown = drawRaster(raster, p.recording.raster, t, player.duration);
  rollTime = t;
  memory.draw(t);
}
// a new size (a rotated phone) redraws them sharp at once, even while paused
window.addEventListener('resize', () => {
  if (page.performance) drawCharts(page.performance, player.time);
});

player.events.on('time', ({ time, from, move }) => show(time, from, move));
player.events.on('state', () => {
  page.playing = player.playing;
  playPause.classList.toggle('playing', player.playing);
  playPause.setAttribute('aria-label', player.playing ? 'Pause' : 'Play');
  loopButton.setAttribute('aria-pressed', String(player.loop));
  speed.value = String(player.speed);
  if (player.playing) {
    live.ghost(true);
    view.showRecording(true);
    startTicking();
  } else {
    tones.hush(); // a paused performance holds its sound as it holds its arms
    if (player.stoppedBy === 'end' || player.stoppedBy === 'stop') {
      // back to the live arms, where there are any
      live.ghost(false);
      if (live.hasPianoArms) view.showRecording(false);
    }
    const p = page.performance;
    if (p && player.stoppedBy === 'stop') {
      const piece = page.titles.find((x) => x.title === p.title);
      report.replaceChildren(...describeResult(p, { length: loadedLength, pieceNotes: piece?.notes ?? null, stopped: player.time }));
    }
  }
  showNow();
});

let ticking = false;
function startTicking(): void {
  if (ticking) return;
  ticking = true;
  let last = performance.now();
  const tick = (stamp: number) => {
    player.advance(Math.min(0.25, (stamp - last) / 1000)); // a long gap (a hidden tab) is not a jump
    last = stamp;
    if (player.playing) requestAnimationFrame(tick);
    else ticking = false;
  };
  requestAnimationFrame(tick);
}

/** The line under the transport: what is loaded, at what pacemaker rate and what playback speed. */
function showNow(): void {
  const p = page.performance;
  if (!p) return void (now.textContent = '');
  const length = p.continuation ? 'played on from where the player stopped' : loadedLength === 'whole' ? 'the whole piece' : `the first ${loadedLength} s`;
  const pending = !p.continuation && Math.abs(page.tempo - p.tempo) > 1e-9 ? ` · pacemaker ${page.tempo.toFixed(2)}× applies on Perform (a new recall)` : '';
  const state = player.playing ? 'playing' : player.stoppedBy === 'stop' ? `stopped at ${clock(player.time)}` : player.stoppedBy === 'end' ? 'played to the end' : 'paused';
  now.textContent = `${p.title}, ${length}: recalled at pacemaker ${p.tempo.toFixed(2)}× · playback ${player.speed}× (no new recall) · ${state}${pending}`;
}

// ---- the transport bar ---------------------------------------------------------------------------

let seeking = false;
playPause.addEventListener('click', () => {
  tones.unlock();
  player.toggle();
});
restart.addEventListener('click', () => player.restart());
seek.addEventListener('pointerdown', () => (seeking = true));
seek.addEventListener('pointerup', () => (seeking = false));
seek.addEventListener('input', () => player.seek(Number(seek.value)));
loopButton.addEventListener('click', () => player.setLoop(!player.loop));
speed.addEventListener('change', () => {
  player.setSpeed(Number(speed.value));
  speed.blur(); // Space and the arrows go back to the transport
});
document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (target.closest('input:not([type=range]), select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (!page.performance) return;
  const step = e.shiftKey ? 1 : 5;
  if (e.key === ' ' && target !== playPause) {
    // Space is play/pause wherever the focus is (but in a field): a focused button is not pressed instead
    if (target.tagName === 'BUTTON') target.blur();
    e.preventDefault();
    tones.unlock();
    player.toggle();
  } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && target !== seek) {
    e.preventDefault();
    player.seek(player.time + (e.key === 'ArrowLeft' ? -step : step));
  } else if (e.key === 'Home' && target !== seek) {
    e.preventDefault();
    player.restart();
  } else if (e.key === 'l' || e.key === 'L') {
    player.setLoop(!player.loop);
  }
});
document.addEventListener('engram:stop', () => player.pause('stop'));

// ---- help, the agent's link, learning, robots -------------------------------------------------------

const helpToggle = $<HTMLButtonElement>('help-toggle');
helpToggle.addEventListener('click', () => {
  const help = $('help');
  help.hidden = !help.hidden;
  helpToggle.setAttribute('aria-expanded', String(!help.hidden));
});

document.addEventListener('engram:link', (e) => {
  const up = (e as CustomEvent<{ up: boolean }>).detail.up;
  const wasDown = !page.linked;
  page.linked = up;
  document.body.classList.toggle('agent-gone', !up);
  live.agentGone(!up);
  linkLine.className = `link ${up ? 'up' : 'down'}`;
  linkLine.textContent = up ? 'agent connected' : 'the agent is gone: reconnecting…';
  if (up && wasDown && page.ready) {
    void loadLibrary().catch(() => undefined);
    void memory.refresh();
  }
});

page.learning = learnFiles($('drop'), $<HTMLInputElement>('midi-files'), $<HTMLUListElement>('learn-log'), () => {
  document.dispatchEvent(new CustomEvent('engram:library-changed'));
});

robotsPanel(() => page.title, () => page.tempo, live.events);
new TeachPanel($('teach-panel'), view, live);
page.playAlong = new PlayAlong($('play-along'), { sound: (pitch) => (tones.unlock(), tones.play(pitch)), load: (p) => (choose(p.title), (page.demo = false), load(p, 'whole')) }).state;
live.start();
document.addEventListener('engram:agent-event', (e) => {
  const ev = (e as CustomEvent<{ type: string; robot?: unknown; pitch?: unknown; on?: unknown }>).detail;
  if (ev.type === 'note' && typeof ev.robot === 'string' && typeof ev.pitch === 'number') live.key(ev.robot, ev.pitch, ev.on === true);
  // the library changed on some channel (this page, MQTT, ROS): list it again; the chosen title follows a rename or is let go
  if (ev.type === 'learned' || ev.type === 'forgotten' || ev.type === 'renamed') libraryChanged(ev as { type: string; title?: unknown; to?: unknown });
});

function libraryChanged(ev: { type: string; title?: unknown; to?: unknown }): void {
  const chosen = page.title !== null && ev.title === page.title;
  if (chosen && ev.type === 'forgotten') {
    page.title = null;
    performButton.disabled = true;
    void memory.show(null);
  }
  void loadLibrary()
    .then(() => {
      if (chosen && ev.type === 'renamed' && typeof ev.to === 'string') choose(ev.to);
    })
    .catch(() => undefined);
}
document.addEventListener('engram:library-changed', () => {
  void loadLibrary().catch(() => undefined);
  void memory.refresh();
});

view.render();
performance.mark('engram:first-render');
void memory.show(null);
loadLibrary()
  .then(() => {
    // something to watch from the start: a short demo of a bundled tune (the first 20 s), until a piece is chosen
    const demo = page.titles.find((t) => t.title === 'Ode to Joy') ?? page.titles.find(isMusic);
    if (demo && !page.performance && performing === 0) {
      if (!page.title) choose(demo.title);
      void perform(demo.title, 1, 20, true);
    }
  })
  .catch((err: unknown) => {
    page.error = err instanceof TypeError ? 'the agent did not answer (is engram serve running?)' : (err as Error).message;
    status.textContent = `cannot reach the agent: ${page.error}`;
  });
