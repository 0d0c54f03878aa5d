/**
 * CRC-64/Jones as Redis computes it (`src/crc64.c`): reflected, polynomial
 * 0xad93d23594c935a9, initial value 0, no final XOR. It checks RDB files
 * and DUMP payloads.
 *
 * The input is processed eight bytes at a time with slicing-by-8 tables.
 * Long inputs (an RDB file) go through a small WebAssembly function, whose
 * 64-bit integers make a step eight table reads instead of sixteen; in
 * JavaScript the state is kept as two 32-bit halves (BigInt arithmetic
 * would be far slower).
 *
 * @module
 */

import { assemble, I32, I64, OP, sleb, uleb } from "../../core/wasm.ts";

/** Eight 256-entry tables, low and high halves. */
const LO: Uint32Array[] = [];
const HI: Uint32Array[] = [];

(function buildTables() {
  // The reflected polynomial.
  const polyLo = 0x4bc9b5 | 0xac000000; // low 32 bits of 0x95ac9329ac4bc9b5
  const polyHi = 0x95ac9329;
  const lo0 = new Uint32Array(256), hi0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let lo = i, hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    lo0[i] = lo;
    hi0[i] = hi;
  }
  LO.push(lo0);
  HI.push(hi0);
  for (let t = 1; t < 8; t++) {
    const pl = LO[t - 1]!, ph = HI[t - 1]!;
    const lo = new Uint32Array(256), hi = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      // One more zero byte through the table-0 step.
      const l = pl[i]!, h = ph[i]!;
      const idx = l & 0xff;
      lo[i] = (((l >>> 8) | (h << 24)) ^ lo0[idx]!) >>> 0;
      hi[i] = ((h >>> 8) ^ hi0[idx]!) >>> 0;
    }
    LO.push(lo);
    HI.push(hi);
  }
})();

const [L0, L1, L2, L3, L4, L5, L6, L7] = LO as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];
const [H0, H1, H2, H3, H4, H5, H6, H7] = HI as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** The WebAssembly memory holds the tables from 0, then an input chunk. */
const W_INPUT = 8 * 256 * 8, W_CHUNK = 65536;
/** Below this many bytes the JavaScript loop wins (no copy, no BigInt). */
const W_MIN = 4096;

/**
 * The WebAssembly module, assembled here (readable, no binary blob):
 * `update(crc: i64, len: i32) -> i64` runs the slicing-by-8 steps over
 * `len` bytes at W_INPUT, then the odd bytes one at a time, with table `t`
 * (256 little-endian u64) at `t * 2048`.
 */
function wasmModule(): ReturnType<typeof assemble> {
  // Locals: crc (param, i64), len (param, i32), p, end (i32), x (i64).
  const CRC = 0, LEN = 1, P = 2, END = 3, X = 4;
  const { get, set, i32, i64 } = OP;
  /** T[t][index] where the i64 on the stack holds index (< 256). */
  const table = (t: number) => [OP.wrap, i32, 3, OP.shl, OP.load64, 3, ...uleb(t * 2048)];
  const code: number[] = [];
  // deno-fmt-ignore
  code.push(
    i32, ...sleb(W_INPUT), set, P, get, LEN, get, P, OP.add, set, END,
    // while (p + 8 <= end) {
    OP.block, OP.void, OP.loop, OP.void,
    get, P, i32, 8, OP.add, get, END, OP.gtU, OP.brIf, 1,
    // x = crc ^ load64(p)
    get, CRC, get, P, OP.load64, 3, 0, OP.xor64, set, X,
  );
  // crc = T7[x & 0xff] ^ T6[(x >> 8) & 0xff] ^ ... ^ T0[x >> 56]
  for (let j = 0; j < 8; j++) {
    code.push(get, X);
    if (j > 0) code.push(i64, ...sleb(8 * j), OP.shrU64);
    if (j < 7) code.push(i64, ...sleb(0xff), OP.and64);
    code.push(...table(7 - j));
    if (j > 0) code.push(OP.xor64);
  }
  // deno-fmt-ignore
  code.push(
    set, CRC, get, P, i32, 8, OP.add, set, P, OP.br, 0, OP.end, OP.end,
    // while (p < end) crc = (crc >> 8) ^ T0[(crc ^ byte at p) & 0xff], p++
    OP.block, OP.void, OP.loop, OP.void,
    get, P, get, END, OP.geU, OP.brIf, 1,
    get, CRC, i64, 8, OP.shrU64,
    get, CRC, get, P, OP.load8, 0, 0, OP.xor64, i64, ...sleb(0xff), OP.and64, ...table(0),
    OP.xor64, set, CRC,
    get, P, i32, 1, OP.add, set, P, OP.br, 0, OP.end, OP.end,
    get, CRC,
  );
  const pages = Math.ceil((W_INPUT + W_CHUNK) / 65536);
  return assemble(pages, [{
    name: "update",
    params: [I64, I32],
    results: [I64],
    locals: [[2, I32], [1, I64]],
    code,
  }]);
}

/** The WebAssembly `update` and its memory, tables filled. */
interface WasmCrc {
  update: (crc: bigint, len: number) => bigint;
  mem: Uint8Array;
}

/**
 * Made at the first long update (null: unavailable): compiling a module at
 * start-up kept V8's WebAssembly compiler in an idle server's RSS.
 */
let wasm: WasmCrc | null | undefined;

function loadWasm(): WasmCrc | null {
  const m = wasmModule();
  if (m === undefined) return wasm = null;
  const dv = new DataView(m.mem.buffer);
  for (let t = 0; t < 8; t++) {
    for (let i = 0; i < 256; i++) {
      dv.setUint32(t * 2048 + i * 8, LO[t]![i]!, true);
      dv.setUint32(t * 2048 + i * 8 + 4, HI[t]![i]!, true);
    }
  }
  return wasm = {
    update: m.exports.update as (crc: bigint, len: number) => bigint,
    mem: m.mem,
  };
}

/**
 * An incremental CRC-64 (feed chunks with {@link Crc64.update}).
 *
 * @example
 * ```ts
 * import { Crc64 } from "./_crc64.ts";
 * const c = new Crc64();
 * c.update(new TextEncoder().encode("123456789"));
 * console.log(c.hex()); // "e9c6d914c4b8d9ca"
 * ```
 */
export class Crc64 {
  lo = 0;
  hi = 0;

  /** Feeds `data[start, end)`. */
  update(data: Uint8Array, start = 0, end: number = data.length): this {
    const w = end - start < W_MIN ? null : wasm === undefined ? loadWasm() : wasm;
    if (w !== null) {
      const { update, mem } = w;
      let crc = (BigInt(this.hi) << 32n) | BigInt(this.lo);
      for (let p = start; p < end; p += W_CHUNK) {
        const n = Math.min(W_CHUNK, end - p);
        mem.set(data.subarray(p, p + n), W_INPUT);
        crc = update(crc, n);
      }
      crc = BigInt.asUintN(64, crc);
      this.lo = Number(crc & 0xffffffffn);
      this.hi = Number(crc >> 32n);
      return this;
    }
    let lo = this.lo, hi = this.hi;
    let i = start;
    for (; i + 8 <= end; i += 8) {
      const a = lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      const b = hi ^
        (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
      lo = L7[a & 0xff]! ^ L6[(a >>> 8) & 0xff]! ^ L5[(a >>> 16) & 0xff]! ^ L4[a >>> 24]! ^
        L3[b & 0xff]! ^ L2[(b >>> 8) & 0xff]! ^ L1[(b >>> 16) & 0xff]! ^ L0[b >>> 24]!;
      hi = H7[a & 0xff]! ^ H6[(a >>> 8) & 0xff]! ^ H5[(a >>> 16) & 0xff]! ^ H4[a >>> 24]! ^
        H3[b & 0xff]! ^ H2[(b >>> 8) & 0xff]! ^ H1[(b >>> 16) & 0xff]! ^ H0[b >>> 24]!;
    }
    for (; i < end; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L0[idx]!;
      hi = (hi >>> 8) ^ H0[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The checksum as 8 little-endian bytes (how RDB files and DUMP store it). */
  bytes(): Uint8Array {
    const out = new Uint8Array(8);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.lo, true);
    dv.setUint32(4, this.hi, true);
    return out;
  }

  /** The checksum in hex (big-endian digits, as printed by Redis's tests). */
  hex(): string {
    return this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0");
  }
}

/** The CRC-64 of `data[start, end)` as 8 little-endian bytes. */
export function crc64(data: Uint8Array, start = 0, end: number = data.length): Uint8Array {
  return new Crc64().update(data, start, end).bytes();
}
