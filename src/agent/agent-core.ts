import type { SequenceMemory } from '../memory/sequence-memory.js';
import { runCommand, type AgentCommand, type AgentEvent, type CommandContext } from './commands.js';
import type { RobotFleet } from './robot-fleet.js';

export type EventListener = (event: AgentEvent) => void;

/**
 * The agent's one state, shared by every channel (web, MQTT, ROS): the memory, how to persist it, the
 * robots, and the event stream. A command from any channel runs here; its events reach all channels.
 */
export class AgentCore {
  readonly memory: SequenceMemory;
  readonly startedAt = Date.now();
  robots: RobotFleet | undefined;
  readonly #save: (() => void) | undefined;
  readonly #listeners = new Set<EventListener>();

  constructor(options: { memory: SequenceMemory; save?: () => void; robots?: RobotFleet }) {
    this.memory = options.memory;
    this.#save = options.save;
    this.robots = options.robots;
  }

  /** Adds an event listener; returns its remover. */
  onEvent(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: AgentEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // one channel's failure must not silence the others
      }
    }
  }

  get context(): CommandContext {
    return { memory: this.memory, save: this.#save, emit: (e) => this.emit(e), startedAt: this.startedAt, robots: this.robots };
  }

  /** Runs a validated command from `channel`; failures are reported as error events too. */
  async run(msg: AgentCommand, channel: string): Promise<unknown> {
    try {
      return await runCommand(this.context, msg);
    } catch (err) {
      this.emit({ type: 'error', time: Date.now(), channel, command: msg.command, error: (err as Error).message });
      throw err;
    }
  }
}
