/** Typed-array growth: amortised appends without an object per element. */
type TypedArray =
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Float32Array
  | Float64Array;

type TypedArrayCtor<T extends TypedArray> = { new (length: number): T };

/** Returns `arr` if it holds `needed` elements, else a copy grown by 2x (at least `needed`): fewer copies and fewer large allocations for the collector while a memory learns. */
export function grow<T extends TypedArray>(arr: T, needed: number, fill?: number): T {
  if (needed <= arr.length) return arr;
  const ctor = arr.constructor as TypedArrayCtor<T>;
  const next = new ctor(Math.max(needed, arr.length * 2 + 16));
  next.set(arr as never);
  if (fill !== undefined) next.fill(fill as never, arr.length);
  return next;
}

/** A copy holding exactly the first `length` elements (for snapshots and for trimming slack). */
export function trim<T extends TypedArray>(arr: T, length: number): T {
  return arr.slice(0, length) as T;
}
