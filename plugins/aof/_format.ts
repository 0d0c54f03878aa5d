/**
 * AOF file formats: commands as RESP arrays, Redis 7's manifest, and the
 * names of the files of a multi-part AOF.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { splitArgs } from "../../core/config.ts";
import { reprArg } from "../../core/conf_file.ts";

/** Encodes a command as a RESP array of bulk strings (a byte string). */
export function encodeCommand(argv: readonly Bytes[]): Bytes {
  let s = `*${argv.length}\r\n`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    s += `$${a.length}\r\n${a}\r\n`;
  }
  return s;
}

/** A file listed in a manifest: `b` base, `h` history, `i` incremental. */
export interface AofFileInfo {
  name: string;
  seq: number;
  type: "b" | "h" | "i";
}

/** Redis 7's AOF manifest: one base, history files, incremental files. */
export interface Manifest {
  base: AofFileInfo | undefined;
  history: AofFileInfo[];
  incr: AofFileInfo[];
  /** Highest base sequence used (the next base gets one more). */
  baseSeq: number;
  /** Highest incremental sequence used. */
  incrSeq: number;
}

/** An empty manifest (no AOF yet). */
export function emptyManifest(): Manifest {
  return { base: undefined, history: [], incr: [], baseSeq: 0, incrSeq: 0 };
}

/** A deep copy, to modify before it is persisted. */
export function cloneManifest(m: Manifest): Manifest {
  return {
    base: m.base && { ...m.base },
    history: m.history.map((f) => ({ ...f })),
    incr: m.incr.map((f) => ({ ...f })),
    baseSeq: m.baseSeq,
    incrSeq: m.incrSeq,
  };
}

/** A manifest that does not parse; the message is Redis's. */
export class ManifestError extends Error {
  constructor(message: string, readonly line?: string, readonly lineNo?: number) {
    super(message);
    this.name = "ManifestError";
  }
}

function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/**
 * Formats a manifest exactly as Redis 7 writes it: the base first, then
 * history, then incremental files, one `file <name> seq <n> type <t>` line
 * each.
 */
export function formatManifest(m: Manifest): string {
  let out = "";
  const line = (f: AofFileInfo) =>
    `file ${needsRepr(f.name) ? reprArg(f.name) : f.name} seq ${f.seq} type ${f.type}\n`;
  if (m.base) out += line(m.base);
  for (const f of m.history) out += line(f);
  for (const f of m.incr) out += line(f);
  return out;
}

/** Parses a manifest as Redis 7's `aofLoadManifestFromFile` does. */
export function parseManifest(text: string): Manifest {
  const m = emptyManifest();
  const lines = text.split("\n");
  // A final newline leaves an empty last element, which is no line.
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new ManifestError("Found an empty AOF manifest");
  let maxSeq = 0;
  lines.forEach((raw, i) => {
    if (raw.startsWith("#")) return;
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    const fail = (msg: string): never => {
      throw new ManifestError(msg, line, i + 1);
    };
    if (line === "") fail("Invalid AOF manifest file format");
    const argv = splitArgs(line);
    if (argv === undefined || argv.length < 6 || argv.length % 2 !== 0) {
      fail("Invalid AOF manifest file format");
    }
    let name: string | undefined, seq = 0, type = "";
    for (let j = 0; j < argv!.length; j += 2) {
      const k = argv![j]!.toLowerCase(), v = argv![j + 1]!;
      if (k === "file") {
        name = v;
        if (v.includes("/")) fail("File can't be a path, just a filename");
      } else if (k === "seq") {
        seq = parseInt(v, 10) || 0;
      } else if (k === "type") {
        type = v[0] ?? "";
      }
    }
    if (!name || !seq || !type) fail("Invalid AOF manifest file format");
    const info = { name: name!, seq, type } as AofFileInfo;
    if (type === "b") {
      if (m.base) fail("Found duplicate base file information");
      m.base = info;
      m.baseSeq = seq;
    } else if (type === "h") {
      m.history.push(info);
    } else if (type === "i") {
      if (seq <= maxSeq) fail("Found a non-monotonic sequence number");
      m.incr.push(info);
      m.incrSeq = maxSeq = seq;
    } else {
      fail("Unknown AOF file type");
    }
  });
  return m;
}

/** `<appendfilename>.manifest`. */
export function manifestName(filename: string): string {
  return `${filename}.manifest`;
}

/** `temp-<appendfilename>.manifest`, written then renamed. */
export function tempManifestName(filename: string): string {
  return `temp-${filename}.manifest`;
}

/** `<appendfilename>.<seq>.base.rdb` or `.base.aof`. */
export function baseName(filename: string, seq: number, rdb: boolean): string {
  return `${filename}.${seq}.base.${rdb ? "rdb" : "aof"}`;
}

/** `<appendfilename>.<seq>.incr.aof`. */
export function incrName(filename: string, seq: number): string {
  return `${filename}.${seq}.incr.aof`;
}

/** The incremental file written while AOF is being turned on. */
export function tempIncrName(filename: string): string {
  return `temp-${filename}.incr`;
}
