/**
 * LZF compression (Marc Lehmann's liblzf, the variant Redis bundles): RDB
 * strings longer than 20 bytes are stored compressed when that saves space.
 *
 * Format: a control byte below 32 starts a literal run of `ctrl + 1` bytes;
 * otherwise the top 3 bits are a match length minus 2 (7 means "plus the
 * next byte") and the low 5 bits with the next byte an offset minus 1 back
 * into the output.
 *
 * @module
 */

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_LIT = 32;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/** Reused hash table (positions + 1; 0 means empty). */
const htab = new Int32Array(HSIZE);

/**
 * Compresses `input[start, end)` into `out` at `at`, writing at most
 * `maxLen` bytes. Returns the compressed length, or 0 when the result would
 * not fit (the caller then stores the bytes raw, as Redis does).
 *
 * @example
 * ```ts
 * import { lzfCompress, lzfDecompress } from "./_lzf.ts";
 * const src = new TextEncoder().encode("abcabcabcabcabcabcabcabcabc");
 * const out = new Uint8Array(src.length);
 * const n = lzfCompress(src, 0, src.length, out, 0, src.length - 1);
 * console.log(n > 0, lzfDecompress(out.subarray(0, n), src.length).length); // true 27
 * ```
 */
export function lzfCompress(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
  maxLen: number,
): number {
  const len = end - start;
  if (len < 4) return 0;
  htab.fill(0);
  const outEnd = at + maxLen;
  let op = at + 1; // room for the first literal-run length
  let lit = 0;
  let ip = start;
  while (ip < end - 2) {
    const h = (((input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!) * 2654435761 >>> 0) >>>
      (32 - HLOG);
    const ref = htab[h]! - 1;
    htab[h] = ip + 1;
    const off = ip - ref - 1;
    if (
      ref >= start && off < MAX_OFF && input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]
    ) {
      let maxlen = end - ip - 2;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      // As liblzf: the first three bytes match; count how many more do.
      let matched = 2;
      do matched++; while (matched < maxlen && input[ref + matched] === input[ip + matched]);
      if (op + 3 + 1 >= outEnd) return 0;
      // Close the pending literal run.
      if (lit !== 0) out[op - lit - 1] = lit - 1;
      else op--;
      const enc = matched - 2;
      if (enc < 7) {
        out[op++] = (off >>> 8) + (enc << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = enc - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // room for the next literal-run length
      ip += matched;
      // Index the positions inside the match so later ones find them.
      if (ip < end - 2) {
        for (let p = ip - matched + 1; p < ip; p++) {
          if (p + 2 >= end) break;
          const hh =
            (((input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!) * 2654435761 >>> 0) >>>
            (32 - HLOG);
          htab[hh] = p + 1;
        }
      }
      continue;
    }
    if (op >= outEnd) return 0;
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  while (ip < end) {
    if (op >= outEnd) return 0;
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  if (lit !== 0) out[op - lit - 1] = lit - 1;
  else op--;
  if (op > outEnd) return 0;
  return op - at;
}

/**
 * Decompresses LZF data to exactly `outLen` bytes. Throws on corrupt input.
 */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  let ip = 0, op = 0;
  const inEnd = input.length;
  while (ip < inEnd) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLen || ip + n > inEnd) throw new Error("LZF: corrupt literal run");
      out.set(input.subarray(ip, ip + n), op);
      ip += n;
      op += n;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= inEnd) throw new Error("LZF: truncated input");
        len += input[ip++]!;
      }
      if (ip >= inEnd) throw new Error("LZF: truncated input");
      let ref = op - ((ctrl & 0x1f) << 8) - input[ip++]! - 1;
      len += 2;
      if (ref < 0) throw new Error("LZF: back reference before the start");
      if (op + len > outLen) throw new Error("LZF: output overflow");
      while (len-- > 0) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLen) throw new Error("LZF: wrong decompressed length");
  return out;
}
