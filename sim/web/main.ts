import type { Performance, PerformanceRecording } from '../perform.js';
import { LiveRobots } from './live-robots.js';
import { robotsPanel } from './robots-panel.js';
import { StageView } from './view.js';

/** What /api/perform answers: a Performance with its recording (the agent records at 60 fps). */
type PerformanceJson = Performance & { recording: PerformanceRecording };

/** State the page exposes for people poking at it and for the browser test. */
interface EngramPage {
  ready: boolean;
  playing: boolean;
  title: string | null;
  tempo: number;
  /** Key-downs as the page showed them: playback time (s) and the physics time they were recorded at. */
  keyDowns: Array<{ pitch: number; shownAt: number; recordedAt: number }>;
  performance: PerformanceJson | null;
  error: string | null;
}

declare global {
  interface Window {
    engram: EngramPage;
  }
}

const page: EngramPage = { ready: false, playing: false, title: null, tempo: 1, keyDowns: [], performance: null, error: null };
window.engram = page;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const library = $<HTMLUListElement>('library');
const tempo = $<HTMLInputElement>('tempo');
const tempoValue = $<HTMLOutputElement>('tempo-value');
const performButton = $<HTMLButtonElement>('perform');
const status = $<HTMLParagraphElement>('status');
const report = $<HTMLPreElement>('report');
const roll = $<HTMLCanvasElement>('roll');
const raster = $<HTMLCanvasElement>('raster');
const view = new StageView($('stage'));
const live = new LiveRobots(view, $('stage'));

let audio: AudioContext | null = null;

/** A short piano-like tone through Web Audio. */
function tone(pitch: number): void {
  if (!audio) return;
  const f = 440 * 2 ** ((pitch - 69) / 12);
  const t = audio.currentTime;
  const gain = audio.createGain();
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.18, t + 0.005);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 1.2);
  gain.connect(audio.destination);
  for (const [mult, amp] of [
    [1, 1],
    [2, 0.35],
    [3, 0.12],
  ] as const) {
    const osc = audio.createOscillator();
    const g = audio.createGain();
    g.gain.value = amp;
    osc.frequency.value = f * mult;
    osc.connect(g).connect(gain);
    osc.start(t);
    osc.stop(t + 1.25);
  }
}

tempo.addEventListener('input', () => {
  page.tempo = Number(tempo.value);
  tempoValue.textContent = `${page.tempo.toFixed(2)}x`;
});

async function loadLibrary(): Promise<void> {
  const res = await fetch('/api/titles');
  const titles = (await res.json()) as Array<{ title: string; kind?: 'music' | 'skill'; tracks: number; notes: number }>;
  library.replaceChildren(
    ...titles.map((t) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.textContent = t.kind === 'skill' ? `${t.title} (skill)` : t.title;
      b.title = t.kind === 'skill' ? `a skill: ${t.notes} joint symbols; perform it on a robot` : `${t.tracks} tracks, ${t.notes} notes`;
      b.setAttribute('aria-pressed', 'false');
      b.addEventListener('click', () => {
        for (const other of library.querySelectorAll('button')) other.setAttribute('aria-pressed', 'false');
        b.setAttribute('aria-pressed', 'true');
        page.title = t.title;
        performButton.disabled = t.kind === 'skill'; // skills play on robots
        status.textContent = `${t.title}: ${t.tracks} tracks, ${t.notes} notes learned`;
      });
      li.appendChild(b);
      return li;
    }),
  );
  status.textContent = titles.length ? 'pick a piece, set the tempo, press Perform' : 'the memory is empty: learn some pieces first';
  page.ready = true;
}

performButton.addEventListener('click', () => {
  if (!page.title) return;
  audio ??= new AudioContext();
  void perform(page.title, page.tempo);
});

async function perform(title: string, t: number): Promise<void> {
  performButton.disabled = true;
  page.playing = false;
  page.error = null;
  status.textContent = `recalling ${title} at ${t.toFixed(2)}x and simulating the arms…`;
  try {
    const res = await fetch('/api/perform', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, tempo: t, seconds: 60 }) });
    const body = (await res.json()) as PerformanceJson & { error?: string };
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    page.performance = body;
    play(body);
  } catch (err) {
    page.error = (err as Error).message;
    status.textContent = `error: ${page.error}`;
  } finally {
    performButton.disabled = false;
  }
}

function play(p: PerformanceJson): void {
  const rec = p.recording;
  view.build(rec.keyboard, rec.robots);
  live.ghost(true);
  page.keyDowns = [];
  const r = p.report;
  report.textContent = [
    `F1 ${r.f1.toFixed(3)}  precision ${r.precision.toFixed(3)}  recall ${r.recall.toFixed(3)}`,
    `onset error median ${r.onsetMedianMs.toFixed(1)} ms, p95 ${r.onsetP95Ms.toFixed(1)} ms`,
    ...p.arms.flatMap((a) => a.issues.map((i) => `${a.robot}: ${i.message}`)),
  ].join('\n');
  status.textContent = `${p.title} at ${p.tempo.toFixed(2)}x: ${r.played} of ${r.reference} notes played`;
  const start = performance.now();
  const end = rec.frames.length / rec.fps;
  let next = 0;
  page.playing = true;
  const frame = () => {
    if (page.performance !== p) return; // a newer performance took over
    const t = (performance.now() - start) / 1000;
    view.pose(rec.frames[Math.min(rec.frames.length - 1, Math.floor(t * rec.fps))]!);
    while (next < rec.keyEvents.length && rec.keyEvents[next]!.time <= t) {
      const e = rec.keyEvents[next++]!;
      view.setKey(e.pitch, e.on);
      if (e.on) {
        tone(e.pitch);
        page.keyDowns.push({ pitch: e.pitch, shownAt: t, recordedAt: e.time });
      }
    }
    view.render();
    drawRoll(p, t);
    drawRaster(rec.raster, t);
    if (t < end && page.performance === p) requestAnimationFrame(frame);
    else {
      page.playing = false;
      // back to the live arms, where there are any
      live.ghost(false);
      if (live.hasPianoArms) view.showRecording(false);
    }
  };
  requestAnimationFrame(frame);
}

/** Piano roll around the playhead: score as grey outlines, played notes filled. */
function drawRoll(p: PerformanceJson, t: number): void {
  const g = roll.getContext('2d')!;
  const W = roll.width;
  const H = roll.height;
  g.clearRect(0, 0, W, H);
  const span = 8;
  const t0 = Math.max(0, t - 2);
  const pitches = p.score.map((n) => n.pitch);
  const lo = Math.min(...pitches) - 2;
  const hi = Math.max(...pitches) + 2;
  const x = (s: number) => ((s - t0) / span) * W;
  const y = (pitch: number) => H - ((pitch - lo) / (hi - lo)) * H;
  const h = Math.max(2, H / (hi - lo) - 1);
  g.strokeStyle = '#6b7a88';
  for (const n of p.score) if (n.time + n.duration > t0 && n.time < t0 + span) g.strokeRect(x(n.time), y(n.pitch) - h, Math.max(2, (n.duration / span) * W), h);
  const extra = new Set(p.report.extra);
  p.played.forEach((n, i) => {
    if (n.time > t || n.time + n.duration < t0) return;
    g.fillStyle = extra.has(i) ? '#ff6b6b' : '#6fd3a8';
    g.fillRect(x(n.time), y(n.pitch) - h, Math.max(2, (Math.min(n.duration, t - n.time) / span) * W), h);
  });
  g.fillStyle = '#e8eef2';
  g.fillRect(x(t), 0, 1, H);
}

const GROUP_COLOURS = ['#7fb0ff', '#ffb86b', '#c792ea', '#6fd3a8', '#ff6b6b'];

/** The recall's spikes: time across, neurons (by order of first spike) down, coloured by area. */
function drawRaster(r: PerformanceJson['recording']['raster'], t: number): void {
  const g = raster.getContext('2d')!;
  const W = raster.width;
  const H = raster.height;
  g.clearRect(0, 0, W, H);
  if (!r || r.time.length === 0) return;
  const span = 8;
  const t0 = Math.max(0, t - 2);
  const rows = new Map<number, number>();
  for (let i = 0; i < r.time.length; i++) if (!rows.has(r.neuron[i]!)) rows.set(r.neuron[i]!, rows.size);
  for (let i = 0; i < r.time.length; i++) {
    const s = r.time[i]!;
    if (s < t0 || s > Math.min(t, t0 + span)) continue;
    g.fillStyle = GROUP_COLOURS[r.group[i]! % GROUP_COLOURS.length]!;
    g.fillRect(((s - t0) / span) * W, (rows.get(r.neuron[i]!)! / rows.size) * (H - 2), 2, 2);
  }
  g.font = '11px system-ui';
  r.groups.slice(0, 4).forEach((name, k) => {
    g.fillStyle = GROUP_COLOURS[k]!;
    g.fillText(name, 8 + k * 80, 12);
  });
  g.fillStyle = '#e8eef2';
  g.fillRect(((t - t0) / span) * W, 0, 1, H);
}

view.render();
loadLibrary().catch((err: unknown) => {
  page.error = (err as Error).message;
  status.textContent = `cannot reach the agent: ${page.error}`;
});

robotsPanel(() => page.title, () => page.tempo, live.events);
live.start();
document.addEventListener('engram:agent-event', (e) => {
  const ev = (e as CustomEvent<{ type: string; robot?: unknown; pitch?: unknown; on?: unknown }>).detail;
  if (ev.type === 'note' && typeof ev.robot === 'string' && typeof ev.pitch === 'number') live.key(ev.robot, ev.pitch, ev.on === true);
});
document.addEventListener('engram:library-changed', () => void loadLibrary());
