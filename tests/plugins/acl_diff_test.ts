/**
 * ACL against the real redis-server: the same scripts (several clients
 * each) run on both, and the replies must match. Rule strings are compared
 * with their single-command rules sorted, because Redis renders those in
 * its command hash table's order, which differs from run to run; ACL LOG
 * entries are compared on their deterministic fields.
 *
 * @module
 */

import { hasRedis, RawClient, type Reply, sharedServers } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

/** A step: a command for a client (default "a"), and how to compare it. */
interface Step {
  c?: string;
  cmd: string[];
  /** exact (default, rules normalised), unordered, shape, log. */
  cmp?: "unordered" | "shape" | "log";
}

/** Sorts runs of single-command rules (`+get -set`) inside a rule string. */
function normRules(s: string): string {
  if (!/[+-]@all\b/.test(s)) return s;
  const toks = s.replace(/\(/g, "( ").replace(/\)/g, " )").split(" ");
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const t of toks) {
    if (/^[+-][^@]/.test(t)) run.push(t);
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out.join(" ");
}

function norm(r: Reply): Reply {
  if (typeof r === "string") return normRules(r);
  if (Array.isArray(r)) return r.map(norm);
  if (r !== null && typeof r === "object" && "map" in r) {
    return { map: r.map.map(([k, v]) => [norm(k), norm(v)] as [Reply, Reply]) };
  }
  if (r !== null && typeof r === "object" && "set" in r) return { set: r.set.map(norm) };
  return r;
}

function shape(r: Reply): Reply {
  if (Array.isArray(r)) return r.map(shape);
  if (r === null) return null;
  if (typeof r === "object") return "error" in r ? { error: "" } : "map";
  return typeof r;
}

/** ACL LOG entries: deterministic fields plus a few client-info fields. */
function logView(r: Reply): Reply {
  if (!Array.isArray(r)) return r;
  return r.map((e) => {
    const m = new Map<string, Reply>();
    const pairs = Array.isArray(e)
      ? e.flatMap((_, i) => i % 2 === 0 ? [[e[i], e[i + 1]] as [Reply, Reply]] : [])
      : (e as { map: [Reply, Reply][] }).map;
    for (const [k, v] of pairs) m.set(String(k), v);
    const info = String(m.get("client-info"));
    const field = (f: string) => new RegExp(`(?:^| )${f}=(\\S*)`).exec(info)?.[1] ?? "?";
    return [
      [...m.keys()].join(","),
      m.get("count")!,
      m.get("reason")!,
      m.get("context")!,
      m.get("object")!,
      m.get("username")!,
      typeof m.get("age-seconds"),
      `cmd=${field("cmd")} user=${field("user")} flags=${field("flags")} db=${field("db")}`,
    ];
  });
}

async function runScript(port: number, script: readonly Step[]): Promise<Reply[]> {
  const clients = new Map<string, RawClient>();
  const out: Reply[] = [];
  try {
    for (const step of script) {
      const who = step.c ?? "a";
      let c = clients.get(who);
      if (c === undefined) {
        c = await RawClient.connect(port);
        clients.set(who, c);
      }
      let r: Reply;
      try {
        r = await c.call(...step.cmd);
      } catch (e) {
        r = { error: `connection: ${(e as Error).message}` };
        clients.delete(who);
      }
      if (step.cmp === "unordered" && Array.isArray(r)) {
        r = [...r].sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1);
      } else if (step.cmp === "shape") r = shape(r);
      else if (step.cmp === "log") r = logView(r);
      out.push(norm(r));
    }
  } finally {
    for (const c of clients.values()) c.close();
    // Leave the server as found: no password, only the default user.
    const admin = await RawClient.connect(port);
    await admin.call("AUTH", "default", "adminpw");
    await admin.call("CONFIG", "SET", "requirepass", "");
    await admin.call("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all");
    const users = await admin.call("ACL", "USERS");
    for (const u of users as string[]) if (u !== "default") await admin.call("ACL", "DELUSER", u);
    await admin.call("ACL", "LOG", "RESET");
    await admin.call("FLUSHALL");
    admin.close();
  }
  return out;
}

function aclDiff(name: string, script: readonly Step[]): void {
  Deno.test({
    name: `acl diff: ${name}`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const ours = await runScript(respite.port, script);
      const theirs = await runScript(redis!.port, script);
      for (let i = 0; i < script.length; i++) {
        const s = script[i]!;
        assertEquals(ours[i], theirs[i], `step ${i}: ${s.c ?? "a"} ${JSON.stringify(s.cmd)}`);
      }
    },
  });
}

const S = (...cmd: string[]): Step => ({ cmd });
const As = (c: string, ...cmd: string[]): Step => ({ c, cmd });
const H64 = "0123456789abcdef".repeat(4);

aclDiff("setuser, getuser, list, users", [
  S("ACL", "LIST"),
  S("ACL", "GETUSER", "default"),
  S(
    "ACL",
    "SETUSER",
    "alice",
    "on",
    ">p1",
    ">p2",
    ">p1",
    "<p1",
    "~k*",
    "%R~r*",
    "%W~w*",
    "%RW~b*",
    "&ch*",
    "-@all",
    "+@hash",
    "+get",
    "+config|get",
    "+select|0",
  ),
  S("ACL", "GETUSER", "alice"),
  S("ACL", "LIST"),
  S("ACL", "SETUSER", "alice", "#" + H64, "!" + H64, "resetpass", "nopass"),
  S("ACL", "GETUSER", "alice"),
  S("ACL", "SETUSER", "alice", "#" + H64, ">x"),
  S("ACL", "GETUSER", "alice"),
  S("ACL", "SETUSER", "bob", "+@all", "-@dangerous", "allkeys", "allchannels"),
  S("ACL", "SETUSER", "bob2", "+@all", "-@write", "-@admin"),
  S("ACL", "SETUSER", "bob3", "-@all", "+@hash", "+@list", "-lpush"),
  S("ACL", "SETUSER", "bob4", "ON", "NOPASS", "ALLKEYS", "+GET", "+Config|Get", "-@ALL", "+SET"),
  S("ACL", "SETUSER", "bob5", "allcommands", "-flushall", "-config|set", "-get", "+get"),
  S("ACL", "SETUSER", "bob6", "nocommands", "+config", "-config|set", "+client|id"),
  S("ACL", "SETUSER", "bob7", "-@all", "+select|0", "+select|1", "+select|0", "+get|x", "+set"),
  S("ACL", "SETUSER", "bob8", "%R~", "%R", "~", "&", "%w~a", "%R~a", "~c", "%W~c"),
  S("ACL", "SETUSER", "bob9", "skip-sanitize-payload", "off", ""),
  S("ACL", "LIST"),
  S("ACL", "USERS"),
  S("ACL", "GETUSER", "bob6"),
  S("ACL", "GETUSER", "bob7"),
  S("ACL", "GETUSER", "bob8"),
  S("ACL", "SETUSER", "bob", "reset"),
  S("ACL", "GETUSER", "bob"),
  S("ACL", "SETUSER", "bob2", "+@all"),
  S("ACL", "GETUSER", "bob2"),
  S("ACL", "SETUSER", "bob2", "nocommands", "~*", "resetkeys", "&*", "resetchannels", "&x"),
  S("ACL", "GETUSER", "bob2"),
  S("ACL", "GETUSER", "nobody"),
  S("ACL", "DELUSER", "bob", "nobody", "bob2"),
  S("ACL", "USERS"),
  S("ACL", "WHOAMI"),
]);

aclDiff("selectors", [
  S("ACL", "SETUSER", "sel", "on", "(~x* +@string)", "(+hget ~h*)", "(~y", "%R~z", "+get)", "()"),
  S("ACL", "GETUSER", "sel"),
  S("ACL", "LIST"),
  S("ACL", "SETUSER", "sel", "(", ")", '(~a "+ge)'),
  S("ACL", "GETUSER", "sel"),
  S("ACL", "SETUSER", "sel", "clearselectors"),
  S("ACL", "LIST"),
  S("ACL", "SETUSER", "sel", "(~x +get)", "(&c* +publish)"),
  S("ACL", "DRYRUN", "sel", "get", "x"),
  S("ACL", "DRYRUN", "sel", "get", "y"),
  S("ACL", "DRYRUN", "sel", "set", "x", "1"),
  S("ACL", "DRYRUN", "sel", "publish", "cx", "m"),
  S("ACL", "DRYRUN", "sel", "publish", "dx", "m"),
]);

aclDiff("setuser and other subcommand errors", [
  S("ACL", "SETUSER", "e", "foo"),
  S("ACL", "SETUSER", "e", "+nosuch"),
  S("ACL", "SETUSER", "e", "+@nosuch"),
  S("ACL", "SETUSER", "e", "-select|0"),
  S("ACL", "SETUSER", "e", "+acl|nosub"),
  S("ACL", "SETUSER", "e", "+config|get|x"),
  S("ACL", "SETUSER", "e", "+select|"),
  S("ACL", "SETUSER", "e", "~*", "~x"),
  S("ACL", "SETUSER", "e", "&*", "&x"),
  S("ACL", "SETUSER", "e", "<nope"),
  S("ACL", "SETUSER", "e", "#abc"),
  S("ACL", "SETUSER", "e", "!" + H64.toUpperCase()),
  S("ACL", "SETUSER", "e", "%X~x"),
  S("ACL", "SETUSER", "e", "%~x"),
  S("ACL", "SETUSER", "e", "%RR~x"),
  S("ACL", "SETUSER", "e", "~a b"),
  S("ACL", "SETUSER", "e", "(~x"),
  S("ACL", "SETUSER", "e", "on", "(~x", "+get"),
  S("ACL", "SETUSER", "e", "(~x +nosuch)"),
  S("ACL", "SETUSER", "e", '("~x y")'),
  S("ACL", "SETUSER", "e f", "on"),
  S("ACL", "SETUSER", "e\tf"),
  S("ACL", "USERS"),
  S("ACL", "SETUSER", "e", "on", "+get", "bad"),
  S("ACL", "USERS"),
  S("ACL", "DELUSER", "default"),
  S("ACL", "DELUSER", "x", "default"),
  S("ACL", "CAT", "nosuch"),
  S("ACL", "CAT", "a", "b"),
  S("ACL", "GENPASS", "0"),
  S("ACL", "GENPASS", "4097"),
  S("ACL", "GENPASS", "x"),
  S("ACL", "GENPASS", "1", "2"),
  S("ACL", "LOG", "x"),
  S("ACL", "LOG", "1", "2"),
  S("ACL", "LOG", "-1"),
  S("ACL", "SAVE"),
  S("ACL", "LOAD"),
  S("ACL", "NOSUB"),
  S("ACL"),
  S("ACL", "WHOAMI", "x"),
  S("ACL", "USERS", "x"),
  S("ACL", "LIST", "x"),
  S("ACL", "GETUSER"),
  S("ACL", "SETUSER"),
  S("ACL", "DELUSER"),
  S("ACL", "DRYRUN", "default"),
  S("ACL", "DRYRUN", "nouser", "get", "x"),
  S("ACL", "DRYRUN", "default", "nosuch"),
  S("ACL", "DRYRUN", "default", "get"),
  S("ACL", "DRYRUN", "default", "config", "nosub"),
  S("ACL", "DRYRUN", "default", "config"),
  S("ACL", "DRYRUN", "default", "get", "x"),
  S("ACL", "HELP"),
  S("ACL", "HELP", "x"),
]);

aclDiff("genpass, cat", [
  { cmd: ["ACL", "GENPASS"], cmp: "shape" },
  { cmd: ["ACL", "GENPASS", "5"], cmp: "shape" },
  { cmd: ["ACL", "CAT"], cmp: "unordered" },
  { cmd: ["ACL", "CAT", "transaction"], cmp: "unordered" },
  { cmd: ["ACL", "CAT", "Transaction"], cmp: "unordered" },
  { cmd: ["ACL", "CAT", "pubsub"], cmp: "unordered" },
  { cmd: ["ACL", "CAT", "list"], cmp: "unordered" },
  { cmd: ["ACL", "CAT", "hash"], cmp: "unordered" },
]);

aclDiff("permission checks on commands, keys and channels", [
  S(
    "ACL",
    "SETUSER",
    "u",
    "on",
    ">pw",
    "~k*",
    "%R~r*",
    "%W~w*",
    "&ch*",
    "+@all",
    "-flushall",
    "-config|set",
    "-select",
    "+select|0",
  ),
  As("u", "GET", "k"),
  As("u", "AUTH", "u", "bad"),
  As("u", "AUTH", "nobody", "pw"),
  As("u", "AUTH", "u", "pw"),
  As("u", "ACL", "WHOAMI"),
  As("u", "SET", "k1", "v"),
  As("u", "GET", "k1"),
  As("u", "GET", "other"),
  As("u", "GET", "r1"),
  As("u", "SET", "r1", "v"),
  As("u", "SET", "w1", "v"),
  As("u", "GET", "w1"),
  As("u", "APPEND", "w1", "v"),
  As("u", "DEL", "w1"),
  As("u", "EXISTS", "w1"),
  As("u", "LPUSH", "w2", "a"),
  As("u", "MSET", "k1", "v", "zz", "v"),
  As("u", "MGET", "k1", "r1"),
  As("u", "RENAME", "k1", "w3"),
  As("u", "RENAME", "w3", "r2"),
  As("u", "COPY", "r1", "w4"),
  As("u", "SORT", "r1"),
  As("u", "SORT", "k1", "STORE", "r9"),
  As("u", "FLUSHALL"),
  As("u", "CONFIG", "SET", "maxmemory", "0"),
  As("u", "CONFIG", "GET", "maxmemory"),
  As("u", "SELECT", "1"),
  As("u", "SELECT", "0"),
  As("u", "PUBLISH", "other", "m"),
  As("u", "PUBLISH", "ch1", "m"),
  As("u", "SPUBLISH", "x", "m"),
  As("u", "SUBSCRIBE", "ch1", "other"),
  As("u", "PSUBSCRIBE", "ch*", "c*"),
  As("u", "PSUBSCRIBE", "ch?"),
  As("u", "SSUBSCRIBE", "ch1", "ch2"),
  As("u", "PING"),
  { cmd: ["ACL", "LOG"], cmp: "log" },
  S("ACL", "LOG", "RESET"),
  S("ACL", "LOG"),
]);

aclDiff("transactions: refusals abort EXEC, EXEC re-checks", [
  S("ACL", "SETUSER", "t", "on", "nopass", "~k*", "&ch*", "+@all"),
  As("t", "AUTH", "t", "x"),
  As("t", "MULTI"),
  As("t", "GET", "other"),
  As("t", "SET", "k1", "v"),
  As("t", "EXEC"),
  As("t", "MULTI"),
  As("t", "SET", "k1", "v"),
  As("t", "GET", "k2"),
  As("t", "PUBLISH", "ch1", "x"),
  As("t", "INCR", "k3"),
  S("ACL", "SETUSER", "t", "-get", "resetkeys", "~k2", "~k3", "resetchannels"),
  As("t", "EXEC"),
  As("t", "GET", "k3"),
  { cmd: ["ACL", "LOG"], cmp: "log" },
]);

/** A command's calls and failed calls in INFO commandstats (EVAL STATS 0 <name>). */
const STATS = "local s = redis.call('INFO', 'commandstats') " +
  "return (string.match(s, 'cmdstat_' .. ARGV[1] .. ':calls=%d+') or 'none') .. ' ' .. " +
  "(string.match(s, 'cmdstat_' .. ARGV[1] .. ':[^\\r]*(failed_calls=%d+)') or '')";

aclDiff("EXEC checks each queued command when its turn comes", [
  S("CONFIG", "RESETSTAT"),
  S("ACL", "SETUSER", "q", "on", "nopass", "~*", "&*", "+@all"),
  As("q", "AUTH", "q", "x"),
  As("q", "MULTI"),
  As("q", "SET", "k", "1"),
  As("q", "ACL", "SETUSER", "q", "-get", "resetchannels"),
  As("q", "GET", "k"),
  As("q", "PUBLISH", "ch", "m"),
  As("q", "INCR", "k"),
  As("q", "EXEC"),
  { cmd: ["ACL", "LOG"], cmp: "log" },
  // EXEC did not fail and the refused commands were not called.
  S("EVAL", STATS, "0", "exec"),
  S("EVAL", STATS, "0", "get"),
  S("EVAL", STATS, "0", "publish"),
  S("EVAL", "return string.match(redis.call('INFO', 'errorstats'), 'NOPERM:count=%d+')", "0"),
]);

aclDiff("requirepass is the default user's password; NOAUTH, WRONGPASS", [
  S("CONFIG", "SET", "requirepass", "adminpw"),
  S("ACL", "LIST"),
  S("CONFIG", "GET", "requirepass"),
  As("n", "GET", "x"),
  As("n", "ACL", "WHOAMI"),
  As("n", "HELLO", "3"),
  As("n", "AUTH", "wrong"),
  As("n", "AUTH", "default", "wrong"),
  As("n", "HELLO", "2", "AUTH", "default", "wrong"),
  As("n", "AUTH", "adminpw"),
  As("n", "ACL", "WHOAMI"),
  S("ACL", "SETUSER", "default", "resetpass", ">other"),
  S("CONFIG", "GET", "requirepass"),
  S("ACL", "GETUSER", "default"),
  As("m", "AUTH", "adminpw"),
  As("m", "AUTH", "other"),
  S("CONFIG", "SET", "requirepass", ""),
  S("ACL", "GETUSER", "default"),
  As("p", "AUTH", "x"),
  S("ACL", "SETUSER", "default", "off"),
  As("q", "GET", "x"),
  As("q", "AUTH", "default", "x"),
  S("ACL", "SETUSER", "default", "on"),
  As("q", "GET", "x"),
  { cmd: ["ACL", "LOG"], cmp: "log" },
]);

aclDiff("deluser disconnects the user's clients", [
  S("ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"),
  As("g", "AUTH", "gone", "x"),
  As("g", "PING"),
  S("ACL", "DELUSER", "gone"),
  As("g", "PING"),
  As("h", "AUTH", "gone", "x"),
]);

aclDiff("revoked channels disconnect subscribers", [
  S("ACL", "SETUSER", "sub", "on", "nopass", "+@all", "~*", "resetchannels", "&news*", "&x"),
  As("s", "AUTH", "sub", "x"),
  As("s", "SUBSCRIBE", "news1"),
  As("s2", "AUTH", "sub", "x"),
  As("s2", "PSUBSCRIBE", "x"),
  S("ACL", "SETUSER", "sub", "&more"),
  S("PUBLISH", "news1", "still"),
  As("s", "PING"),
  S("ACL", "SETUSER", "sub", "resetchannels", "&news*"),
  As("s", "PING"),
  As("s2", "PING"),
]);

aclDiff("RESP3 replies: GETUSER map and set, LOG map and double", [
  S("ACL", "SETUSER", "r3", "on", ">x", "~k", "(~y +get)", "-@all", "+set"),
  { c: "r", cmd: ["HELLO", "3"], cmp: "shape" },
  As("r", "ACL", "GETUSER", "r3"),
  As("r", "ACL", "GETUSER", "nobody"),
  As("r", "AUTH", "r3", "bad"),
  { c: "r", cmd: ["ACL", "LOG"], cmp: "log" },
  As("r", "ACL", "DRYRUN", "r3", "get", "y"),
  As("r", "ACL", "CAT", "nosuch"),
]);
