import type { MemoryAnatomy, TitleChain } from '../../src/memory/anatomy.js';
import { pitchName } from '../../src/music/pitch.js';
import type { PerformanceRecording } from '../perform.js';
import { fitCanvas } from './hidpi.js';

type Raster = NonNullable<PerformanceRecording['raster']>;

/** What the memory panel shows, for people poking at the page and for the browser test. */
export interface MemoryPanelState {
  anatomy: MemoryAnatomy | null;
  chain: TitleChain | null;
  /** Chain neurons drawn lit (firing near the playhead) and those that have fired by it. */
  lit: number;
  fired: number;
  error: string | null;
}

const COLOURS: Record<string, string> = { goal: '#ffd866', spatial: '#7fb0ff', duration: '#ffb86b', interval: '#c792ea', pacemaker: '#6fd3a8' };
/** Slots of the chain shown at once: the window follows recall along a long chain. */
const WINDOW = 36;
/** A neuron is drawn lit this long after it fires, s. */
const GLOW = 0.3;

/**
 * The memory panel: the network's neurons, synapses and bytes per area (the 'memory' command), and the
 * chosen piece's chain as the network holds it: its goal neuron, its note neurons at their pitch (their
 * minicolumn), each with its duration counter below, the interval counters between events, and the
 * synapses between them. While a performance plays, the chain's neurons light as the recorded recall
 * fired them (their spikes in the raster, matched by neuron index).
 */
export class MemoryPanel {
  readonly state: MemoryPanelState = { anatomy: null, chain: null, lit: 0, fired: 0, error: null };
  readonly #table: HTMLTableElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #caption: HTMLElement;
  readonly #track: HTMLSelectElement;
  #title: string | null = null;
  #spikes = new Map<number, number[]>();
  #time = 0;
  #request = 0;

  constructor(table: HTMLTableElement, canvas: HTMLCanvasElement, caption: HTMLElement, track: HTMLSelectElement) {
    this.#table = table;
    this.#canvas = canvas;
    this.#caption = caption;
    this.#track = track;
    track.addEventListener('change', () => void this.refresh());
    window.addEventListener('resize', () => this.draw(this.#time));
  }

  /** Shows `title`'s chain (null: the areas only). */
  async show(title: string | null, tracks = 1): Promise<void> {
    if (title !== this.#title) {
      this.#title = title;
      this.#track.replaceChildren(...Array.from({ length: title ? tracks : 0 }, (_, i) => Object.assign(document.createElement('option'), { value: String(i), textContent: `track ${i + 1}` })));
    }
    await this.refresh();
  }

  /** Asks the agent again (after learning, after a performance). */
  async refresh(): Promise<void> {
    const ask = ++this.#request;
    const body: Record<string, unknown> = { command: 'memory', maxNotes: 160 };
    if (this.#title) Object.assign(body, { title: this.#title, track: Number(this.#track.value) || 0 });
    try {
      const res = await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await res.json()) as { ok: boolean; result?: MemoryAnatomy & { chain: TitleChain | null }; error?: string };
      if (ask !== this.#request) return;
      if (!answer.ok || !answer.result) throw new Error(answer.error ?? `HTTP ${res.status}`);
      this.state.anatomy = answer.result;
      this.state.chain = answer.result.chain;
      this.state.error = null;
    } catch (err) {
      if (ask !== this.#request) return;
      this.state.error = err instanceof TypeError ? 'the agent did not answer' : (err as Error).message;
    }
    this.#renderTable();
    this.draw(this.#time);
  }

  /** The spikes of the performance now loaded (its recall), to light the chain with. */
  useRaster(r: Raster | undefined): void {
    this.#spikes = new Map();
    if (r) for (let i = 0; i < r.time.length; i++) (this.#spikes.get(r.neuron[i]!) ?? this.#spikes.set(r.neuron[i]!, []).get(r.neuron[i]!)!).push(r.time[i]!);
    this.draw(this.#time);
  }

  #renderTable(): void {
    const a = this.state.anatomy;
    if (!a) {
      this.#table.replaceChildren();
      this.#caption.textContent = this.state.error ?? '';
      return;
    }
    const kb = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : `${(b / 1024).toFixed(1)} KB`);
    const row = (cells: string[], tag = 'td') => {
      const tr = document.createElement('tr');
      for (const c of cells) tr.appendChild(Object.assign(document.createElement(tag), { textContent: c }));
      return tr;
    };
    const head = document.createElement('thead');
    head.appendChild(row(['area', 'neurons', 'synapses', 'bytes'], 'th'));
    const body = document.createElement('tbody');
    for (const area of a.areas) {
      const tr = row([area.name, area.neurons.toLocaleString('en'), area.synapses.toLocaleString('en'), kb(area.bytes)]);
      (tr.firstElementChild as HTMLElement).style.color = COLOURS[area.name] ?? '';
      body.appendChild(tr);
    }
    const foot = document.createElement('tfoot');
    foot.appendChild(row(['all', a.neurons.toLocaleString('en'), a.synapses.toLocaleString('en'), kb(a.bytes)]));
    this.#table.replaceChildren(head, body, foot);
  }

  /** Draws the chain as it stands at playback time `t` (its neurons lit as they fired then). */
  draw(t: number): void {
    this.#time = t;
    const { g, w, h } = fitCanvas(this.#canvas);
    g.clearRect(0, 0, w, h);
    const c = this.state.chain;
    this.state.lit = 0;
    this.state.fired = 0;
    if (!c) {
      this.#caption.textContent = this.state.error ?? (this.#title ? '' : 'pick a piece to see its chain');
      return;
    }
    // slots along the chain: the goal, then each interval counter and note neuron in recall order; a
    // duration counter sits under its note
    const slot = new Map<number, number>();
    const durationOf = new Map<number, number>(); // duration neuron -> its note
    for (const s of c.synapses) if (s.kind === 'duration-gate') durationOf.set(s.post, s.pre);
    let slots = 0;
    for (const n of c.neurons) if (n.area !== 'duration') slot.set(n.id, slots++);
    for (const [d, note] of durationOf) slot.set(d, slot.get(note) ?? 0);
    const notes = c.neurons.filter((n) => n.area === 'spatial');
    let lo = Infinity;
    let hi = -Infinity;
    for (const n of notes) (lo = Math.min(lo, n.column)), (hi = Math.max(hi, n.column));
    if (!Number.isFinite(lo)) (lo = 60), (hi = 72);
    // what has fired by t, and the window that follows the latest
    const firedBy = (id: number) => {
      const times = this.#spikes.get(id);
      if (!times) return null;
      let last: number | null = null;
      for (const s of times) if (s <= t) last = s;
      return last;
    };
    let latest = 0;
    for (const n of c.neurons) {
      const f = firedBy(n.id);
      if (f !== null) {
        this.state.fired++;
        if (t - f < GLOW) this.state.lit++;
        latest = Math.max(latest, slot.get(n.id)!);
      }
    }
    const s0 = Math.max(0, Math.min(latest - Math.floor(WINDOW / 3), slots - WINDOW));
    const left = 44;
    const dx = (w - left - 8) / Math.min(WINDOW, Math.max(slots - 1, 1));
    const noteTop = 14;
    const noteBottom = h - 62;
    const pos = (n: { id: number; area: string; column: number }) => {
      const sx = left + (slot.get(n.id)! - s0) * dx;
      if (n.area === 'goal') return { x: 16, y: (noteTop + noteBottom) / 2 };
      if (n.area === 'spatial') return { x: sx, y: noteBottom - ((n.column - lo) / Math.max(hi - lo, 1)) * (noteBottom - noteTop) };
      if (n.area === 'duration') return { x: sx, y: h - 34 };
      return { x: sx, y: h - 14 }; // interval counters
    };
    const byId = new Map(c.neurons.map((n) => [n.id, n]));
    const visible = (n: { id: number; area: string }) => n.area === 'goal' || (slot.get(n.id)! >= s0 && slot.get(n.id)! <= s0 + WINDOW);
    // synapses first, under the neurons; feedback to the goal faint
    for (const s of c.synapses) {
      const a = byId.get(s.pre);
      const b = byId.get(s.post);
      if (!a || !b || (!visible(a) && !visible(b))) continue;
      if ((a.area === 'goal' || b.area === 'goal') && !visible(a.area === 'goal' ? b : a)) continue;
      // feedback to the goal only where it is being used (a note firing now): every note has one
      if (s.kind === 'feedback') {
        const f = firedBy(s.pre);
        if (f === null || t - f >= GLOW) continue;
      }
      const pa = pos(a);
      const pb = pos(b);
      g.strokeStyle = s.kind === 'sequence' ? '#5d7f9c' : s.kind === 'feedback' ? '#8a7a30' : '#3c4656';
      g.lineWidth = s.kind === 'sequence' ? 1.5 : 1;
      g.beginPath();
      g.moveTo(pa.x, pa.y);
      g.lineTo(pb.x, pb.y);
      g.stroke();
    }
    for (const n of c.neurons) {
      if (!visible(n)) continue;
      const p = pos(n);
      const f = firedBy(n.id);
      const glowing = f !== null && t - f < GLOW;
      g.beginPath();
      g.arc(p.x, p.y, n.area === 'goal' ? 7 : glowing ? 5 : 3.5, 0, Math.PI * 2);
      g.fillStyle = glowing ? '#ffffff' : f !== null ? COLOURS[n.area]! : '#33414d';
      g.fill();
      if (glowing) {
        g.strokeStyle = COLOURS[n.area]!;
        g.lineWidth = 2;
        g.stroke();
      }
    }
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#8a9aa8';
    g.fillText(pitchName(hi), left - 40, noteTop + 4);
    g.fillText(pitchName(lo), left - 40, noteBottom + 4);
    g.fillText('goal', 4, (noteTop + noteBottom) / 2 + 18);
    g.fillText('duration', left - 40, h - 31);
    g.fillText('interval', left - 40, h - 11);
    const a = this.state.anatomy;
    this.#caption.textContent =
      `${c.title}, track ${c.track + 1}: goal neuron #${c.goal}, ${c.notes} note neurons` +
      (c.notesShown < c.notes ? ` (the first ${c.notesShown} drawn)` : '') +
      `, ${c.neurons.length} neurons and ${c.synapses.length} synapses drawn` +
      (a ? ` of the network's ${a.neurons.toLocaleString('en')} and ${a.synapses.toLocaleString('en')}` : '') +
      (this.#spikes.size ? `; lit as the recorded recall fired them` : '');
  }
}
