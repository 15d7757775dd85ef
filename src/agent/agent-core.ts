import { Emitter } from '../../robots/events.js';
import { runCommand, type AgentCommand, type AgentEvent, type AgentEvents, type ArmSimulator, type CommandContext, type CommandHandler } from './commands.js';
import { clip } from './command-schemas.js';
import type { MemoryService } from './memory-service.js';
import type { RobotFleet } from './robot-fleet.js';

/**
 * The agent's one state, shared by every channel (web, MQTT, ROS): the memory service, the robots, the
 * simulated arms, and the event stream. A command from any channel runs here (handle); its events reach
 * every listener of `events` ('event').
 */
export class AgentCore {
  readonly memory: MemoryService;
  readonly startedAt = Date.now();
  robots: RobotFleet | undefined;
  simulator: ArmSimulator | undefined;
  /** Every agent event (learned, performing, note, keyframe, error, ...), for any number of channels. */
  readonly events = new Emitter<AgentEvents>();
  /** Runs a validated command from a channel: what the channels are given instead of the core. */
  readonly handle: CommandHandler = (command, channel) => this.run(command, channel);
  readonly #offMemory: () => void;

  constructor(options: { memory: MemoryService; robots?: RobotFleet; simulator?: ArmSimulator }) {
    this.memory = options.memory;
    this.robots = options.robots;
    this.simulator = options.simulator;
    // a memory worker crash fails what was pending and restarts it: every channel hears of it
    this.#offMemory = this.memory.events.on('error', (err) => this.emit({ type: 'error', time: Date.now(), channel: 'memory', error: clip(String(err.message)) }));
  }

  emit(event: AgentEvent): void {
    this.events.emit('event', event);
  }

  get context(): CommandContext {
    return { memory: this.memory, robots: this.robots, simulator: this.simulator, emit: (e) => this.emit(e), startedAt: this.startedAt };
  }

  /** Runs a validated command from `channel`; failures are reported as error events too. */
  async run(msg: AgentCommand, channel: string): Promise<unknown> {
    try {
      return await runCommand(this.context, msg);
    } catch (err) {
      // an answer or event never carries a long input back (every listener of every channel gets it)
      const e = err as Error;
      e.message = clip(String(e.message));
      this.emit({ type: 'error', time: Date.now(), channel, command: msg.command, error: e.message });
      throw err;
    }
  }

  /** Stops listening to the memory's events (the memory itself is closed by whoever made it). */
  dispose(): void {
    this.#offMemory();
    this.events.removeAll();
  }
}
