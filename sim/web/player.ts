import { Emitter } from '../../robots/events.js';

/** Why the playhead is where it is: it played on to there, or it jumped (seek, restart, a loop). */
export type Move = 'play' | 'jump';

/**
 * The transport of a recorded performance: where the playhead is, whether it runs, at what playback
 * speed and whether it loops. It only keeps time (driven by the page's animation frames through
 * advance()); whoever draws listens to 'time' and shows the recording at that time. Nothing is
 * recalled or simulated again.
 */
export class Player {
  /** 'time' whenever the playhead moves (how: played on, or jumped); 'state' when play, pause, loop or speed change. */
  readonly events = new Emitter<{ time: { time: number; from: number; move: Move }; state: void }>();
  duration = 0;
  time = 0;
  playing = false;
  loop = false;
  /** Playback speed: recorded seconds per wall-clock second. */
  speed = 1;
  /** Times the loop went round. */
  loops = 0;
  /** Why it last stopped by itself or was stopped: null while playing or before anything. */
  stoppedBy: 'end' | 'pause' | 'stop' | null = null;

  /** A new recording of `duration` s, at its start, paused. */
  load(duration: number): void {
    this.duration = Math.max(0, duration);
    this.playing = false;
    this.loops = 0;
    this.stoppedBy = null;
    this.#jump(0);
    this.events.emit('state', undefined);
  }

  play(): void {
    if (this.duration <= 0) return;
    if (this.time >= this.duration) this.#jump(0); // at the end: play again from the start
    this.playing = true;
    this.stoppedBy = null;
    this.events.emit('state', undefined);
  }

  /** Holds the playhead where it is; `why` is 'stop' when the Stop button did it. */
  pause(why: 'pause' | 'stop' = 'pause'): void {
    if (!this.playing) return;
    this.playing = false;
    this.stoppedBy = why;
    this.events.emit('state', undefined);
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  restart(): void {
    this.#jump(0);
  }

  seek(time: number): void {
    this.#jump(Math.min(this.duration, Math.max(0, time)));
  }

  setLoop(on: boolean): void {
    this.loop = on;
    this.events.emit('state', undefined);
  }

  setSpeed(speed: number): void {
    if (!(speed > 0)) return;
    this.speed = speed;
    this.events.emit('state', undefined);
  }

  /** Moves the playhead on by `wallSeconds` of real time (an animation frame's worth) when playing. */
  advance(wallSeconds: number): void {
    if (!this.playing || !(wallSeconds > 0)) return;
    const from = this.time;
    let to = from + wallSeconds * this.speed;
    if (to < this.duration) return this.#move(from, to, 'play');
    this.#move(from, this.duration, 'play'); // what is left of this pass plays out
    if (this.loop && this.duration > 0) {
      this.loops++;
      to = (to - this.duration) % this.duration;
      this.#jump(to);
    } else {
      this.playing = false;
      this.stoppedBy = 'end';
      this.events.emit('state', undefined);
    }
  }

  #jump(time: number): void {
    this.#move(this.time, time, 'jump');
  }

  #move(from: number, to: number, move: Move): void {
    this.time = to;
    this.events.emit('time', { time: to, from, move });
  }
}
