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
