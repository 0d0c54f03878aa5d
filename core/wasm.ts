/**
 * A tiny WebAssembly assembler for the few hot loops that want 64-bit
 * integers (CRC-64, MurmurHash64A): modules are built from readable
 * opcode lists when first needed, so no binary blob is shipped and nothing
 * is read from disk (`deno compile` ready).
 *
 * @module
 */

/** An unsigned LEB128 number (a WebAssembly length, index or offset). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n !== 0 ? b | 0x80 : b);
  } while (n !== 0);
  return out;
}

/** A signed LEB128 number (an `i32.const` or `i64.const` operand up to 2^53). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

/** A signed LEB128 64-bit constant (an `i64.const` operand of any value). */
export function sleb64(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asIntN(64, n);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

/** The opcodes the assembled modules use. */
// deno-fmt-ignore
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, void: 0x40,
  get: 0x20, set: 0x21, tee: 0x22, i32: 0x41, i64: 0x42, load64: 0x29, load8: 0x31,
  i32eq: 0x46, i32ne: 0x47, gtU: 0x4b, geU: 0x4f,
  add: 0x6a, sub: 0x6b, and32: 0x71, or32: 0x72, shl: 0x74,
  ctz64: 0x7a, mul64: 0x7e, and64: 0x83, or64: 0x84, xor64: 0x85, shl64: 0x86, shrU64: 0x88,
  wrap: 0xa7, extendU: 0xad,
} as const;

/** Value types. */
export const I32 = 0x7f, I64 = 0x7e;

/** One exported function of {@link assemble}. */
export interface WasmFunction {
  /** Its export name. */
  name: string;
  /** Parameter and result types ({@link I32}, {@link I64}). */
  params: number[];
  results: number[];
  /** Extra locals, in runs: `[count, type]` pairs. */
  locals: [number, number][];
  /** The body's code, without its final `end`. */
  code: number[];
}

/**
 * A module of exported functions and an exported memory `mem` of `pages`
 * 64 KB pages, compiled and instantiated; undefined where WebAssembly is
 * unavailable (callers keep a JavaScript path).
 *
 * @example
 * ```ts
 * import { assemble, I32, OP } from "./wasm.ts";
 * const m = assemble(1, [{
 *   name: "add", params: [I32, I32], results: [I32], locals: [],
 *   code: [OP.get, 0, OP.get, 1, OP.add],
 * }]);
 * console.log((m?.exports.add as (a: number, b: number) => number)(2, 3)); // 5
 * ```
 */
export function assemble(
  pages: number,
  fns: WasmFunction[],
): { exports: WebAssembly.Exports; mem: Uint8Array } | undefined {
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (n: string) => [n.length, ...Array.from(n, (c) => c.charCodeAt(0))];
  const types: number[] = [], funcs: number[] = [], exports: number[] = [], bodies: number[] = [];
  fns.forEach((f, i) => {
    types.push(0x60, f.params.length, ...f.params, f.results.length, ...f.results);
    funcs.push(i);
    exports.push(...name(f.name), 0, i);
    const body = [f.locals.length, ...f.locals.flat(), ...f.code, OP.end];
    bodies.push(...uleb(body.length), ...body);
  });
  const bytes = Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0, // "\0asm", version 1
    ...section(1, [fns.length, ...types]),
    ...section(3, [fns.length, ...funcs]),
    ...section(5, [1, 0, pages]),
    ...section(7, [fns.length + 1, ...exports, ...name("mem"), 2, 0]),
    ...section(10, [fns.length, ...bodies]),
  ]);
  try {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const mem = new Uint8Array((inst.exports.mem as WebAssembly.Memory).buffer);
    return { exports: inst.exports, mem };
  } catch {
    return undefined;
  }
}
