import type { Network } from '../snn/network.js';
import type { Simulator } from '../snn/simulator.js';
import { DURATION, DURATION_GATE, FEEDBACK, GOAL, SEQUENCE, SPATIAL, type TitleEntry } from './model.js';
import type { MemoryParams } from './params.js';
import { durationMisfit, endpointOrder, rankTitles, type Endpoint, type TitleEvidence } from './ranking.js';
import type { Fragment, IdentifyMatch } from './types.js';

export interface Recognition {
  matches: IdentifyMatch[];
  /** Matching places, best first. */
  endpoints: Endpoint[];
}

/** What recognition reads: the consolidated network, its simulator, the title table. */
export interface RecognitionContext {
  net: Network;
  sim: Simulator;
  params: MemoryParams;
  titles: readonly TitleEntry[];
  /** The median tick length (s) of a title's tempo map. */
  typicalSecondsPerTick(titleIndex: number): number;
}

/**
 * Recognition: the fragment's notes arrive one per chain step. The first note drives its whole
 * minicolumn; afterwards a neuron fires only where the heard minicolumn's bias coincides with the
 * (down-scaled) input of a neuron that fired one step before, so only paths that follow the fragment
 * stay alive; the area's inhibition clears the rest after each step. Interval counters relay at once.
 * If every path dies, the current note's column is driven again (the match restarts there). The
 * surviving paths' neurons are then read out through their duration gates (each duration neuron's
 * minicolumn is its class) and the last neurons send their spikes through the feedback links; each
 * goal neuron integrates the matching places of its title (its spikes and what it still holds).
 */
export function recognise(ctx: RecognitionContext, fragment: Fragment): Recognition {
  const { net, sim, params: p } = ctx;
  if (ctx.titles.length === 0) return { matches: [], endpoints: [] };
  sim.reset();
  sim.stdp = null;
  sim.counterMode = 'relay';
  sim.gain.fill(1);
  sim.gain[SEQUENCE] = p.recognitionGain;
  sim.coincidenceOnly[SEQUENCE] = 1;
  sim.gain[DURATION_GATE] = 0;
  sim.gain[FEEDBACK] = 0;
  const rec = sim.recorder;
  rec.groups.fill(0);
  rec.groups[SPATIAL] = rec.groups[DURATION] = 1; // interval relays pass their cause on unrecorded
  const notes = fragment.notes;
  const D = p.delayChord;
  const half = D / 2;
  let T = D;
  let pathStart = 0;
  let lastStepFirst = 0;
  const step = (symbol: number, drive: boolean): number => {
    if (drive) sim.stimulateColumn(SPATIAL, symbol, T, p.wDrive);
    else {
      sim.scheduleBias(T - half, SPATIAL, symbol, p.recognitionBias);
      sim.scheduleBias(T + half, SPATIAL, symbol, 0);
    }
    sim.scheduleInhibition(T + half, SPATIAL);
    const before = rec.perGroup[SPATIAL]!;
    lastStepFirst = rec.count;
    sim.run(T + half - 1);
    return rec.perGroup[SPATIAL]! - before;
  };
  for (let k = 0; k < notes.length; k++) {
    const symbol = notes[k]!.symbol;
    let fired = step(symbol, k === pathStart);
    if (fired === 0 && k > pathStart) {
      pathStart = k; // every path died: start again from this note
      T += D;
      fired = step(symbol, true);
    }
    if (fired === 0) pathStart = k + 1; // a symbol never learned: nothing can match from here
    T += D;
  }
  if (pathStart >= notes.length) return { matches: [], endpoints: [] };
  const tLast = T - D;
  const stepEnd = rec.count;
  const wantLen = notes.length - pathStart;
  const fragDur = notes.slice(pathStart).map((n) => n.duration);
  const useDur = fragDur[0] !== undefined;

  // each last-step spike, followed back through its causes, is one matching place
  const paths: number[][] = [];
  for (let i = lastStepFirst; i < stepEnd; i++) {
    const n = rec.neuron[i]!;
    if (rec.time[i] !== tLast || net.neuronGroup[n] !== SPATIAL) continue;
    const path: number[] = [];
    for (let j = i; j >= 0; j = rec.parent[j]!) if (net.neuronGroup[rec.neuron[j]!] === SPATIAL) path.push(rec.neuron[j]!);
    if (path.length === wantLen) paths.push(path.reverse());
  }
  // durations: the path neurons' duration gates open, the duration neurons relay their class
  const durClass = new Map<number, number>();
  if (useDur && paths.length > 0) {
    sim.gain[DURATION_GATE] = 1;
    const tDur = tLast + D;
    const seen = new Set<number>();
    for (const path of paths) for (const n of path) if (!seen.has(n)) (seen.add(n), sim.emitAlong(n, tDur, DURATION_GATE));
    const from = rec.count;
    sim.run(tDur + D - 1);
    for (let i = from; i < rec.count; i++) {
      const n = rec.neuron[i]!;
      if (net.neuronGroup[n] === DURATION) durClass.set(rec.source[i]!, net.neuronColumn[n]!);
    }
  }
  const inSeconds = useDur && fragment.unit === 'seconds';
  const fragSum = useDur ? (fragDur as number[]).reduce((a, b) => a + b, 0) : 0;
  const endpoints: Endpoint[] = [];
  for (const path of paths) {
    const last = path[path.length - 1]!;
    const fb = net.outOfKind(last, FEEDBACK);
    if (fb < 0) continue;
    const goal = net.synPost[fb]!;
    const classes = path.map((n) => durClass.get(n) ?? -1);
    const misfit = useDur ? durationMisfit(fragDur as number[], classes) : Infinity;
    let tempoDistance = 0;
    if (inSeconds) {
      // the tempo factor this place implies, against the title's typical tick length
      const ticks = classes.reduce((a, c) => a + Math.max(0, c), 0);
      const factor = (ticks * ctx.typicalSecondsPerTick(net.neuronColumn[goal]!)) / fragSum;
      tempoDistance = ticks > 0 && fragSum > 0 ? Math.abs(Math.log(factor)) : 0;
    }
    endpoints.push({ neuron: last, goal, misfit, tempoDistance });
  }
  const tol = p.durationTolerance;
  endpoints.sort(endpointOrder(tol));

  // evidence reaches the goal cluster through the feedback links
  sim.gain[FEEDBACK] = 1;
  rec.groups[GOAL] = 1;
  const tRead = tLast + 3 * D;
  for (const e of endpoints) sim.emitAlong(e.neuron, tRead, FEEDBACK);
  const goalFrom = rec.count;
  sim.run();
  const tGoal = tRead + p.delayFeedback;
  // a goal neuron fires each time its evidence reaches threshold and starts again from its reset:
  // its spikes times threshold plus what it still holds is all it received
  const goalSpikes = new Map<number, number>();
  for (let i = goalFrom; i < rec.count; i++) if (net.neuronGroup[rec.neuron[i]!] === GOAL) goalSpikes.set(rec.neuron[i]!, (goalSpikes.get(rec.neuron[i]!) ?? 0) + 1);
  const theta = p.goal.theta;
  // endpoints are in order, so each title's first one is its best place
  const byTitle = new Map<number, TitleEvidence>();
  const counted = new Set<number>();
  for (const e of endpoints) {
    const ti = net.neuronColumn[e.goal]!;
    let cur = byTitle.get(ti);
    if (!cur) {
      const t = ctx.titles[ti]!;
      byTitle.set(ti, (cur = { title: t.title, occurrences: 0, track: e.goal - t.goalFirst, misfit: e.misfit, tempoDistance: e.tempoDistance }));
    }
    if (counted.has(e.goal)) continue;
    counted.add(e.goal);
    cur.occurrences += Math.round(((goalSpikes.get(e.goal) ?? 0) * (theta - p.goal.vReset) + sim.potential(e.goal, tGoal)) / p.wFeedback);
  }
  return { matches: rankTitles([...byTitle.values()], wantLen / notes.length, useDur, tol), endpoints };
}
