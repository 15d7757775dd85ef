import { pitchName } from '../../src/music/pitch.js';
import { OnScreenKeyboard, type KeyNote } from './keyboard.js';
import type { PerformanceJson } from './main.js';
import { listenToMidi, type MidiState } from './web-midi.js';

/** A note the player played: onset and duration in s from the phrase's first note (null while held). */
export interface HeardNote {
  pitch: number;
  onset: number;
  duration: number | null;
}

/** A candidate as the agent's identify names it, with its evidence. */
export interface Candidate {
  title: string;
  score: number;
  occurrences: number;
  track: number;
  durationsMatched: boolean;
  /** Semitones the player is away from the piece's key (absent: in its key). */
  transposition?: number;
}

/** What the play-along panel shows, for people poking at the page and for the browser test. */
export interface PlayAlongState {
  notes: HeardNote[];
  candidates: Candidate[];
  /** Identify requests sent, answers shown, and answers dropped because a newer one was shown first. */
  asked: number;
  shown: number;
  dropped: number;
  /** How many notes the candidates shown were identified from. */
  shownFor: number;
  midi: MidiState;
  continuing: boolean;
  /** The last continuation: the piece, the tempo it was played at and where that came from, the tracks. */
  continued: { title: string; tempo: number; tempoSource: string; tracks: string[] } | null;
  error: string | null;
}

/** Notes kept for identify (the newest): a fragment the memory reads well, a bounded request. */
const MAX_NOTES = 24;
/** Silence after which the next note starts a new phrase, s. */
const NEW_PHRASE = 6;
/** Wait after the last key change before asking the memory, ms: a run of notes asks once. */
const DEBOUNCE_MS = 150;
/** Onsets this close (s) form a chord: sent lowest first, as the memory reads chords. */
const CHORD = 0.03;
/** Notes of the matched track the arms play on (the other tracks join in). */
const CONTINUE_NOTES = 16;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}) => Object.assign(document.createElement(tag), props);

/**
 * Play along: the player plays on the on-screen keyboard (mouse, touch, computer keys) or a MIDI
 * keyboard; as the notes arrive the memory's best candidates are shown live with their evidence (the
 * agent's identify over HTTP, the notes so far with their timing in seconds; debounced, and an answer
 * older than one already shown is dropped); Continue has the simulated arms play on from where the
 * player stopped, at the player's tempo, every track (POST /api/perform with the notes).
 */
export class PlayAlong {
  readonly state: PlayAlongState = { notes: [], candidates: [], asked: 0, shown: 0, dropped: 0, shownFor: 0, midi: { status: 'off', message: '', inputs: [] }, continuing: false, continued: null, error: null };
  readonly keyboard: OnScreenKeyboard;
  readonly #heard: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #midiLine: HTMLElement;
  readonly #status: HTMLElement;
  readonly #continue: HTMLButtonElement;
  readonly #sound: (pitch: number) => void;
  readonly #load: (p: PerformanceJson) => void;
  /** Phrase start (performance.now() ms) and the notes still held, by pitch. */
  #t0 = 0;
  #lastChange = -Infinity;
  readonly #open = new Map<number, HeardNote>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #newestShown = 0;
  #continueAsk = 0;

  constructor(host: HTMLElement, hooks: { sound: (pitch: number) => void; load: (p: PerformanceJson) => void }) {
    this.#sound = hooks.sound;
    this.#load = hooks.load;
    const keys = el('div', { id: 'along-keys' });
    const midiButton = el('button', { id: 'along-midi', textContent: 'Use a MIDI keyboard' });
    this.#midiLine = el('p', { id: 'along-midi-status', className: 'dim' });
    this.#midiLine.setAttribute('role', 'status');
    this.#heard = el('p', { id: 'along-heard', className: 'dim', textContent: 'nothing played yet' });
    this.#list = el('ol', { id: 'along-candidates' });
    this.#list.setAttribute('aria-label', 'what the memory hears: its best candidates');
    this.#list.setAttribute('aria-live', 'polite');
    this.#continue = el('button', { id: 'along-continue', textContent: 'Continue', disabled: true, title: 'the arms play on from where you stopped, at your tempo, both hands' });
    const clear = el('button', { id: 'along-clear', textContent: 'Clear' });
    this.#status = el('p', { id: 'along-status' });
    this.#status.setAttribute('role', 'status');
    const hint = el('p', {
      className: 'dim',
      textContent: 'Play a few notes of a piece: click or touch the keys, or focus them and type A W S E D F T G Y H U J K (Z, X: octave). The memory names what it hears; Continue has the arms play on at your tempo.',
    });
    const row = el('div', { className: 'row' });
    row.append(this.#continue, clear, midiButton);
    host.replaceChildren(el('h2', { textContent: 'Play along' }), hint, keys, this.#heard, this.#list, row, this.#midiLine, this.#status);
    this.keyboard = new OnScreenKeyboard(keys);
    this.keyboard.events.on('note', (n) => this.#note(n));
    midiButton.addEventListener('click', () => {
      midiButton.disabled = true;
      void listenToMidi(
        (pitch, on) => this.keyboard.press(pitch, on, 'midi'),
        (s) => {
          this.state.midi = s;
          this.#midiLine.textContent = s.message;
          this.#midiLine.className = s.status === 'refused' || s.status === 'unsupported' ? 'warn' : 'dim';
          midiButton.disabled = s.status === 'listening' || s.status === 'asking' || s.status === 'no-inputs';
        },
      );
    });
    clear.addEventListener('click', () => this.clear());
    this.#continue.addEventListener('click', () => void this.playOn());
  }

  /** Forgets the phrase played so far. */
  clear(): void {
    this.state.notes = [];
    this.#open.clear();
    this.state.candidates = [];
    this.state.shownFor = 0;
    this.#newestShown = this.state.asked; // an answer still on its way is for the old phrase
    this.#render();
  }

  #note(n: KeyNote): void {
    const t = (n.time - this.#t0) / 1000;
    if (n.on) {
      this.#sound(n.pitch);
      if (this.state.notes.length === 0 || (n.time - this.#lastChange) / 1000 > NEW_PHRASE) {
        this.clear();
        this.#t0 = n.time;
      }
      const note: HeardNote = { pitch: n.pitch, onset: (n.time - this.#t0) / 1000, duration: null };
      this.#close(n.pitch, note.onset); // a key struck again before its release (MIDI can)
      this.#open.set(n.pitch, note);
      this.state.notes.push(note);
      if (this.state.notes.length > MAX_NOTES) this.state.notes.splice(0, this.state.notes.length - MAX_NOTES);
    } else this.#close(n.pitch, t);
    this.#lastChange = n.time;
    this.#render();
    this.#schedule();
  }

  #close(pitch: number, t: number): void {
    const open = this.#open.get(pitch);
    if (!open) return;
    open.duration = Math.max(0, t - open.onset);
    this.#open.delete(pitch);
  }

  /** The notes so far as a fragment: chords lowest first, durations in seconds (a held note: so far). */
  fragment(): { notes: Array<{ symbol: number; duration: number }>; unit: 'seconds' } {
    const now = (performance.now() - this.#t0) / 1000;
    const notes = [...this.state.notes].sort((a, b) => (Math.abs(a.onset - b.onset) < CHORD ? a.pitch - b.pitch : a.onset - b.onset));
    return { notes: notes.map((n) => ({ symbol: n.pitch, duration: Math.max(0.01, n.duration ?? now - n.onset) })), unit: 'seconds' };
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#identify(), DEBOUNCE_MS);
  }

  async #identify(): Promise<void> {
    this.#timer = null;
    if (this.state.notes.length === 0) return;
    const ask = ++this.state.asked;
    const fragment = this.fragment();
    try {
      const res = await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'identify', ...fragment, limit: 5 }) });
      const answer = (await res.json()) as { ok: boolean; result?: Candidate[]; error?: string };
      if (ask <= this.#newestShown) return void this.state.dropped++; // a newer answer is already shown
      this.#newestShown = ask;
      if (!answer.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
      this.state.candidates = answer.result ?? [];
      this.state.shownFor = fragment.notes.length;
      this.state.shown++;
      this.state.error = null;
    } catch (err) {
      if (ask < this.#newestShown) return;
      this.state.error = err instanceof TypeError ? 'the agent did not answer' : (err as Error).message;
    }
    this.#render();
  }

  /** Continue: the arms play on from where the player stopped, at the player's tempo, every track. */
  async playOn(): Promise<void> {
    if (this.state.notes.length === 0) return;
    const ask = ++this.#continueAsk;
    this.state.continuing = true;
    this.state.error = null;
    this.#render();
    try {
      const res = await fetch('/api/perform', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...this.fragment(), count: CONTINUE_NOTES }) });
      const body = (await res.json()) as PerformanceJson & { error?: string };
      if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
      if (ask !== this.#continueAsk) return;
      const c = body.continuation!;
      this.state.continued = { title: c.title, tempo: c.tempo, tempoSource: c.tempoSource, tracks: c.tracks.map((t) => t.name ?? `track ${t.track + 1}`) };
      this.#load(body);
    } catch (err) {
      if (ask !== this.#continueAsk) return;
      this.state.error = err instanceof TypeError ? 'the agent did not answer' : (err as Error).message;
    } finally {
      if (ask === this.#continueAsk) this.state.continuing = false;
      this.#render();
    }
  }

  #render(): void {
    const s = this.state;
    const names = s.notes.map((n) => pitchName(n.pitch));
    this.#heard.textContent = names.length ? `heard ${names.length} note${names.length === 1 ? '' : 's'}: ${names.slice(-12).join(' ')}${names.length > 12 ? ' …' : ''}` : 'nothing played yet';
    const items = s.candidates.map((c, i) => {
      const li = el('li', { className: i === 0 ? 'best' : '' });
      const bar = el('span', { className: 'bar' });
      bar.style.width = `${Math.round(Math.max(0, Math.min(1, c.score)) * 100)}%`;
      const evidence = [
        `score ${c.score.toFixed(2)} on ${s.shownFor} notes`,
        c.durationsMatched ? 'rhythm fits' : 'rhythm does not fit',
        `${c.occurrences} place${c.occurrences === 1 ? '' : 's'}`,
        `track ${c.track + 1}`,
        ...(c.transposition ? [`played ${Math.abs(c.transposition)} semitone${Math.abs(c.transposition) === 1 ? '' : 's'} ${c.transposition > 0 ? 'up' : 'down'}`] : []),
      ].join(' · ');
      li.append(el('span', { className: 'title', textContent: c.title }), bar, el('span', { className: 'evidence dim', textContent: evidence }));
      return li;
    });
    this.#list.replaceChildren(...items);
    this.#continue.disabled = s.continuing || s.notes.length === 0 || s.candidates.length === 0;
    const c = s.continued;
    this.#status.textContent = s.error
      ? `error: ${s.error}`
      : s.continuing
        ? 'the memory continues from where you stopped; the arms are being simulated…'
        : c
          ? `${c.title}: the arms play on at ${c.tempo.toFixed(2)}× the piece's tempo (${c.tempoSource === 'player' ? 'yours' : c.tempoSource}), ${c.tracks.join(' + ')}`
          : '';
    this.#status.className = s.error ? 'warn' : '';
  }
}
