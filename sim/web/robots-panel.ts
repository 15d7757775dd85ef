import type { RobotStatus } from '../../src/agent/robot-fleet.js';
import type { LiveRobots } from './live-robots.js';
import { eventTime, eventWords } from './event-words.js';

/** What the robots panel exposes for people poking at the page and for the browser test. */
export interface RobotsPanelState {
  robots: RobotStatus[];
  events: Array<{ type: string; [key: string]: unknown }>;
  /** The last answer to a command sent from the panel. */
  last: { ok: boolean; result?: unknown; error?: string } | null;
}

declare global {
  interface Window {
    engramRobots: RobotsPanelState;
  }
}

/**
 * The robots the agent drives: their state (as the live view hears it: no polling), Perform on them,
 * Teach from one, Stop (always enabled: it must always be there to press) and Resume, and the agent's
 * event stream. Every button sends the same command the other channels take, through POST /api/command.
 */
export function robotsPanel(title: () => string | null, tempo: () => number, robots: LiveRobots['events']): void {
  const state: RobotsPanelState = { robots: [], events: [], last: null };
  window.engramRobots = state;
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const list = $<HTMLUListElement>('robots');
  const line = $<HTMLParagraphElement>('robot-status');
  const events = $<HTMLUListElement>('events');

  async function command(body: Record<string, unknown>): Promise<RobotsPanelState['last']> {
    try {
      const res = await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      state.last = (await res.json()) as RobotsPanelState['last'];
    } catch (err) {
      state.last = { ok: false, error: err instanceof TypeError ? 'the agent did not answer (is engram serve running?)' : (err as Error).message };
    }
    return state.last;
  }

  /** Whether the agent's event stream is open: while it is not, robot states are unknown, not idle. */
  let linked: boolean | null = null; // null: not yet connected

  function render(): void {
    if (linked !== true) {
      list.replaceChildren(Object.assign(document.createElement('li'), { className: 'robot-unknown', textContent: linked === null ? 'connecting to the agent…' : 'the agent is gone: robot states unknown' }));
      return;
    }
    list.replaceChildren(
      ...(state.robots.length
        ? state.robots.map((r) => {
            const li = document.createElement('li');
            li.textContent = `${r.id} (${r.transport}) ${!r.connected ? 'disconnected' : r.stopped ? `stopped: ${r.stopReason}` : r.activity}`;
            li.className = !r.connected || r.stopped ? 'robot-down' : 'robot-up';
            return li;
          })
        : [Object.assign(document.createElement('li'), { textContent: 'no robots connected (engram serve --sim-robots 1, --mqtt-robot, --ros-arm)' })]),
    );
  }

  robots.on('robots', (list) => {
    state.robots = list;
    render();
  });

  const say = (r: RobotsPanelState['last'], done: string) => (line.textContent = r?.ok ? done : `error: ${r?.error}`);
  const ids = () => state.robots.filter((r) => r.connected && !r.stopped).map((r) => r.id);

  $<HTMLButtonElement>('perform-robots').addEventListener('click', async () => {
    const t = title();
    if (!t) return void (line.textContent = 'pick a piece or skill in the library first');
    const robots = ids();
    if (robots.length === 0) return void (line.textContent = 'no robot is ready (connected and not stopped)');
    line.textContent = `performing ${t} on ${robots.join(', ')}…`;
    // a skill plays on one robot, a piece on all of them (one per track): the agent says which fits
    let r = await command({ command: 'perform', title: t, tempo: tempo(), robots });
    if (!r?.ok && /a skill is performed by one robot/.test(r?.error ?? '')) r = await command({ command: 'perform', title: t, tempo: tempo(), robots: robots.slice(0, 1) });
    say(r, performedWords(t, r?.result));
  });
  $<HTMLButtonElement>('stop-robots').addEventListener('click', async () => {
    document.dispatchEvent(new CustomEvent('engram:stop')); // the page's playback stops too
    const r = await command({ command: 'stop' });
    say(r, `stopped ${((r?.result as { stopped: string[] })?.stopped ?? []).length} robots`);
  });
  $<HTMLButtonElement>('resume-robots').addEventListener('click', async () => {
    const r = await command({ command: 'resume' });
    const res = r?.result as { resumed?: string[]; refused?: Array<{ robot: string; reason: string }> } | undefined;
    const refused = (res?.refused ?? []).map((x) => `${x.robot} (${x.reason})`);
    say(r, `resumed ${(res?.resumed ?? []).length} robots${refused.length ? `; not ${refused.join(', ')}` : ''}`);
  });
  $<HTMLButtonElement>('teach').addEventListener('click', async () => {
    const skill = $<HTMLInputElement>('skill-name').value.trim();
    const seconds = Number($<HTMLInputElement>('teach-seconds').value);
    const robot = ids()[0];
    if (!skill) return void (line.textContent = 'name the skill to teach');
    if (!robot) return void (line.textContent = 'no robot is ready to record from');
    line.textContent = `recording ${skill} from ${robot} for ${seconds} s: move the arm (by hand, or in the Teach panel: sliders, keys, drag its tool)…`;
    const r = await command({ command: 'teach', skill, robot, seconds });
    say(r, `learned ${skill}: ${(r?.result as { keyframes?: number })?.keyframes} keyframes`);
    document.dispatchEvent(new CustomEvent('engram:library-changed'));
  });

  const source = new EventSource('/api/events');
  const link = (up: boolean) => {
    if (linked === up) return;
    linked = up;
    document.dispatchEvent(new CustomEvent('engram:link', { detail: { up } }));
    render();
  };
  // EventSource reconnects by itself (every few seconds) while the agent is away
  source.onopen = () => link(true);
  source.onerror = () => link(source.readyState === EventSource.OPEN);
  source.onmessage = (m) => {
    link(true);
    const e = JSON.parse(m.data as string) as RobotsPanelState['events'][0];
    state.events.push(e);
    if (state.events.length > 200) state.events.shift();
    document.dispatchEvent(new CustomEvent('engram:agent-event', { detail: e }));
    if (e.type === 'note') return; // key presses show on the keys, not as lines here
    const li = document.createElement('li');
    li.append(Object.assign(document.createElement('time'), { textContent: eventTime(e) }), eventWords(e));
    events.prepend(li);
    while (events.children.length > 10) events.lastElementChild!.remove();
  };
  render();
}

/** What a performance on robots did, in words: stopped or not, F1 and notes for a piece, keyframes for a skill. */
function performedWords(title: string, result: unknown): string {
  const r = (result ?? {}) as {
    stopped?: boolean;
    stopReason?: string | null;
    report?: { f1: number; matched: number; reference: number; missed: number; extra: number };
    notes?: number;
    due?: number;
    reached?: number;
    keyframes?: number;
    warning?: string;
  };
  const head = r.stopped ? `stopped ${title}${r.stopReason ? ` (${r.stopReason})` : ''}` : `performed ${title}`;
  const parts: string[] = [];
  if (r.report) parts.push(`F1 ${r.report.f1.toFixed(2)}, ${r.report.matched} of ${r.report.reference} notes in time, ${r.report.missed} missed, ${r.report.extra} extra`);
  if (typeof r.reached === 'number') parts.push(`${r.reached} of ${r.due ?? r.keyframes ?? '?'} keyframes reached`);
  if (r.warning) parts.push(r.warning);
  return parts.length ? `${head}: ${parts.join('; ')}` : head;
}
