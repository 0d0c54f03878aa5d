/**
 * Client tracking (client-side caching): sessions of several connections
 * compared with a real redis-server, pushes included (CLIENT TRACKING's
 * modes and errors, invalidations by writes, flushes, expiry, eviction and
 * the table's limit, redirection to RESP2 and RESP3 connections, CLIENT
 * LIST and INFO); node-redis's client-side cache over RESP3; a raw RESP2
 * connection receiving redirected invalidations.
 *
 * @module
 */

// node-redis 5 has the client-side cache (deno.json maps "redis" to 4.x,
// which other tests use).
// deno-lint-ignore no-import-prefix
import { createClient } from "npm:redis@5.12.4";
import {
  encodeCommand,
  hasRedis,
  RawClient,
  type Reply,
  sharedServers,
  sleep,
  startRespite,
  until,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

// ---------------------------------------------------------------------------
// Differential sessions. Client ids differ between the two servers: an
// argument `{ id: k }` is client k's id, and where a reply may hold ids
// (`ids: true`) they read back as `{ id: k }`.

type Arg = string | { id: number };

type TStep =
  /** Client n sends a command; its next reply is compared. */
  | readonly [number, ...Arg[]]
  | {
    cmd: readonly [number, ...Arg[]];
    /** Client ids in the reply are compared as `{ id: k }`. */
    ids?: boolean;
    /** Compares only what this extracts from the reply. */
    pick?: (r: Reply) => Reply;
  }
  /** Sends without reading a reply (CLIENT REPLY OFF). */
  | { send: readonly [number, ...Arg[]] }
  /** What client n received on its own within `ms` (default 100). */
  | { read: number; ms?: number; ids?: boolean; pick?: (r: Reply[]) => Reply }
  /** Closes client n. */
  | { close: number }
  | { sleep: number };

interface SessionOpts {
  clients?: number;
  /** Clients switched to RESP3 (HELLO 3) before the session. */
  resp3?: readonly number[];
  /** Commands run on a fresh connection after the session, passed or failed. */
  cleanup?: readonly string[][];
}

/** Replaces the session's client ids found in a reply. */
function withIds(r: Reply, ids: readonly number[]): Reply {
  if (typeof r === "number") {
    const k = ids.indexOf(r);
    return k === -1 ? r : `{id ${k}}`;
  }
  if (Array.isArray(r)) return r.map((x) => withIds(x, ids));
  if (r !== null && typeof r === "object") {
    if ("map" in r) return { map: r.map.map(([k, v]) => [withIds(k, ids), withIds(v, ids)]) };
    if ("set" in r) return { set: r.set.map((x) => withIds(x, ids)) };
    if ("push" in r) return { push: r.push.map((x) => withIds(x, ids)) };
  }
  return r;
}

async function runTracking(
  port: number,
  steps: readonly TStep[],
  opts: SessionOpts,
): Promise<Reply[]> {
  const n = opts.clients ?? 2;
  const clients: (RawClient | undefined)[] = await Promise.all(
    Array.from({ length: n }, () => RawClient.connect(port)),
  );
  const ids: number[] = [];
  const argv = (args: readonly Arg[]) =>
    args.map((a) => typeof a === "string" ? a : String(ids[a.id]));
  try {
    for (const c of clients) ids.push(await c!.call("CLIENT", "ID") as number);
    for (const k of opts.resp3 ?? []) await clients[k]!.call("HELLO", "3");
    await clients[0]!.call("FLUSHALL");
    const out: Reply[] = [];
    for (const step of steps) {
      if ("sleep" in step) {
        await sleep(step.sleep);
      } else if ("close" in step) {
        clients[step.close]!.close();
        clients[step.close] = undefined;
        // Redis frees the client on its next event loop turn.
        await sleep(50);
      } else if ("send" in step) {
        const [k, ...args] = step.send;
        await clients[k]!.write(encodeCommand(argv(args)));
      } else if ("read" in step) {
        const r: Reply[] = await clients[step.read]!.pending(step.ms ?? 100);
        const picked = step.pick ? step.pick(r) : r;
        out.push(step.ids ? withIds(picked, ids) : picked);
      } else {
        const cmd = "cmd" in step ? step.cmd : step;
        const [k, ...args] = cmd;
        let r = await clients[k]!.call(...argv(args));
        if ("cmd" in step) {
          if (step.pick) r = step.pick(r);
          if (step.ids) r = withIds(r, ids);
        }
        out.push(r);
      }
    }
    return out;
  } finally {
    for (const c of clients) c?.close();
    if (opts.cleanup !== undefined) {
      const c = await RawClient.connect(port);
      for (const a of opts.cleanup) await c.call(...a).catch(() => {});
      c.close();
    }
  }
}

function label(step: TStep | undefined): string {
  if (step === undefined) return "?";
  return JSON.stringify("cmd" in step ? step.cmd : step);
}

/** Registers a session run on Respite and on redis-server, replies compared one by one. */
function diffTracking(name: string, steps: readonly TStep[], opts: SessionOpts = {}): void {
  const compared = steps.filter((s) => !("send" in s) && !("close" in s) && !("sleep" in s));
  Deno.test({
    name: `diff: tracking: ${name}`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const ours = await runTracking(respite.port, steps, opts);
      const theirs = await runTracking(redis!.port, steps, opts);
      for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
        assertEquals(ours[i], theirs[i], `step ${i}: ${label(compared[i])}`);
      }
    },
  });
}

/** The `name:value` fields of an INFO reply. */
const infoFields = (...names: string[]) => (r: Reply): Reply => {
  const text = typeof r === "string" ? r : (r as { verbatim: string }).verbatim;
  return names.map((n) => new RegExp(`^${n}:(.*)\r?$`, "m").exec(text)?.[1] ?? "absent");
};

/** A client's CLIENT LIST fields `flags` and `redir`, by its id. */
const listFields = (r: Reply): Reply => {
  const text = typeof r === "string" ? r : (r as { verbatim: string }).verbatim;
  return text.trim().split("\n").map((line) => {
    const f = /flags=(\S+)/.exec(line)?.[1] ?? "";
    return [f, Number(/redir=(\S+)/.exec(line)?.[1])];
  });
};

// ---------------------------------------------------------------------------
// The commands: options, errors in Redis's order, CLIENT TRACKINGINFO

diffTracking("CLIENT TRACKING options and errors, TRACKINGINFO and GETREDIR (RESP2)", [
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "GETREDIR"],
  [0, "CLIENT", "TRACKING"],
  [0, "CLIENT", "TRACKING", "maybe"],
  [0, "CLIENT", "TRACKING", "ON", "foo"],
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT"],
  [0, "CLIENT", "TRACKING", "ON", "PREFIX"],
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT", "x"],
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT", "0"],
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT", "99999"],
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT", { id: 1 }, "REDIRECT", { id: 1 }],
  [0, "CLIENT", "TRACKING", "OFF", "REDIRECT", "99999"],
  [0, "CLIENT", "TRACKING", "OFF", "BCAST", "PREFIX", "a", "PREFIX", "ab"],
  [0, "CLIENT", "TRACKING", "ON", "OPTIN", "PREFIX", "x"],
  [0, "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT", "PREFIX", "x"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN", "OPTOUT"],
  [0, "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "a"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "CLIENT", "CACHING", "maybe"],
  [0, "CLIENT", "CACHING", "YES", "extra"],
  { cmd: [0, "CLIENT", "TRACKING", "on", "redirect", { id: 1 }, "noloop"] },
  { cmd: [0, "CLIENT", "TRACKINGINFO"], ids: true },
  { cmd: [0, "CLIENT", "GETREDIR"], ids: true },
  [0, "CLIENT", "TRACKING", "ON", "BCAST"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "CLIENT", "CACHING", "NO"],
  [0, "CLIENT", "CACHING", "maybe"],
  [0, "CLIENT", "TRACKING", "ON", "OPTIN"],
  [0, "CLIENT", "TRACKING", "ON", "OPTOUT"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "CACHING", "NO"],
  [0, "PING"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "TRACKING", "OFF"],
  [0, "CLIENT", "TRACKING", "ON", "OPTOUT", "NOLOOP"],
  [0, "CLIENT", "CACHING", "NO"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "TRACKING", "OFF"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "xyz", "PREFIX", "bb"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", ""],
  [0, "CLIENT", "TRACKING", "ON", "OPTIN"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "TRACKING", "OFF"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST"],
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "TRACKING", "OFF"],
  [0, "CLIENT", "TRACKINGINFO"],
  [0, "CLIENT", "GETREDIR"],
  [0, "CLIENT", "CACHING", "YES"],
]);

diffTracking("CLIENT TRACKINGINFO in RESP3; RESET turns tracking off", [
  [0, "CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "CLIENT", "TRACKINGINFO"],
  { cmd: [1, "CLIENT", "LIST"], pick: listFields },
  { cmd: [0, "INFO", "clients"], pick: infoFields("tracking_clients") },
  [0, "RESET"],
  [0, "CLIENT", "TRACKINGINFO"],
  { cmd: [1, "CLIENT", "LIST"], pick: listFields },
  { cmd: [1, "INFO", "clients"], pick: infoFields("tracking_clients") },
], { resp3: [0] });

// ---------------------------------------------------------------------------
// Invalidations of remembered keys (RESP3 pushes)

diffTracking("RESP3: reads are remembered, a change of any of them pushes once", [
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "a"],
  [0, "MGET", "b", "c"],
  [0, "HGET", "h", "f"],
  [1, "SET", "a", "1"],
  { read: 0 },
  [1, "SET", "a", "2"],
  { read: 0 },
  [1, "MSET", "b", "1", "c", "2"],
  { read: 0 },
  [1, "HSET", "h", "f", "v"],
  { read: 0 },
  [1, "RPUSH", "l", "x"],
  [0, "GET", "l"],
  [1, "DEL", "l"],
  { read: 0 },
  [0, "EXISTS", "e1", "e2"],
  [0, "TYPE", "t"],
  [1, "SET", "e2", "v"],
  [1, "SET", "t", "v"],
  { read: 0 },
  [0, "GET", "r"],
  [1, "SET", "r", "v"],
  { read: 0 },
  [0, "GET", "r"],
  [1, "RENAME", "r", "r2"],
  { read: 0 },
  { cmd: [1, "INFO", "stats"], pick: infoFields("tracking_total_keys", "tracking_total_items") },
], { resp3: [0] });

diffTracking("RESP3: the client's own changes are pushed after the reply, unless NOLOOP", [
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "a"],
  [0, "SET", "a", "1"],
  { read: 0 },
  [0, "GET", "a"],
  [0, "GET", "b"],
  [0, "MULTI"],
  [0, "GET", "a"],
  [0, "SET", "a", "2"],
  [0, "SET", "b", "2"],
  [0, "EXEC"],
  { read: 0 },
  [0, "GET", "a"],
  [0, "EVAL", "redis.call('set', KEYS[1], 'v') return 1", "1", "a"],
  { read: 0 },
  [0, "CLIENT", "TRACKING", "ON", "NOLOOP"],
  [0, "GET", "a"],
  [0, "SET", "a", "3"],
  { read: 0 },
  [1, "SET", "a", "4"],
  { read: 0 },
], { resp3: [0] });

diffTracking(
  "RESP3: pipelined, each invalidation follows the reply of the command that caused it",
  [
    [0, "CLIENT", "TRACKING", "ON"],
    [0, "GET", "a"],
    { send: [0, "SET", "a", "1"] },
    { send: [0, "GET", "a"] },
    { send: [0, "SET", "a", "2"] },
    { send: [0, "MGET", "a", "b"] },
    { send: [0, "MSET", "a", "3", "b", "3"] },
    { read: 0, ms: 300 },
  ],
  { resp3: [0] },
);

diffTracking("RESP3: tracking turned on inside a transaction", [
  [0, "MULTI"],
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "a"],
  [0, "SET", "a", "1"],
  [0, "GET", "a"],
  [0, "EXEC"],
  { read: 0 },
  [1, "SET", "a", "2"],
  { read: 0 },
], { resp3: [0] });

diffTracking("RESP3: a script's reads remember the keys it declared, for its caller", [
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "EVAL", "return redis.call('get', KEYS[1])", "1", "s1"],
  [0, "EVAL_RO", "return redis.call('get', 's2')", "1", "s3"],
  [0, "EVAL", "return 1", "1", "s4"],
  [0, "EVAL_RO", "return 1", "1", "s5"],
  [0, "EVAL", "redis.call('set', KEYS[1], 1) return redis.call('get', KEYS[2])", "2", "s6", "s7"],
  [0, "EVAL", "return redis.call('get', 's8')", "0"],
  [0, "EVALSHA_RO", "0000000000000000000000000000000000000000", "1", "s9"],
  [0, "MULTI"],
  [0, "EVAL", "return redis.call('get', KEYS[1])", "1", "s10"],
  [0, "GET", "s11"],
  [0, "EXEC"],
  [
    1,
    "MSET",
    ...["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"].flatMap((
      k,
    ) => [k, "1"]),
  ],
  { read: 0 },
  [
    0,
    "FUNCTION",
    "LOAD",
    "REPLACE",
    "#!lua name=tracking_test\n" +
    "redis.register_function{function_name='tracking_rd', flags={'no-writes'}, " +
    "callback=function(keys, args) return redis.call('get', 'f3') end}",
  ],
  [0, "FCALL_RO", "tracking_rd", "1", "f1"],
  [0, "FCALL", "tracking_rd", "1", "f2"],
  [1, "MSET", "f1", "1", "f2", "2", "f3", "3"],
  { read: 0 },
  [0, "FUNCTION", "DELETE", "tracking_test"],
], { resp3: [0] });

diffTracking("RESP3: FLUSHDB and FLUSHALL push a null, once, even when empty; SWAPDB nothing", [
  [0, "CLIENT", "TRACKING", "ON"],
  [1, "FLUSHDB"],
  { read: 0 },
  [1, "SELECT", "5"],
  [1, "FLUSHDB"],
  { read: 0 },
  [1, "SET", "k", "v"],
  [1, "SELECT", "0"],
  [1, "SET", "k", "v"],
  [1, "FLUSHALL"],
  { read: 0 },
  [1, "FLUSHALL", "bad"],
  { read: 0 },
  [0, "GET", "a"],
  [1, "SWAPDB", "0", "1"],
  { read: 0 },
  [0, "FLUSHDB"],
  { read: 0 },
  [1, "MULTI"],
  [1, "FLUSHDB"],
  [1, "FLUSHALL"],
  [1, "EXEC"],
  { read: 0 },
  [0, "GET", "a"],
  { cmd: [1, "INFO", "stats"], pick: infoFields("tracking_total_keys") },
  [1, "FLUSHALL"],
  { cmd: [1, "INFO", "stats"], pick: infoFields("tracking_total_keys") },
  { read: 0 },
], { resp3: [0] });

diffTracking("RESP3: an invalidation comes before the keyspace notification of the change", [
  [1, "CONFIG", "SET", "notify-keyspace-events", "KA"],
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "SUBSCRIBE", "__keyspace@0__:k"],
  [0, "GET", "k"],
  [1, "SET", "k", "1"],
  { read: 0 },
  [0, "GET", "k"],
  [0, "SET", "k", "2"],
  { read: 0 },
], { resp3: [0], cleanup: [["CONFIG", "SET", "notify-keyspace-events", ""]] });

diffTracking("RESP3: keys are tracked by name in every database", [
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "k"],
  [1, "SELECT", "3"],
  [1, "SET", "k", "v"],
  { read: 0 },
], { resp3: [0] });

diffTracking("RESP3: a key that expires is invalidated, lazily or by the cycle", [
  [1, "DEBUG", "SET-ACTIVE-EXPIRE", "0"],
  [0, "CLIENT", "TRACKING", "ON"],
  [1, "SET", "x", "v", "PX", "30"],
  [0, "GET", "x"],
  { sleep: 60 },
  [0, "GET", "x"],
  { read: 0 },
  [1, "DEBUG", "SET-ACTIVE-EXPIRE", "1"],
  [1, "SET", "y", "v", "PX", "30"],
  [0, "GET", "y"],
  { read: 0, ms: 600 },
], { resp3: [0], cleanup: [["DEBUG", "SET-ACTIVE-EXPIRE", "1"]] });

diffTracking("RESP3: an evicted key is invalidated", [
  [1, "SET", "big", "x".repeat(1000)],
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "big"],
  [1, "CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
  [1, "CONFIG", "SET", "maxmemory", "1"],
  {
    cmd: [1, "SET", "other", "v"],
    pick: (r: Reply) => typeof r === "object" && r !== null && "error" in r,
  },
  { read: 0 },
  [1, "CONFIG", "SET", "maxmemory", "0"],
], {
  resp3: [0],
  cleanup: [["CONFIG", "SET", "maxmemory", "0"], [
    "CONFIG",
    "SET",
    "maxmemory-policy",
    "noeviction",
  ]],
});

diffTracking("RESP3: OPTIN and OPTOUT follow CLIENT CACHING for one command or transaction", [
  [0, "CLIENT", "TRACKING", "ON", "OPTIN"],
  [0, "GET", "o1"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "GET", "o2"],
  [0, "GET", "o3"],
  [1, "MSET", "o1", "1", "o2", "2", "o3", "3"],
  { read: 0 },
  [0, "CLIENT", "CACHING", "YES"],
  [0, "CLIENT", "GETREDIR"],
  [0, "GET", "o4"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "NOSUCHCOMMAND"],
  [0, "GET", "o5"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "GET"],
  [0, "GET", "o6"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "MULTI"],
  [0, "GET", "o7"],
  [0, "NOSUCHCOMMAND"],
  [0, "DISCARD"],
  [0, "GET", "o8"],
  [0, "CLIENT", "CACHING", "YES"],
  [0, "MULTI"],
  [0, "GET", "o9"],
  [0, "GET", "o10"],
  [0, "EXEC"],
  [0, "GET", "o11"],
  [
    1,
    "MSET",
    "o4",
    "1",
    "o5",
    "1",
    "o6",
    "1",
    "o7",
    "1",
    "o8",
    "1",
    "o9",
    "1",
    "o10",
    "1",
    "o11",
    "1",
  ],
  { read: 0 },
  [0, "CLIENT", "TRACKING", "OFF"],
  [0, "CLIENT", "TRACKING", "ON", "OPTOUT"],
  [0, "GET", "p1"],
  [0, "CLIENT", "CACHING", "NO"],
  [0, "GET", "p2"],
  [0, "GET", "p3"],
  [1, "MSET", "p1", "1", "p2", "2", "p3", "3"],
  { read: 0 },
], { resp3: [0] });

diffTracking("RESP3: a client whose replies are off still gets invalidations", [
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "k"],
  { send: [0, "CLIENT", "REPLY", "OFF"] },
  [1, "SET", "k", "v"],
  { read: 0 },
  { send: [0, "GET", "k"] },
  { send: [0, "SET", "k", "w"] },
  { read: 0 },
  [0, "CLIENT", "REPLY", "ON"],
], { resp3: [0] });

// ---------------------------------------------------------------------------
// BCAST

diffTracking("BCAST: changes under the prefixes, one message per prefix, NOLOOP", [
  [0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x:", "PREFIX", "y:"],
  [1, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"],
  { cmd: [0, "INFO", "stats"], pick: infoFields("tracking_total_prefixes") },
  [1, "MSET", "y:2", "1", "x:b", "1", "x:a", "2", "z", "1"],
  { read: 0 },
  { read: 1 },
  [0, "SET", "y:1", "1"],
  { read: 0 },
  { read: 1 },
  [0, "GET", "x:a"],
  [1, "FLUSHALL"],
  { read: 0 },
  { read: 1 },
  { cmd: [0, "CLIENT", "LIST"], pick: listFields },
  [0, "CLIENT", "TRACKING", "OFF"],
  [1, "SET", "x:q", "1"],
  { read: 0 },
  { cmd: [0, "INFO", "stats"], pick: infoFields("tracking_total_prefixes") },
], { resp3: [0, 1] });

// ---------------------------------------------------------------------------
// REDIRECT

diffTracking(
  "REDIRECT: a RESP2 connection in subscribed mode gets messages on __redis__:invalidate",
  [
    [1, "SUBSCRIBE", "unrelated"],
    [2, "SUBSCRIBE", "__redis__:invalidate"],
    [0, "CLIENT", "TRACKING", "ON", "REDIRECT", { id: 1 }],
    [0, "GET", "a"],
    [0, "MGET", "b", "c"],
    [3, "SET", "a", "1"],
    { read: 1 },
    { read: 2 },
    [3, "MSET", "b", "1", "c", "2"],
    { read: 1 },
    [0, "GET", "a"],
    [3, "FLUSHALL"],
    { read: 1 },
    [0, "CLIENT", "TRACKING", "ON", "REDIRECT", { id: 3 }],
    [0, "GET", "a"],
    [3, "SET", "a", "2"],
    { read: 3 },
    { cmd: [3, "CLIENT", "LIST"], pick: listFields, ids: true },
    [0, "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", { id: 1 }],
    [0, "CLIENT", "TRACKING", "OFF"],
    [0, "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", { id: 1 }, "PREFIX", "p"],
    [3, "MSET", "p1", "1", "p2", "2", "q", "3"],
    { read: 1 },
  ],
  { clients: 4 },
);

diffTracking("REDIRECT: to a RESP3 connection, which gets pushes", [
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT", { id: 1 }],
  [0, "GET", "a"],
  [2, "SET", "a", "1"],
  { read: 1 },
  { read: 0 },
  [2, "FLUSHDB"],
  { read: 1 },
], { clients: 3, resp3: [1] });

diffTracking("REDIRECT: when the target is gone, tracking-redir-broken (RESP3)", [
  [0, "CLIENT", "TRACKING", "ON", "REDIRECT", { id: 1 }],
  [0, "GET", "a"],
  { close: 1 },
  [2, "SET", "a", "1"],
  { read: 0, ids: true },
  { cmd: [0, "CLIENT", "TRACKINGINFO"], ids: true },
  { cmd: [2, "CLIENT", "LIST"], pick: listFields, ids: true },
  [0, "GET", "a"],
  [2, "FLUSHALL"],
  { read: 0, ids: true },
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "CLIENT", "TRACKINGINFO"],
], { clients: 3, resp3: [0] });

diffTracking("a client that leaves stops tracking; its keys stay until they change", [
  [0, "CLIENT", "TRACKING", "ON"],
  [0, "GET", "gone"],
  { cmd: [1, "INFO", "clients"], pick: infoFields("tracking_clients") },
  { close: 0 },
  { cmd: [1, "INFO", "clients"], pick: infoFields("tracking_clients") },
  { cmd: [1, "INFO", "stats"], pick: infoFields("tracking_total_keys", "tracking_total_items") },
  [1, "SET", "gone", "v"],
  { cmd: [1, "INFO", "stats"], pick: infoFields("tracking_total_keys", "tracking_total_items") },
], { resp3: [0] });

// ---------------------------------------------------------------------------
// tracking-table-max-keys (Redis drops random keys: counts are compared)

const count = (r: Reply[]): Reply => r.length;

diffTracking("tracking-table-max-keys: keys over the limit are dropped and invalidated", [
  [0, "CONFIG", "GET", "tracking-table-max-keys"],
  [0, "CONFIG", "SET", "tracking-table-max-keys", "-1"],
  [0, "CONFIG", "SET", "tracking-table-max-keys", "x"],
  [0, "CONFIG", "SET", "tracking-table-max-keys", "9223372036854775807"],
  [0, "CONFIG", "SET", "tracking-table-max-keys", "2"],
  [1, "CLIENT", "TRACKING", "ON"],
  [1, "MGET", "k1", "k2", "k3", "k4", "k5"],
  { read: 1, ms: 400, pick: count },
  { cmd: [0, "INFO", "stats"], pick: infoFields("tracking_total_keys", "tracking_total_items") },
  [0, "CONFIG", "SET", "tracking-table-max-keys", "0"],
  [1, "MGET", "k6", "k7", "k8"],
  { read: 1, ms: 300, pick: count },
  { cmd: [0, "INFO", "stats"], pick: infoFields("tracking_total_keys", "tracking_total_items") },
], { resp3: [1], cleanup: [["CONFIG", "SET", "tracking-table-max-keys", "1000000"]] });

// ---------------------------------------------------------------------------
// Clients

Deno.test("tracking: node-redis's client-side cache (RESP3) is invalidated by other clients", async () => {
  const s = await startRespite();
  const cached = createClient({
    socket: { port: s.port },
    RESP: 3,
    clientSideCache: { ttl: 0, maxEntries: 0, evictPolicy: "LRU" },
  });
  const writer = createClient({ socket: { port: s.port } });
  try {
    await cached.connect();
    await writer.connect();
    await writer.set("k", "1");
    assertEquals(await cached.get("k"), "1");
    assertEquals(await cached.get("k"), "1");
    const csc = cached.clientSideCache!;
    assertEquals(csc.stats().hitCount, 1);
    assertEquals(csc.size(), 1);
    await writer.set("k", "2");
    await until("the invalidation", () => Promise.resolve(csc.size() === 0), 2000);
    assertEquals(await cached.get("k"), "2");
    await writer.flushAll();
    await until("the invalidation", () => Promise.resolve(csc.size() === 0), 2000);
    assertEquals(await cached.get("k"), null);
    const info = String(await writer.info("clients"));
    assertOk(info.includes("tracking_clients:1"), info);
  } finally {
    await cached.close().catch(() => {});
    await writer.close().catch(() => {});
    await s.close();
  }
});

Deno.test("tracking: a raw RESP2 connection gets redirected invalidations", async () => {
  const s = await startRespite();
  const sub = await RawClient.connect(s.port);
  const tracker = await RawClient.connect(s.port);
  const writer = await RawClient.connect(s.port);
  try {
    const subId = await sub.call("CLIENT", "ID") as number;
    assertEquals(await sub.call("SUBSCRIBE", "__redis__:invalidate"), [
      "subscribe",
      "__redis__:invalidate",
      1,
    ]);
    assertEquals(await tracker.call("CLIENT", "TRACKING", "ON", "REDIRECT", String(subId)), "OK");
    assertEquals(await tracker.call("GET", "k"), null);
    assertEquals(await writer.call("SET", "k", "v"), "OK");
    assertEquals(
      (await sub.read()).raw,
      "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n",
    );
    // Forgotten once invalidated, until read again.
    assertEquals(await writer.call("SET", "k", "w"), "OK");
    assertEquals(await sub.pending(), []);
    assertEquals(await writer.call("FLUSHALL"), "OK");
    assertEquals(
      (await sub.read()).raw,
      "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n",
    );
    // The tracking client itself, in RESP2, gets nothing.
    assertEquals(await tracker.pending(), []);
    const list = String(await writer.call("CLIENT", "LIST"));
    assertOk(list.includes(`flags=t db=0`) && list.includes(`redir=${subId} `), list);
  } finally {
    sub.close();
    tracker.close();
    writer.close();
    await s.close();
  }
});
