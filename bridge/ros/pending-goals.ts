/** A goal sent to a ROS action server and not answered yet: how to stop listening for its answer. */
export interface AwaitedGoal {
  /** Drops the goal's listeners (its answer is no longer awaited). */
  forget(): void;
}

/**
 * The goals an action client awaits answers for, by goal id, at most `limit` of them: past it the
 * oldest is forgotten (a server that never answers cannot make the client grow without bound).
 */
export class PendingGoals<G extends AwaitedGoal> {
  readonly #goals = new Map<string, G>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  track(id: string, goal: G): void {
    this.#goals.set(id, goal);
    if (this.#goals.size > this.#limit) {
      const [oldest, g] = this.#goals.entries().next().value!;
      this.#goals.delete(oldest);
      g.forget();
    }
  }

  /** The goal `id`, no longer awaited (its answer came), or undefined if it is not pending. */
  take(id: string): G | undefined {
    const g = this.#goals.get(id);
    if (!g) return undefined;
    this.#goals.delete(id);
    g.forget();
    return g;
  }

  values(): IterableIterator<G> {
    return this.#goals.values();
  }

  /** Forgets every goal (their answers went with the link). */
  clear(): void {
    for (const g of this.#goals.values()) g.forget();
    this.#goals.clear();
  }
}
