/**
 * A seeded mutation fuzzer's mutations (shared by the fuzz benchmark and the fuzz tests): byte-level
 * (bit flips, byte insert/delete, splices within and between seeds, boundary integers written over
 * bytes, truncation) and structural JSON (a node replaced by a boundary value or another type, keys
 * added, renamed or removed, prototype keys, arrays grown, deep nesting). Same seed, same inputs.
 */
import { Rng } from '../../src/snn/rng.js';

/** Integers at the edges of the widths file formats use. */
export const BOUNDARY_INTS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** JSON values that sit at an edge: empty, huge, negative, prototype names, the wrong type. */
const BOUNDARY_VALUES: unknown[] = [
  0, -1, 1, -0, 0.5, 1e-300, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2,
  '', ' ', '0', 'a'.repeat(300), '\u0000', '\ud800', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'toString',
  null, true, false, [], {}, [null], { __proto__: null }, [[[[[]]]]],
];
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'id', 'command', 'title', 'time', 'positions', 'notes', 'x', ''];

export class Mutator {
  readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)]!;
  }

  /** 1..4 byte-level mutations of `seed` (a copy), sometimes spliced with `other`. */
  bytes(seed: Uint8Array, other?: Uint8Array, maxLength = 1 << 20): Buffer {
    let b: Buffer = Buffer.from(seed);
    const n = 1 + this.rng.int(4);
    for (let k = 0; k < n; k++) b = this.#byteOp(b, other);
    return b.length > maxLength ? b.subarray(0, maxLength) : b;
  }

  #byteOp(b: Buffer, other?: Uint8Array): Buffer {
    const r = this.rng;
    const at = () => r.int(Math.max(1, b.length));
    switch (r.int(9)) {
      case 0: {
        // bit flip
        if (b.length === 0) return b;
        const i = at();
        b[i] = b[i]! ^ (1 << r.int(8));
        return b;
      }
      case 1: {
        // random byte
        if (b.length === 0) return b;
        b[at()] = r.int(256);
        return b;
      }
      case 2: {
        // insert random bytes
        const i = at();
        const ins = Buffer.from(Array.from({ length: 1 + r.int(16) }, () => r.int(256)));
        return Buffer.concat([b.subarray(0, i), ins, b.subarray(i)]);
      }
      case 3: {
        // delete a range
        const i = at();
        return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + r.int(32)))]);
      }
      case 4: {
        // duplicate a range in place (repeated structures)
        const i = at();
        const j = Math.min(b.length, i + 1 + r.int(64));
        const times = 1 + r.int(4);
        return Buffer.concat([b.subarray(0, j), ...Array.from({ length: times }, () => b.subarray(i, j)), b.subarray(j)]);
      }
      case 5: {
        // splice: a head of this input, a tail of another
        const src = other && other.length > 0 ? Buffer.from(other) : b;
        return Buffer.concat([b.subarray(0, at()), src.subarray(r.int(Math.max(1, src.length)))]);
      }
      case 6: {
        // a boundary integer over 1, 2 or 4 bytes, either byte order
        if (b.length === 0) return b;
        const v = this.pick(BOUNDARY_INTS);
        const w = this.pick([1, 2, 4]);
        const i = Math.min(at(), Math.max(0, b.length - w));
        for (let k = 0; k < w && i + k < b.length; k++) {
          const shift = r.int(2) === 0 ? (w - 1 - k) * 8 : k * 8;
          b[i + k] = Math.floor(v / 2 ** shift) & 0xff;
        }
        return b;
      }
      case 7:
        // truncate
        return b.subarray(0, at());
      default: {
        // an interesting byte (MIDI status, varint continuation, JSON punctuation)
        if (b.length === 0) return b;
        b[at()] = this.pick([0x00, 0x7f, 0x80, 0x90, 0xf0, 0xf7, 0xff, 0x22, 0x2c, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d, 0x5c]);
        return b;
      }
    }
  }

  /** A structurally mutated deep copy of a JSON value (1..3 mutations). */
  json(value: unknown): unknown {
    let v = clone(value);
    const n = 1 + this.rng.int(3);
    for (let k = 0; k < n; k++) v = this.#jsonOp(v);
    return v;
  }

  /** The text of a mutated JSON value; one time in four also mutated as bytes (broken syntax). */
  jsonText(value: unknown, maxLength = 1 << 20): Buffer {
    const text = Buffer.from(safeStringify(this.json(value)));
    return this.rng.int(4) === 0 ? this.bytes(text, undefined, maxLength) : text.subarray(0, maxLength);
  }

  #jsonOp(root: unknown): unknown {
    const r = this.rng;
    const nodes: Array<{ parent: Record<string, unknown> | unknown[] | null; key: string | number; value: unknown }> = [];
    const walk = (parent: Record<string, unknown> | unknown[] | null, key: string | number, v: unknown, depth: number) => {
      nodes.push({ parent, key, value: v });
      if (depth > 8 || nodes.length > 2000 || !v || typeof v !== 'object') return;
      if (Array.isArray(v)) v.forEach((x, i) => walk(v, i, x, depth + 1));
      else for (const k of Object.keys(v)) walk(v as Record<string, unknown>, k, (v as Record<string, unknown>)[k], depth + 1);
    };
    walk(null, '', root, 0);
    const node = this.pick(nodes);
    const set = (x: unknown): unknown => {
      if (node.parent === null) return x;
      if (Array.isArray(node.parent)) node.parent[node.key as number] = x;
      else Object.defineProperty(node.parent, node.key as string, { value: x, enumerable: true, writable: true, configurable: true });
      return root;
    };
    const v = node.value;
    switch (r.int(8)) {
      case 0:
        return set(clone(this.pick(BOUNDARY_VALUES)));
      case 1:
        // the same kind of value, nudged: numbers scaled or negated, strings cut or grown
        if (typeof v === 'number') return set(this.pick([v * -1, v * 1e6, v + 1, v - 1, Math.floor(v / 2), v * 2 ** 31]));
        if (typeof v === 'string') return set(this.pick([v.slice(0, r.int(v.length + 1)), v + v, v.repeat(1 + r.int(50)), v.toUpperCase()]));
        return set(clone(this.pick(BOUNDARY_VALUES)));
      case 2:
        // remove: a key from an object, an element from an array
        if (node.parent === null) return root;
        if (Array.isArray(node.parent)) node.parent.splice(node.key as number, 1);
        else delete node.parent[node.key as string];
        return root;
      case 3:
        // add a key (prototype names included) to an object
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          Object.defineProperty(v, this.pick(KEYS), { value: clone(this.pick(BOUNDARY_VALUES)), enumerable: true, writable: true, configurable: true });
          return root;
        }
        return set({ [this.pick(KEYS)]: v });
      case 4:
        // grow an array by repeating its elements
        if (Array.isArray(v) && v.length > 0) {
          const times = this.pick([2, 10, 100, 1000]);
          const grown: unknown[] = [];
          for (let i = 0; i < times && grown.length < 5000; i++) grown.push(...clone(v));
          return set(grown);
        }
        return set([v, v]);
      case 5: {
        // nest deeply
        let x: unknown = v;
        const depth = this.pick([2, 16, 200, 3000]);
        for (let i = 0; i < depth; i++) x = r.int(2) ? [x] : { a: x };
        return set(x);
      }
      case 6:
        // change the type
        return set(typeof v === 'string' ? Number(v) || [v] : typeof v === 'number' ? String(v) : Array.isArray(v) ? Object.assign({}, v) : v && typeof v === 'object' ? Object.values(v) : String(v));
      default: {
        // rename a key
        if (node.parent && !Array.isArray(node.parent)) {
          const val = node.parent[node.key as string];
          delete node.parent[node.key as string];
          Object.defineProperty(node.parent, this.pick(KEYS), { value: val, enumerable: true, writable: true, configurable: true });
          return root;
        }
        return set(v);
      }
    }
  }
}

/** A deep copy; a value nested past the stack is shared rather than copied. */
function clone<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

/** JSON.stringify that survives what mutations make (deep nesting beyond the stack is cut). */
export function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]';
  }
}

/**
 * Whether `message` quotes the input: a stretch of `window` characters of `input` (always found; some
 * stretches half as long are found too: aligned half-windows are searched, so the cost stays small).
 */
export function echoes(message: string, input: string, window = 80): boolean {
  const half = window >> 1;
  if (message.length < half || input.length < half) return false;
  for (let i = 0; i + half <= message.length; i += half) if (input.includes(message.slice(i, i + half))) return true;
  return false;
}

/** What a refusal must be: short, and no echo of the input. */
export const MAX_ERROR_CHARS = 500;
export function badRefusal(message: unknown, input: string): string | null {
  if (typeof message !== 'string' || message.length === 0) return 'no error message';
  if (message.length > MAX_ERROR_CHARS) return `an error of ${message.length} characters`;
  if (/:\s*(undefined|null|NaN)?\s*$|\[object Object\]/.test(message)) return 'an error without its reason (empty, undefined or [object Object])';
  if (echoes(message, input)) return 'an error that echoes the input';
  return null;
}
