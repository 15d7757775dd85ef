import { Emitter } from '../../robots/events.js';
import { pitchName } from '../../src/music/pitch.js';

/** A key going down or up, from the screen, the computer keyboard or MIDI: when (performance.now() ms). */
export interface KeyNote {
  pitch: number;
  on: boolean;
  time: number;
  source: 'screen' | 'keys' | 'midi';
}

/**
 * The computer keys of the common two-row layout (the one trackers and soft synths use): the home row
 * plays the white keys from C, the row above the black keys between them. Z and X shift the octave.
 */
const LAYOUT: Record<string, number> = {
  KeyA: 0, KeyW: 1, KeyS: 2, KeyE: 3, KeyD: 4, KeyF: 5, KeyT: 6, KeyG: 7, KeyY: 8, KeyH: 9, KeyU: 10, KeyJ: 11,
  KeyK: 12, KeyO: 13, KeyL: 14, KeyP: 15, Semicolon: 16, Quote: 17,
};
const BLACK = new Set([1, 3, 6, 8, 10]);

/**
 * An on-screen piano keyboard, played with the mouse, touch (each finger a key; sliding moves it) or
 * the computer's keys while it has the focus. It reports every key down and up ('note'); MIDI input
 * is shown on it through press(). Keys held by several sources sound once.
 */
export class OnScreenKeyboard {
  readonly events = new Emitter<{ note: KeyNote; octave: number }>();
  readonly element: HTMLElement;
  /** The C the home row's A key plays. */
  base = 60;
  readonly #low: number;
  readonly #high: number;
  readonly #keys = new Map<number, HTMLElement>();
  /** Pointer id -> the key it holds. */
  readonly #pointers = new Map<number, number>();
  /** Computer key code -> the pitch it started (so an octave shift mid-press releases the right key). */
  readonly #held = new Map<string, number>();

  constructor(host: HTMLElement, low = 53, high = 84) {
    this.#low = low;
    this.#high = high;
    this.element = host;
    host.classList.add('keyboard');
    host.tabIndex = 0;
    host.setAttribute('role', 'application');
    host.setAttribute('aria-label', 'on-screen piano keyboard: click, touch, or focus it and type A W S E D F T G Y H U J K (Z and X change the octave)');
    this.#build();
    host.addEventListener('pointerdown', (e) => this.#pointerDown(e));
    host.addEventListener('pointermove', (e) => this.#pointerMove(e));
    for (const type of ['pointerup', 'pointercancel'] as const) host.addEventListener(type, (e) => this.#pointerUp(e));
    host.addEventListener('keydown', (e) => this.#keyDown(e));
    host.addEventListener('keyup', (e) => this.#keyUp(e));
    host.addEventListener('blur', () => {
      for (const [code, pitch] of this.#held) (this.#held.delete(code), this.#emit(pitch, false, 'keys'));
    });
  }

  /** Shows a key down or up that came from elsewhere (MIDI) and reports it like the others. */
  press(pitch: number, on: boolean, source: KeyNote['source']): void {
    this.#emit(pitch, on, source);
  }

  #build(): void {
    const whites = [];
    for (let p = this.#low; p <= this.#high; p++) if (!BLACK.has(p % 12)) whites.push(p);
    const w = 100 / whites.length;
    for (let p = this.#low; p <= this.#high; p++) {
      const key = document.createElement('div');
      const black = BLACK.has(p % 12);
      key.className = black ? 'key black' : 'key white';
      key.dataset.pitch = String(p);
      key.title = pitchName(p);
      const whiteIndex = whites.filter((x) => x < p).length;
      key.style.left = `${black ? whiteIndex * w - w * 0.3 : whiteIndex * w}%`;
      key.style.width = `${black ? w * 0.6 : w}%`;
      this.#keys.set(p, key);
      this.element.appendChild(key);
    }
    this.#label();
  }

  /** Labels the keys the computer keys play (and every C with its name). */
  #label(): void {
    const byPitch = new Map<number, string>();
    for (const [code, off] of Object.entries(LAYOUT)) byPitch.set(this.base + off, code === 'Semicolon' ? ';' : code === 'Quote' ? "'" : code.slice(3));
    for (const [p, key] of this.#keys) {
      const letter = byPitch.get(p);
      key.replaceChildren();
      if (letter) key.appendChild(Object.assign(document.createElement('span'), { className: 'letter', textContent: letter }));
      if (p % 12 === 0) key.appendChild(Object.assign(document.createElement('span'), { className: 'name', textContent: pitchName(p) }));
    }
  }

  #pitchAt(x: number, y: number): number | null {
    const el = document.elementFromPoint(x, y)?.closest<HTMLElement>('.key');
    return el && this.element.contains(el) ? Number(el.dataset.pitch) : null;
  }

  #pointerDown(e: PointerEvent): void {
    e.preventDefault(); // no text selection, no scrolling under a finger
    this.element.focus({ preventScroll: true });
    this.element.setPointerCapture?.(e.pointerId);
    const p = this.#pitchAt(e.clientX, e.clientY);
    if (p === null) return;
    this.#pointers.set(e.pointerId, p);
    this.#emit(p, true, 'screen');
  }

  #pointerMove(e: PointerEvent): void {
    const held = this.#pointers.get(e.pointerId);
    if (held === undefined) return;
    const p = this.#pitchAt(e.clientX, e.clientY);
    if (p === null || p === held) return;
    this.#emit(held, false, 'screen');
    this.#pointers.set(e.pointerId, p);
    this.#emit(p, true, 'screen');
  }

  #pointerUp(e: PointerEvent): void {
    const held = this.#pointers.get(e.pointerId);
    if (held === undefined) return;
    this.#pointers.delete(e.pointerId);
    this.#emit(held, false, 'screen');
  }

  #keyDown(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.code === 'KeyZ' || e.code === 'KeyX') {
      e.preventDefault();
      e.stopPropagation();
      this.base = Math.max(this.#low, Math.min(this.#high - 12, this.base + (e.code === 'KeyZ' ? -12 : 12)));
      this.#label();
      this.events.emit('octave', this.base);
      return;
    }
    const off = LAYOUT[e.code];
    if (off === undefined) return;
    // the page's own keys (L loops, Space plays) are not theirs while the keyboard is played
    e.preventDefault();
    e.stopPropagation();
    if (e.repeat || this.#held.has(e.code)) return;
    const p = this.base + off;
    this.#held.set(e.code, p);
    this.#emit(p, true, 'keys');
  }

  #keyUp(e: KeyboardEvent): void {
    const p = this.#held.get(e.code);
    if (p === undefined) return;
    e.stopPropagation();
    this.#held.delete(e.code);
    this.#emit(p, false, 'keys');
  }

  #emit(pitch: number, on: boolean, source: KeyNote['source']): void {
    this.#keys.get(pitch)?.classList.toggle('down', on);
    this.events.emit('note', { pitch, on, time: performance.now(), source });
  }
}
