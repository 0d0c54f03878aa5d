/**
 * A small load generator for rows redis-benchmark cannot express: a
 * sequence of commands (e.g. MULTI, SET, INCR, EXEC) sent as one unit and
 * counted once per unit. Like redis-benchmark it opens `-c` connections over
 * raw TCP, each sending `-P` units pipelined per round trip until `-n` units
 * have been sent in all, and substitutes `__rand_int__` (a 12-digit
 * zero-padded number below `-r`, or all zeros without `-r`). It prints a
 * redis-benchmark-style CSV row (`"test","rps"`) with units per second.
 *
 * The client runs in Deno, on the same machine as the server, so its own
 * CPU use competes with the server's.
 *
 * @example
 * ```sh
 * deno run --allow-net bench/scripted.ts -p 6379 -c 50 -n 100000 -P 16 --csv \
 *   --name "MULTI/EXEC" MULTI ";" SET key:__rand_int__ xxx ";" INCR counter ";" EXEC
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

/** What to run. */
export interface ScriptedOptions {
  host: string;
  port: number;
  clients: number;
  /** Units in all. */
  units: number;
  /** Units per round trip. */
  pipeline: number;
  /** `__rand_int__` range (0: no randomization). */
  random: number;
  /** The commands of one unit. */
  script: readonly (readonly string[])[];
}

/** The outcome of a run. */
export interface ScriptedResult {
  units: number;
  seconds: number;
  unitsPerSecond: number;
  /** Error replies seen (a unit with one still counts). */
  errors: number;
  /** The first error reply seen, for the log. */
  firstError: string | undefined;
}

const RAND = "__rand_int__";
const enc = new TextEncoder();

/** RESP encoding of one command, `__rand_int__` replaced by `rand()`. */
function encodeCommand(argv: readonly string[], rand: () => string): string {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) {
    const a = arg.includes(RAND) ? arg.replaceAll(RAND, rand) : arg;
    // Arguments are ASCII here (byte length = string length).
    out += `$${a.length}\r\n${a}\r\n`;
  }
  return out;
}

/**
 * Counts complete RESP replies (top-level, nested aggregates included)
 * in a byte stream that arrives in arbitrary chunks.
 */
export class ReplyCounter {
  #buf = new Uint8Array(64 * 1024);
  #len = 0;
  #pos = 0;
  /** Error replies (`-...`) seen so far, at any depth. */
  errors = 0;
  /** The first error reply's text. */
  firstError: string | undefined;

  /** Adds bytes and returns how many top-level replies they completed. */
  feed(chunk: Uint8Array): number {
    if (this.#len + chunk.length > this.#buf.length) {
      // Keep only the unparsed tail, growing the buffer when that is not enough.
      const kept = this.#len - this.#pos;
      if (kept + chunk.length > this.#buf.length) {
        const next = new Uint8Array((kept + chunk.length) * 2);
        next.set(this.#buf.subarray(this.#pos, this.#len));
        this.#buf = next;
      } else this.#buf.copyWithin(0, this.#pos, this.#len);
      this.#len = kept;
      this.#pos = 0;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
    let count = 0;
    for (;;) {
      const end = this.#reply(this.#pos);
      if (end < 0) break;
      this.#pos = end;
      count++;
    }
    if (this.#pos === this.#len) this.#pos = this.#len = 0;
    return count;
  }

  /** The end of the line starting at `i` (index after CRLF), or -1. */
  #line(i: number): number {
    const b = this.#buf;
    for (let j = i; j + 1 < this.#len; j++) if (b[j] === 13 && b[j + 1] === 10) return j + 2;
    return -1;
  }

  #int(from: number, to: number): number {
    let n = 0;
    let neg = false;
    for (let j = from; j < to; j++) {
      const c = this.#buf[j]!;
      if (c === 45) neg = true;
      else n = n * 10 + (c - 48);
    }
    return neg ? -n : n;
  }

  /** Index after the reply starting at `i`, or -1 when incomplete. */
  #reply(i: number): number {
    if (i >= this.#len) return -1;
    const type = this.#buf[i]!;
    const eol = this.#line(i + 1);
    if (eol < 0) return -1;
    switch (type) {
      case 43: // + simple
      case 58: // : integer
      case 95: // _ null
      case 44: // , double
      case 35: // # boolean
      case 40: // ( big number
        return eol;
      case 45: // - error
        this.errors++;
        this.firstError ??= new TextDecoder().decode(this.#buf.subarray(i + 1, eol - 2));
        return eol;
      case 36: // $ bulk
      case 61: // = verbatim
      case 33: { // ! blob error
        const n = this.#int(i + 1, eol - 2);
        if (n < 0) return eol;
        const end = eol + n + 2;
        return end <= this.#len ? end : -1;
      }
      case 42: // * array
      case 126: // ~ set
      case 62: // > push
      case 37: { // % map
        let n = this.#int(i + 1, eol - 2);
        if (type === 37) n *= 2;
        let at = eol;
        for (let k = 0; k < n; k++) {
          at = this.#reply(at);
          if (at < 0) return -1;
        }
        return at;
      }
      default:
        throw new Error(`unexpected reply type byte ${type}`);
    }
  }
}

/** Runs the load and measures units per second. */
export async function runScripted(o: ScriptedOptions): Promise<ScriptedResult> {
  const perUnit = o.script.length;
  const randomized = o.script.some((argv) => argv.some((a) => a.includes(RAND)));
  const rand = o.random > 0
    ? () => String(Math.floor(Math.random() * o.random)).padStart(12, "0")
    : () => "000000000000";
  // Without randomization every round trip sends the same bytes: encode once.
  const fixed = new Map<number, Uint8Array>();
  const batch = (units: number): Uint8Array => {
    if (!randomized || o.random === 0) {
      let b = fixed.get(units);
      if (!b) {
        const one = o.script.map((argv) => encodeCommand(argv, rand)).join("");
        fixed.set(units, b = enc.encode(one.repeat(units)));
      }
      return b;
    }
    let s = "";
    for (let u = 0; u < units; u++) {
      for (const argv of o.script) s += encodeCommand(argv, rand);
    }
    return enc.encode(s);
  };

  const conns = await Promise.all(
    Array.from({ length: o.clients }, () => Deno.connect({ hostname: o.host, port: o.port })),
  );
  for (const c of conns) c.setNoDelay(true);
  let issued = 0;
  const counters = conns.map(() => new ReplyCounter());
  const started = performance.now();
  try {
    await Promise.all(conns.map(async (conn, i) => {
      const counter = counters[i]!;
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const units = Math.min(o.pipeline, o.units - issued);
        if (units <= 0) return;
        issued += units;
        const req = batch(units);
        for (let off = 0; off < req.length;) off += await conn.write(req.subarray(off));
        let want = units * perUnit;
        while (want > 0) {
          const n = await conn.read(buf);
          if (n === null) throw new Error("server closed the connection");
          want -= counter.feed(buf.subarray(0, n));
        }
      }
    }));
  } finally {
    for (const c of conns) c.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const errors = counters.reduce((sum, c) => sum + c.errors, 0);
  return {
    units: o.units,
    seconds,
    unitsPerSecond: o.units / seconds,
    errors,
    firstError: counters.find((c) => c.firstError !== undefined)?.firstError,
  };
}

/** Splits `A b ; C d` into commands. */
export function splitScript(words: readonly string[], separator = ";"): string[][] {
  const script: string[][] = [[]];
  for (const w of words) {
    if (w === separator) script.push([]);
    else script[script.length - 1]!.push(w);
  }
  if (script.some((c) => c.length === 0)) throw new Error("empty command in the script");
  return script;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      h: { type: "string", default: "127.0.0.1" },
      p: { type: "string", default: "6379" },
      c: { type: "string", default: "50" },
      n: { type: "string", default: "100000" },
      P: { type: "string", default: "1" },
      r: { type: "string", default: "0" },
      csv: { type: "boolean", default: false },
      name: { type: "string" },
    },
  });
  const script = splitScript(positionals);
  const name = values.name ?? script.map((c) => c.join(" ")).join("; ");
  const r = await runScripted({
    host: values.h,
    port: Number(values.p),
    clients: Number(values.c),
    units: Number(values.n),
    pipeline: Number(values.P),
    random: Number(values.r),
    script,
  });
  if (r.errors) {
    // A run with errors measured something else: print no result.
    console.error(`${r.errors} error replies, first: ${r.firstError}`);
    Deno.exit(1);
  }
  const rps = r.unitsPerSecond.toFixed(2);
  console.log(
    values.csv
      ? `"test","rps"\n"${name.replaceAll('"', '""')}","${rps}"`
      : `${name}: ${rps} units per second (${r.units} in ${r.seconds.toFixed(3)} s)`,
  );
}

if (import.meta.main) await main();
