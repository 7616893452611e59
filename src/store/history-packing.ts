/**
 * How the history's points are packed into BLOBs (store/history.ts).
 *
 * - A head row holds one cycle's points of every series: their ids (uint32)
 *   and their values (float64), in two BLOBs. Writing a cycle is
 *   one row, whatever the number of series.
 * - A chunk holds one series' points of one tier over the tier's chunk span
 *   (an hour of raw samples, a week of hours…), as columns: integers (time
 *   offsets, sample counts) delta-coded, floats XOR-ed with the one before
 *   (Gorilla's idea: a value that did not change becomes zeros, one that
 *   changed little keeps its high bytes zero), each column's bytes shuffled
 *   (all first bytes, then all second bytes…: Blosc's idea, so the zeros line
 *   up) and the whole deflated. A flat series (a restart count, a memory
 *   limit) costs a few bytes a chunk, a noisy one about its float64s.
 *
 * Values stay float64: a byte counter of 10^11 keeps its last byte (a float32
 * would round it to 8 KiB, and the rate made from two of them with it).
 * Byte order is the machine's (little-endian on every platform Lookout runs
 * on); a database is not moved between machines of different byte order.
 */
/**
 * node:zlib, loaded with the first chunk packed or read: a check that packs nothing (most of them) does not pay its
 * load (~3–10 ms of a short command's CPU). With process.getBuiltinModule, as src/hash.ts says why.
 */
let zlib: typeof import("node:zlib") | undefined;
const zlibNow = (): typeof import("node:zlib") => (zlib ??= process.getBuiltinModule("node:zlib"));

export function packHead(ids: Uint32Array, values: Float64Array): { ids: Buffer; values: Buffer } {
  return { ids: Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength), values: Buffer.from(values.buffer, values.byteOffset, values.byteLength) };
}

/** A BLOB's bytes as a typed array of `width`-byte elements, copied when SQLite's buffer is not aligned to it. */
function aligned(buf: Uint8Array, width: number): ArrayBuffer {
  if (buf.byteOffset % width === 0) return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return new Uint8Array(buf).buffer as ArrayBuffer;
}

export function unpackIds(ids: Uint8Array): Uint32Array {
  return new Uint32Array(aligned(ids, 4));
}

export function unpackValues(values: Uint8Array): Float64Array {
  return new Float64Array(aligned(values, 8));
}

/** A chunk's columns: `ints` hold whole numbers that fit in 32 bits. */
export interface Columns {
  ints: Int32Array[];
  floats: Float64Array[];
}

/**
 * Bytes `width` (4 or 8) at a time, regrouped so that byte b of every element
 * comes together; with `xorPrevious`, each element XOR-ed with the one before
 * it first (the first with 0). Four elements are regrouped at once, from
 * 32-bit words into one 32-bit word per plane, XOR-ed on the way (planes of a
 * count that is not a multiple of 4 are made aside, then copied): the
 * roll-up packs every series' hour, and a loop over single bytes, after one
 * over the words for the XOR, was a third of its CPU under --lite-mode
 * (bytecode, no machine code), this one about a quarter as much. The byte
 * loop stays for a big-endian machine. Both give the same bytes.
 */
function shuffle(src: Uint8Array, width: number, dst: Uint8Array, at: number, xorPrevious: boolean): void {
  const n = src.length / width;
  if (LITTLE_ENDIAN) {
    const groups = Math.ceil(n / 4);
    const padded = 4 * groups;
    let words: Uint32Array;
    if (padded === n && src.byteOffset % 4 === 0) words = new Uint32Array(src.buffer, src.byteOffset, src.length / 4);
    else {
      // Zeros up to a whole group (what they become is not kept).
      const copy = new Uint8Array(padded * width);
      copy.set(src);
      words = new Uint32Array(copy.buffer);
    }
    if (padded === n && (dst.byteOffset + at) % 4 === 0) {
      shuffleWords(words, width / 4, new Uint32Array(dst.buffer, dst.byteOffset + at, src.length / 4), groups, xorPrevious);
      return;
    }
    // Planes of `padded` bytes aside, then each one's first n bytes into place (a count of points not a multiple of 4:
    // an hour of cycles is 1799 or 1801 as often as 1800).
    const planes = new Uint8Array(padded * width);
    shuffleWords(words, width / 4, new Uint32Array(planes.buffer), groups, xorPrevious);
    for (let b = 0; b < width; b++) dst.set(planes.subarray(b * padded, b * padded + n), at + b * n);
    return;
  }
  let bytes = src;
  if (xorPrevious) {
    const words = new Uint32Array(src.buffer, src.byteOffset, src.length / 4);
    const x = new Uint32Array(words.length);
    const per = width / 4;
    for (let i = 0; i < x.length; i++) x[i] = i < per ? words[i]! : words[i]! ^ words[i - per]!;
    bytes = new Uint8Array(x.buffer);
  }
  for (let b = 0; b < width; b++) {
    const base = at + b * n;
    for (let i = 0; i < n; i++) dst[base + i] = bytes[i * width + b]!;
  }
}

/** Whether 32-bit words are stored low byte first here (every platform Lookout runs on): `shuffleWords` reads bytes out of words. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * `shuffle` over words: `perElement` words an element, `groups` groups of
 * four elements; plane p is words p·groups onwards of `out`. With
 * `xorPrevious`, each word is XOR-ed with the same word of the element before.
 */
function shuffleWords(words: Uint32Array, perElement: number, out: Uint32Array, groups: number, xorPrevious: boolean): void {
  for (let k = 0; k < perElement; k++) {
    // The word k of four elements in turn gives bytes 4k…4k+3 of each: plane 4k's word g holds byte 4k of elements 4g…4g+3.
    const plane = 4 * k * groups;
    let before = 0;
    for (let g = 0; g < groups; g++) {
      const e = 4 * g * perElement + k;
      let a = words[e]!;
      let b = words[e + perElement]!;
      let c = words[e + 2 * perElement]!;
      let d = words[e + 3 * perElement]!;
      if (xorPrevious) {
        const last = d;
        d ^= c;
        c ^= b;
        b ^= a;
        a ^= before;
        before = last;
      }
      const p = plane + g;
      out[p] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | ((d & 0xff) << 24);
      out[p + groups] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d & 0xff00) << 16);
      out[p + 2 * groups] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d & 0xff0000) << 8);
      out[p + 3 * groups] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
    }
  }
}

function unshuffle(src: Uint8Array, at: number, width: number, n: number): Uint8Array {
  const out = new Uint8Array(n * width);
  for (let b = 0; b < width; b++) {
    const base = at + b * n;
    for (let i = 0; i < n; i++) out[i * width + b] = src[base + i]!;
  }
  return out;
}

/** Header: the count of elements (uint32), of int and of float columns (a byte each). */
const HEADER = 6;

export function packColumns(c: Columns): Buffer {
  const n = c.ints[0]?.length ?? c.floats[0]?.length ?? 0;
  return packPlanes(
    n,
    c.ints.map((col) => intPlanes(col, n)),
    c.floats,
  );
}

/** An int column delta-coded and shuffled: its part of a chunk's body. */
function intPlanes(col: ArrayLike<number>, n: number): Uint8Array {
  const d = new Int32Array(n);
  for (let i = 0; i < n; i++) d[i] = col[i]! - (i > 0 ? col[i - 1]! : 0);
  const out = new Uint8Array(4 * n);
  shuffle(new Uint8Array(d.buffer), 4, out, 0, false);
  return out;
}

/** A chunk of `n` elements from its int columns already laid out (`intPlanes`) and its float columns. */
function packPlanes(n: number, ints: readonly Uint8Array[], floats: readonly Float64Array[]): Buffer {
  const body = new Uint8Array(n * (4 * ints.length + 8 * floats.length));
  let at = 0;
  for (const planes of ints) {
    body.set(planes, at);
    at += 4 * n;
  }
  for (const col of floats) {
    shuffle(new Uint8Array(col.buffer, col.byteOffset, 8 * n), 8, body, at, true);
    at += 8 * n;
  }
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(n, 0);
  head.writeUInt8(ints.length, 4);
  head.writeUInt8(floats.length, 5);
  return Buffer.concat([head, zlibNow().deflateRawSync(body)]);
}

export function unpackColumns(blob: Uint8Array): Columns {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const n = buf.readUInt32LE(0);
  const nInts = buf.readUInt8(4);
  const nFloats = buf.readUInt8(5);
  const body = zlibNow().inflateRawSync(buf.subarray(HEADER));
  const out: Columns = { ints: [], floats: [] };
  let at = 0;
  for (let k = 0; k < nInts; k++) {
    const d = new Int32Array(unshuffle(body, at, 4, n).buffer);
    for (let i = 1; i < n; i++) d[i] = d[i]! + d[i - 1]!;
    out.ints.push(d);
    at += 4 * n;
  }
  for (let k = 0; k < nFloats; k++) {
    const x = new Uint32Array(unshuffle(body, at, 8, n).buffer);
    for (let i = 2; i < 2 * n; i++) x[i] = x[i]! ^ x[i - 2]!;
    out.floats.push(new Float64Array(x.buffer));
    at += 8 * n;
  }
  return out;
}

/** A series' points of one chunk: a raw chunk's min, avg and max are its values, and n is 1. */
export interface ChunkPoints {
  t: ArrayLike<number>;
  min: ArrayLike<number>;
  avg: ArrayLike<number>;
  max: ArrayLike<number>;
  n: ArrayLike<number> | null;
}

/** Raw points of one chunk starting at `start`: their times as offsets from it (ms), their values. */
export function packRaw(start: number, t: ArrayLike<number>, v: ArrayLike<number>): Buffer {
  return packRawOf(rawTimes(start, t), v);
}

/**
 * The times of raw chunks starting at `start`, for the series that share
 * them (the roll-up of an hour of head gives one array to all the series
 * there the whole hour): what depends on the times alone (the packed time
 * column, the buckets of a roll-up) is worked out once for all of them and
 * kept here. The times must not change after.
 */
export interface RawTimes {
  readonly start: number;
  readonly t: ArrayLike<number>;
  /** The time column as a chunk's body holds it (offsets from `start`, delta-coded, shuffled). */
  column?: Uint8Array;
  /** The last roll-up's buckets: each one's time and the index of its first point (one more at the end: the count). */
  buckets?: { bucketMs: number; at: number[]; firsts: Int32Array };
}

export function rawTimes(start: number, t: ArrayLike<number>): RawTimes {
  return { start, t };
}

/** `packRaw` of these times and values. */
export function packRawOf(times: RawTimes, v: ArrayLike<number>): Buffer {
  const t = times.t;
  if (!times.column) {
    const offsets = new Int32Array(t.length);
    for (let i = 0; i < t.length; i++) offsets[i] = t[i]! - times.start;
    times.column = intPlanes(offsets, t.length);
  }
  return packPlanes(t.length, [times.column], [v instanceof Float64Array ? v : Float64Array.from(v)]);
}

export function unpackRaw(start: number, blob: Uint8Array): ChunkPoints {
  const c = unpackColumns(blob);
  const t = new Float64Array(c.ints[0]!.length);
  for (let i = 0; i < t.length; i++) t[i] = start + c.ints[0]![i]!;
  const v = c.floats[0]!;
  return { t, min: v, avg: v, max: v, n: null };
}

/** Rolled-up points of one chunk starting at `start`: each bucket's index from it, min, avg, max and count of raw samples. */
export function packRolled(start: number, bucketMs: number, p: ChunkPoints): Buffer {
  const len = p.t.length;
  const index = new Int32Array(len);
  const n = new Int32Array(len);
  for (let i = 0; i < len; i++) {
    index[i] = (p.t[i]! - start) / bucketMs;
    n[i] = p.n ? p.n[i]! : 1;
  }
  return packColumns({ ints: [index, n], floats: [Float64Array.from(p.min), Float64Array.from(p.avg), Float64Array.from(p.max)] });
}

export function unpackRolled(start: number, bucketMs: number, blob: Uint8Array): ChunkPoints {
  const c = unpackColumns(blob);
  const index = c.ints[0]!;
  const t = new Float64Array(index.length);
  for (let i = 0; i < t.length; i++) t[i] = start + index[i]! * bucketMs;
  return { t, min: c.floats[0]!, avg: c.floats[1]!, max: c.floats[2]!, n: c.ints[1]! };
}

/**
 * `rollUp` of one series' raw points (sorted by time; each its own min, avg
 * and max, one sample): the roll-up of the head does it for every series'
 * hour, and `rollUp`'s general loop cost twice as much under --lite-mode.
 * The buckets are found from the times once (kept in `times`), then each
 * bucket's values are summed in a loop of their own. Gives what `rollUp`
 * gives for `[{ t, min: v, avg: v, max: v, n: null }]`, to the last bit.
 */
export function rollUpRaw(times: RawTimes, v: ArrayLike<number>, bucketMs: number): { t: number[]; min: number[]; avg: number[]; max: number[]; n: number[] } {
  const { at, firsts } = bucketsOf(times, bucketMs);
  // The buckets' times are shared by every series of these times: each result gets its own copy.
  const out = { t: at.slice(), min: [] as number[], avg: [] as number[], max: [] as number[], n: [] as number[] };
  for (let b = 0; b < at.length; b++) {
    const from = firsts[b]!;
    const to = firsts[b + 1]!;
    let lo = v[from]!;
    let hi = lo;
    let sum = lo;
    for (let i = from + 1; i < to; i++) {
      const x = v[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      sum += x;
    }
    out.min.push(lo);
    out.avg.push(sum / (to - from));
    out.max.push(hi);
    out.n.push(to - from);
  }
  return out;
}

/** The buckets of `bucketMs` the times fall in (aligned to multiples of it), as `rollUp` makes them; kept in `times`. */
function bucketsOf(times: RawTimes, bucketMs: number): { at: number[]; firsts: Int32Array } {
  if (times.buckets?.bucketMs === bucketMs) return times.buckets;
  const t = times.t;
  const at: number[] = [];
  const firsts: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const b = t[i]! - (t[i]! % bucketMs);
    if (at.length === 0 || at[at.length - 1] !== b) {
      at.push(b);
      firsts.push(i);
    }
  }
  firsts.push(t.length);
  times.buckets = { bucketMs, at, firsts: Int32Array.from(firsts) };
  return times.buckets;
}

/**
 * Points (sorted by time) into buckets of `bucketMs` (aligned to multiples of
 * it): min of mins, max of maxes, the average weighted by samples.
 */
export function rollUp(points: readonly ChunkPoints[], bucketMs: number): { t: number[]; min: number[]; avg: number[]; max: number[]; n: number[] } {
  const out = { t: [] as number[], min: [] as number[], avg: [] as number[], max: [] as number[], n: [] as number[] };
  let sum = 0;
  let last = -1;
  const close = () => {
    if (last >= 0) out.avg[last] = sum / out.n[last]!;
  };
  for (const p of points) {
    for (let i = 0; i < p.t.length; i++) {
      const t = p.t[i]!;
      const b = t - (t % bucketMs);
      const n = p.n ? p.n[i]! : 1;
      if (last < 0 || out.t[last] !== b) {
        close();
        out.t.push(b);
        out.min.push(p.min[i]!);
        out.max.push(p.max[i]!);
        out.avg.push(0);
        out.n.push(n);
        sum = p.avg[i]! * n;
        last++;
      } else {
        if (p.min[i]! < out.min[last]!) out.min[last] = p.min[i]!;
        if (p.max[i]! > out.max[last]!) out.max[last] = p.max[i]!;
        out.n[last] = out.n[last]! + n;
        sum += p.avg[i]! * n;
      }
    }
  }
  close();
  return out;
}
