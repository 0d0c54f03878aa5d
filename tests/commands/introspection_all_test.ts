/**
 * COMMAND INFO, COMMAND DOCS and COMMAND GETKEYSANDFLAGS for every command
 * Redis 7.0 has and Respite implements, compared with redis-server reply
 * for reply, in RESP2 and RESP3: one test per COMMAND DOCS group. The
 * argument lists GETKEYSANDFLAGS gets are built from Redis's own COMMAND
 * DOCS: once with the required arguments only, once with every optional
 * one too.
 */

import { assertEquals } from "../_assert.ts";
import { hasRedis, RawClient, type Reply, sharedServers } from "../_helpers.ts";

type Map_ = Map<string, Reply>;

const asMap = (r: Reply): Map_ => {
  if (Array.isArray(r)) {
    // RESP2: a flat array of pairs.
    const m: Map_ = new Map();
    for (let i = 0; i < r.length; i += 2) m.set(String(r[i]), r[i + 1]!);
    return m;
  }
  if (r !== null && typeof r === "object" && "map" in r) {
    return new Map(r.map.map(([k, v]): [string, Reply] => [String(k), v]));
  }
  return new Map();
};
const items = (r: Reply): Reply[] =>
  Array.isArray(r) ? r : r !== null && typeof r === "object" && "set" in r ? r.set : [];

/** Minimal (or full) arguments for a command from its COMMAND DOCS arguments. */
function argvFrom(args: Reply[], full: boolean, counter: { n: number }): string[] {
  const out: string[] = [];
  for (const raw of args) {
    const a = asMap(raw);
    const flags = items(a.get("flags") ?? []).map(String);
    if (flags.includes("optional") && !full) continue;
    const token = a.get("token");
    if (token !== undefined) out.push(String(token));
    const type = String(a.get("type"));
    switch (type) {
      case "key":
        out.push(`key:${++counter.n}`);
        break;
      case "integer":
        // A count of keys (numkeys) is 1: one key follows.
        out.push("1");
        break;
      case "double":
        out.push("1.5");
        break;
      case "unix-time":
        out.push("1700000000");
        break;
      case "pattern":
        out.push("*");
        break;
      case "pure-token":
        break;
      case "oneof": {
        const first = items(a.get("arguments")!)[0];
        if (first !== undefined) out.push(...argvFrom([first], full, counter));
        break;
      }
      case "block":
        out.push(...argvFrom(items(a.get("arguments")!), full, counter));
        break;
      default:
        out.push(String(a.get("name")) === "id" ? "0-1" : "v");
    }
  }
  return out;
}

interface Known {
  /** Full names Redis 7.0 has, with their COMMAND DOCS group and arguments. */
  commands: Map<string, { group: string; args: Reply[] }>;
}

async function redisCommands(port: number): Promise<Known> {
  const c = await RawClient.connect(port);
  try {
    await c.call("HELLO", "3");
    const docs = asMap(await c.call("COMMAND", "DOCS"));
    const commands = new Map<string, { group: string; args: Reply[] }>();
    const add = (name: string, d: Map_) =>
      commands.set(name, {
        group: String(d.get("group")),
        args: items(d.get("arguments") ?? []),
      });
    for (const [name, v] of docs) {
      const d = asMap(v);
      add(name, d);
      const subs = d.get("subcommands");
      if (subs !== undefined) { for (const [s, sv] of asMap(subs)) add(s, asMap(sv)); }
    }
    return { commands };
  } finally {
    c.close();
  }
}

async function respiteNames(port: number): Promise<Set<string>> {
  const c = await RawClient.connect(port);
  try {
    return new Set((await c.call("COMMAND", "LIST") as string[]).map((n) => n.toLowerCase()));
  } finally {
    c.close();
  }
}

/** The groups Redis 7.0's COMMAND DOCS uses. */
const GROUPS = [
  "bitmap",
  "cluster",
  "connection",
  "generic",
  "geo",
  "hash",
  "hyperloglog",
  "list",
  "pubsub",
  "scripting",
  "server",
  "set",
  "sorted-set",
  "stream",
  "string",
  "transactions",
];

/** One RESP reply as its raw bytes: a header line (with a bulk's data) and nested replies. */
interface Node {
  head: string;
  kids: Node[];
}

/** Splits a raw reply into nodes (the whole reply is one). */
function parseRaw(raw: string, at = { p: 0 }): Node {
  const eol = raw.indexOf("\r\n", at.p);
  const type = raw[at.p]!;
  const n = Number(raw.slice(at.p + 1, eol));
  let end = eol + 2;
  if ((type === "$" || type === "=" || type === "!") && n >= 0) end += n + 2;
  const node: Node = { head: raw.slice(at.p, end), kids: [] };
  at.p = end;
  const count = "*~>".includes(type) ? n : "%|".includes(type) ? 2 * n : 0;
  for (let i = 0; i < count; i++) node.kids.push(parseRaw(raw, at));
  return node;
}

const serialize = (n: Node): string => n.head + n.kids.map(serialize).join("");

/** A bulk string node's text. */
const bulkText = (n: Node): string => n.head.slice(n.head.indexOf("\r\n") + 2, -2);

/**
 * A container's subcommands, as compared: only those both servers have
 * (`ours`), sorted by name. Redis lists them in its dictionary's order,
 * which a random hash seed sets anew at each start.
 */
function comparableSubcommands(kind: string, raw: string, ours: Set<string>): string {
  const top = parseRaw(raw);
  const entry = kind === "INFO" ? top.kids[0] : top.kids[1];
  if (entry === undefined) return raw;
  let subs: Node | undefined;
  let width = 1;
  if (kind === "INFO") {
    subs = entry.kids[9];
  } else {
    width = 2;
    for (let i = 0; i + 1 < entry.kids.length; i += 2) {
      if (bulkText(entry.kids[i]!) === "subcommands") subs = entry.kids[i + 1];
    }
  }
  if (subs === undefined || subs.kids.length === 0) return raw;
  const items: Node[][] = [];
  for (let j = 0; j < subs.kids.length; j += width) items.push(subs.kids.slice(j, j + width));
  const name = (item: Node[]) => bulkText(kind === "INFO" ? item[0]!.kids[0]! : item[0]!);
  const kept = items.filter((item) => ours.has(name(item)));
  kept.sort((x, y) => name(x) < name(y) ? -1 : 1);
  subs.kids = kept.flat();
  // RESP2 writes a map's pairs as an array of twice their count.
  const count = subs.head[0] === "*" ? subs.kids.length : kept.length;
  subs.head = `${subs.head[0]}${count}\r\n`;
  return serialize(top);
}

async function replies(port: number, resp: "2" | "3", cmds: string[][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    await c.call("HELLO", resp);
    const out: string[] = [];
    for (const argv of cmds) out.push(await c.command(...argv));
    return out;
  } finally {
    c.close();
  }
}

for (const group of GROUPS) {
  Deno.test({
    name: `diff: COMMAND INFO, DOCS and GETKEYSANDFLAGS of every ${group} command`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const known = await redisCommands(redis!.port);
      const ours = await respiteNames(respite.port);
      // The subcommands a container's replies are compared by.
      const both = new Set([...ours].filter((n) => known.commands.has(n)));
      const cmds: string[][] = [];
      for (const [name, { group: g, args }] of known.commands) {
        if (g !== group || !ours.has(name)) continue;
        cmds.push(["COMMAND", "INFO", name], ["COMMAND", "DOCS", name]);
        const words = name.split("|");
        for (const full of [false, true]) {
          cmds.push(["COMMAND", "GETKEYSANDFLAGS", ...words, ...argvFrom(args, full, { n: 0 })]);
        }
      }
      // Every difference is listed, not just the first.
      const diffs: string[] = [];
      const clip = (s: string) => JSON.stringify(s.length > 400 ? s.slice(0, 400) + "..." : s);
      for (const resp of ["2", "3"] as const) {
        const a = await replies(respite.port, resp, cmds);
        const b = await replies(redis!.port, resp, cmds);
        for (let i = 0; i < cmds.length; i++) {
          const kind = cmds[i]![1]!;
          if (kind === "INFO" || kind === "DOCS") {
            a[i] = comparableSubcommands(kind, a[i]!, both);
            b[i] = comparableSubcommands(kind, b[i]!, both);
          }
          if (a[i] === b[i]) continue;
          diffs.push(
            `RESP${resp} ${cmds[i]!.join(" ")}\n  respite: ${clip(a[i]!)}\n  redis:   ${
              clip(b[i]!)
            }`,
          );
        }
      }
      assertEquals(diffs.length, 0, `${diffs.length} differences:\n${diffs.join("\n")}`);
    },
  });
}
