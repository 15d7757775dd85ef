import { parseMidi } from '../music/midi-reader.js';
import type { SequenceMemory } from '../memory/sequence-memory.js';
import type { Fragment } from '../memory/types.js';
import { notesPerTitle } from './library.js';

/** An event the agent reports on every channel (MQTT, ROS, web). */
export interface AgentEvent {
  type: 'learned' | 'performed' | 'error';
  time: number;
  [key: string]: unknown;
}

export interface CommandContext {
  memory: SequenceMemory;
  /** Persists the memory after it changed. */
  save?: () => void;
  emit?: (event: AgentEvent) => void;
  startedAt?: number;
}

/** A command, already validated by its channel (field types are the schema's). */
export type AgentCommand = { command: string } & Record<string, unknown>;

/**
 * The agent's commands, the same whichever channel they come from: status, list, recall, identify,
 * complete, learn (MIDI bytes), perform (the simulated arms). Returns the result or throws an error
 * whose message names the input.
 */
export async function runCommand(ctx: CommandContext, msg: AgentCommand): Promise<unknown> {
  const m = ctx.memory;
  switch (msg.command) {
    case 'status': {
      const s = m.stats();
      return { titles: s.titles, notes: s.notes, neurons: s.neurons, synapses: s.synapses, uptimeSeconds: ctx.startedAt ? (Date.now() - ctx.startedAt) / 1000 : undefined };
    }
    case 'list': {
      const counts = notesPerTitle(m);
      return m.titles().map((e) => ({ title: e.title, tracks: e.tracks, notes: counts.get(e.title) ?? 0 }));
    }
    case 'recall':
      return m.recall(msg.title as string, { tempo: msg.tempo as number | undefined, tracks: msg.tracks as number[] | undefined });
    case 'identify':
      return m.identify(fragmentOf(msg), { limit: msg.limit as number | undefined });
    case 'complete':
      return m.complete(fragmentOf(msg), { count: msg.count as number | undefined, tempo: msg.tempo as number | undefined });
    case 'learn': {
      const title = msg.title as string;
      const piece = parseMidi(Buffer.from(msg.midi as string, 'base64'), `MIDI for '${title}'`, title);
      const stats = m.learn(title, piece.sequence);
      ctx.save?.();
      ctx.emit?.({ type: 'learned', time: Date.now(), title, notes: stats.notes });
      return stats;
    }
    case 'perform': {
      const { perform } = await import('../../sim/perform.js');
      const p = perform(m, msg.title as string, { tempo: msg.tempo as number | undefined, seconds: msg.seconds as number | undefined });
      const summary = { title: p.title, tempo: p.tempo, report: { ...p.report, missed: p.report.missed.length, extra: p.report.extra.length }, played: p.played, issues: p.arms.flatMap((a) => a.issues) };
      ctx.emit?.({ type: 'performed', time: Date.now(), title: p.title, f1: p.report.f1, notes: p.played.length });
      return summary;
    }
    default:
      throw new Error(`command: unknown command '${msg.command}'`);
  }
}

function fragmentOf(msg: AgentCommand): Fragment {
  return { notes: msg.notes as Fragment['notes'], unit: msg.unit as Fragment['unit'] };
}
