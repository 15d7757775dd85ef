/**
 * A small piano-like voice through Web Audio, one per key press. The voices still ringing are kept, so
 * a pause silences them at once (a paused player holds its sound as it holds its arms).
 */
export class Tones {
  #audio: AudioContext | null = null;
  readonly #ringing = new Set<{ gain: GainNode; end: number }>();
  /** Voices started so far. */
  started = 0;

  /** Audio needs a user gesture first: call from one (a click, a key). */
  unlock(): void {
    this.#audio ??= new AudioContext();
    if (this.#audio.state === 'suspended') void this.#audio.resume();
  }

  play(pitch: number): void {
    this.started++;
    const audio = this.#audio;
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
    const voice = { gain, end: t + 1.25 };
    this.#ringing.add(voice);
    for (const v of this.#ringing) if (v.end < t) this.#ringing.delete(v);
  }

  /** Voices still sounding. */
  get ringing(): number {
    const t = this.#audio?.currentTime ?? Infinity;
    let n = 0;
    for (const v of this.#ringing) if (v.end > t) n++;
    return n;
  }

  /** Silences every voice (a 20 ms fade: no click). */
  hush(): void {
    const audio = this.#audio;
    if (!audio) return this.#ringing.clear();
    const t = audio.currentTime;
    for (const v of this.#ringing) {
      v.gain.gain.cancelScheduledValues(t);
      v.gain.gain.setValueAtTime(Math.max(0.0001, v.gain.gain.value), t);
      v.gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.02);
      v.end = Math.min(v.end, t + 0.02);
    }
    this.#ringing.clear();
  }
}
