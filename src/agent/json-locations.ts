/**
 * Where things are in JSON text: the start of the values at given paths, or the first syntax error, as
 * character offsets (and line/column). JSON.parse builds the values; this one pass over the text (no values
 * built, an explicit stack, no recursion) tells a file's reader which line a bad value is on.
 */

/** A path into a JSON value: property names and array indexes, from the root. */
export type JsonPath = ReadonlyArray<string | number>;

/** A line and column, both from 1 (columns in UTF-16 code units, as an editor counts most text). */
export interface TextPlace {
  line: number;
  column: number;
}

export type JsonScan = { ok: true; at: Map<string, number> } | { ok: false; at: number; problem: string };

/** Deepest nesting the scan follows (a demonstration needs 4). */
export const MAX_SCAN_DEPTH = 512;

const SEP = '\u0001';
/** The key of a path in the scan's result map. */
export const pathKey = (path: JsonPath): string => path.map((s) => SEP + String(s)).join('');

interface Frame {
  object: boolean;
  index: number;
  /** This container's path key, or null when no wanted path goes through it. */
  path: string | null;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Scans JSON text: the offset where each wanted path's value starts, and each container on its way
 * (paths not present are absent from the map; a property named twice: its last value, as JSON.parse
 * keeps), or the offset and kind of the first syntax error. A byte-order mark at the start is skipped.
 */
export function scanJson(text: string, wanted: readonly JsonPath[] = []): JsonScan {
  const through = new Set<string>();
  for (const p of wanted) for (let k = 0; k <= p.length; k++) through.add(pathKey(p.slice(0, k)));
  const at = new Map<string, number>();
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: Frame[] = [];
  const fail = (problem: string): JsonScan => ({ ok: false, at: Math.min(i, n), problem });
  const ws = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    }
  };
  const child = (parent: string | null, segment: string | number): string | null => (parent !== null && through.has(parent) ? parent + SEP + String(segment) : null);
  /** Skips a string starting at i; returns its text when `keep` (a property name), or a problem. */
  const string = (keep: boolean): { text: string } | { problem: string } => {
    const start = i++;
    let escaped = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        if (!keep) return { text: '' };
        const raw = text.slice(start, i);
        return { text: escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1) };
      }
      if (c < 0x20) return { problem: 'a control character inside a string' };
      if (c === 92) {
        escaped = true;
        const e = text.charCodeAt(++i);
        if (e === 117) {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return { problem: 'a bad \\u escape in a string' };
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) return { problem: 'a bad escape in a string' };
      }
    }
    return { problem: 'a string that never ends' };
  };

  let path: string | null = ''; // the path of the value expected next
  let state: 'value' | 'after' | 'key' = 'value';
  for (;;) {
    ws();
    if (state === 'value') {
      if (i >= n) return fail('the text ends where a value should be');
      if (path !== null && through.has(path)) at.set(path, i); // wanted values and the containers on their way
      const c = text.charCodeAt(i);
      if (c === 123 || c === 91) {
        if (stack.length >= MAX_SCAN_DEPTH) return fail(`nested deeper than ${MAX_SCAN_DEPTH} levels`);
        const object = c === 123;
        stack.push({ object, index: 0, path });
        i++;
        ws();
        if (text.charCodeAt(i) === (object ? 125 : 93)) {
          i++;
          stack.pop();
          state = 'after';
        } else if (object) state = 'key';
        else path = child(path, 0);
        continue;
      }
      if (c === 34) {
        const s = string(false);
        if ('problem' in s) return fail(s.problem);
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) return fail('a malformed number');
        i = NUMBER.lastIndex;
      } else if (text.startsWith('true', i)) i += 4;
      else if (text.startsWith('false', i)) i += 5;
      else if (text.startsWith('null', i)) i += 4;
      else return fail('an unexpected character where a value should be');
      state = 'after';
    } else if (state === 'key') {
      if (text.charCodeAt(i) !== 34) return fail('a property name in double quotes was expected');
      const s = string(true);
      if ('problem' in s) return fail(s.problem);
      ws();
      if (text.charCodeAt(i) !== 58) return fail("':' was expected after the property name");
      i++;
      path = child(stack[stack.length - 1]!.path, s.text);
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (!top) return i < n ? fail('more text after the end of the JSON value') : { ok: true, at };
      const c = text.charCodeAt(i);
      if (c === 44) {
        i++;
        top.index++;
        if (top.object) state = 'key';
        else {
          path = child(top.path, top.index);
          state = 'value';
        }
      } else if (c === (top.object ? 125 : 93)) {
        i++;
        stack.pop();
      } else return fail(top.object ? "',' or '}' was expected" : "',' or ']' was expected");
    }
  }
}

/** Lines and columns of character offsets in `text` (one pass, however many offsets). */
export function textPlaces(text: string, offsets: readonly number[]): TextPlace[] {
  const order = offsets.map((_o, k) => k).sort((a, b) => offsets[a]! - offsets[b]!);
  const out: TextPlace[] = new Array<TextPlace>(offsets.length);
  let line = 1;
  let lineStart = 0;
  let pos = 0;
  for (const k of order) {
    const target = Math.min(offsets[k]!, text.length);
    for (; pos < target; pos++) {
      if (text.charCodeAt(pos) === 10) {
        line++;
        lineStart = pos + 1;
      }
    }
    out[k] = { line, column: target - lineStart + 1 };
  }
  return out;
}
