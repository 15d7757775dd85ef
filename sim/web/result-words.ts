import { clock } from './hidpi.js';
import type { PerformanceJson } from './main.js';

/**
 * A whole piece: the agent plays the notes that start in the first `seconds`, at most 600 s a request
 * (POST /api/perform's limit); a longer piece is said to be cut there.
 */
export const WHOLE_PIECE_SECONDS = 600;

const el = (tag: string, text: string, className = '') => Object.assign(document.createElement(tag), { textContent: text, className });

/**
 * A performance's result in words, as it really went: F1 and its parts, how many notes were played of
 * how many were asked for and of how many the piece has (and why fewer were asked for), the notes
 * missed and why (the planner's reasons: too fast, out of reach, wider than the hand; the rest: not
 * played within 50 ms of their time), extra notes, and a stopped performance said to be stopped.
 */
export function describeResult(p: PerformanceJson, o: { length: 'whole' | number; pieceNotes: number | null; stopped: number | null }): HTMLElement[] {
  const r = p.report;
  const out: HTMLElement[] = [];
  if (o.stopped !== null) out.push(el('p', `Stopped at ${clock(o.stopped)} of ${clock(p.recording.frames.length / p.recording.fps)}: the figures below are for the whole recording.`, 'stopped'));
  out.push(el('p', `F1 ${r.f1.toFixed(2)} (precision ${r.precision.toFixed(2)}, recall ${r.recall.toFixed(2)}); onsets off by ${r.onsetMedianMs.toFixed(0)} ms (median), ${r.onsetP95Ms.toFixed(0)} ms (p95)`, 'f1'));
  const asked = o.length === 'whole' ? 'the whole piece' : `the first ${o.length} s`;
  const ofPiece =
    o.pieceNotes !== null && o.pieceNotes !== r.reference
      ? `; the piece has ${o.pieceNotes} notes, ${o.length === 'whole' ? `the first ${WHOLE_PIECE_SECONDS / 60} minutes (the most the agent plays at once)` : asked} hold ${r.reference}`
      : '';
  if (p.continuation) out.push(el('p', `Played ${r.matched} of the ${r.reference} notes the memory continued with, from where the player stopped, in time.`));
  else out.push(el('p', `Played ${r.matched} of the ${r.reference} notes recalled for ${asked} in time${ofPiece}.`));
  const reasons: string[] = [];
  const missed = new Set(r.missed);
  // issue notes are the score's note indices; the report's missed are positions in the score
  const positionOf = new Map(p.score.map((n, i) => [n.index, i]));
  const explained = new Set<number>();
  for (const arm of p.arms) {
    for (const issue of arm.issues) {
      const hit = issue.notes.map((n) => positionOf.get(n)).filter((i): i is number => i !== undefined && missed.has(i));
      for (const i of hit) explained.add(i);
      reasons.push(`${arm.robot}: ${issue.kind.replace(/-/g, ' ')}: ${issue.message}${hit.length ? ` (${hit.length} of them missed)` : ''}`);
    }
  }
  const unexplained = r.missed.length - explained.size;
  if (unexplained > 0) reasons.push(`${unexplained} not played within 50 ms of their time (late, early or not pressed)`);
  if (r.extra.length) reasons.push(`${r.extra.length} played that the score does not have (red in the roll)`);
  if (r.missed.length || reasons.length) {
    out.push(el('p', r.missed.length ? `Missed ${r.missed.length}:` : 'Notes:'));
    const ul = document.createElement('ul');
    for (const line of reasons) ul.appendChild(el('li', line));
    out.push(ul);
  } else out.push(el('p', 'Nothing missed, nothing extra.'));
  return out;
}
