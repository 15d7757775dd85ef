import { Emitter } from '../../robots/events.js';

/** What POST /api/command answers. */
export type CommandAnswer = { ok: boolean; result?: unknown; error?: string };

/** Sends a command to the agent (POST /api/command); a dead link answers as an error, never throws. */
export async function command(body: Record<string, unknown>): Promise<CommandAnswer> {
  try {
    const res = await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as CommandAnswer;
  } catch (err) {
    return { ok: false, error: err instanceof TypeError ? 'the agent did not answer (is engram serve running?)' : (err as Error).message };
  }
}

/**
 * Jogs one robot towards the latest target it was given: one jog command at a time (the agent moves the
 * arm through its safety gate and answers once the robot reports the move done), so a slider dragged
 * fast does not queue seconds of moves behind the pointer: targets given meanwhile merge into the newest.
 */
export class JogSender {
  readonly events = new Emitter<{ sent: { positions: number[]; until: number }; refused: { error: string } }>();
  #robot: string | null = null;
  #target: number[] | null = null;
  #busy = false;
  sent = 0;
  refused = 0;
  lastError: string | null = null;
  /** The target the robot is being moved to (the one under way or waiting), if any. */
  target: number[] | null = null;

  /** The robot the jogs go to (a new one drops the target of the old). */
  set robot(id: string | null) {
    if (id === this.#robot) return;
    this.#robot = id;
    this.#target = null;
  }

  get robot(): string | null {
    return this.#robot;
  }

  /** Whether a move is under way or waiting to be sent. */
  get active(): boolean {
    return this.#busy || this.#target !== null;
  }

  to(positions: number[]): void {
    this.#target = [...positions];
    this.target = [...positions];
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#busy || !this.#target || !this.#robot) return;
    this.#busy = true;
    const robot = this.#robot;
    const positions = this.#target;
    this.#target = null;
    try {
      const r = await command({ command: 'jog', robot, positions });
      if (!r.ok) {
        this.refused++;
        this.lastError = r.error ?? 'refused';
        this.events.emit('refused', { error: this.lastError });
        return;
      }
      this.sent++;
      this.lastError = null;
      this.events.emit('sent', { positions, until: (r.result as { until: number }).until });
    } finally {
      this.#busy = false;
      if (!this.#target) this.target = null;
      void this.#pump();
    }
  }
}
