/**
 * RDB persistence in Respite: the shared fixture written by Redis 7.0,
 * start-up loading (missing and corrupt files), SAVE/BGSAVE/LASTSAVE, save
 * points, SHUTDOWN SAVE, INFO persistence, DEBUG RELOAD, the `rdb` service
 * and the codec's building blocks (CRC-64, LZF, listpack).
 */

import { join } from "node:path";
import { assertEquals, assertOk as assert } from "../_assert.ts";
import {
  diffDirty,
  hasRedis,
  RawClient,
  type Reply,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { ManualClock } from "../../mod.ts";
import { Crc64 } from "../../plugins/rdb/_crc64.ts";
import { OP, RdbEncoder } from "../../plugins/rdb/_encode.ts";
import { writeDbHeader, writeFooter, writeHeader, writeKey } from "../../plugins/rdb/_file.ts";
import { lzfCompress, lzfDecompress } from "../../plugins/rdb/_lzf.ts";
import { ListpackBuilder, readListpack, strictInt } from "../../plugins/rdb/_packed.ts";

const FIXTURE = new URL("../fixtures/rdb/basic.rdb", import.meta.url);
const FIXTURE_JSON = new URL("../fixtures/rdb/basic.json", import.meta.url);

type JsonBytes = string | { base64: string };
const bytesOf = (v: JsonBytes): string =>
  typeof v === "string"
    ? String.fromCharCode(...new TextEncoder().encode(v))
    : String.fromCharCode(...Uint8Array.from(atob(v.base64), (c) => c.charCodeAt(0)));

async function tempDirWith(files: Record<string, Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "respite-rdb-" });
  for (const [name, data] of Object.entries(files)) await Deno.writeFile(join(dir, name), data);
  return dir;
}

/** DUMP of the string "v", as redis-server 7.0 makes it. */
const DUMP_V = "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce";

diffDirty("RESTORE counts the key it creates or replaces, nothing when it fails", [
  ["RESTORE", "rk", "0", DUMP_V],
  ["RESTORE", "rk", "0", DUMP_V],
  ["RESTORE", "rk", "0", DUMP_V, "REPLACE"],
  // Expired on arrival: not created; an old key of that name is deleted.
  ["RESTORE", "rk2", "1", DUMP_V, "ABSTTL"],
  ["EXISTS", "rk2"],
  ["RESTORE", "rk", "1", DUMP_V, "ABSTTL", "REPLACE"],
  ["EXISTS", "rk"],
  ["RESTORE", "rk3", "1", DUMP_V, "ABSTTL", "REPLACE"],
  ["RESTORE", "rk", "100000", DUMP_V, "IDLETIME", "10"],
  ["RESTORE", "rk4", "0", DUMP_V, "FREQ", "5"],
  ["RESTORE", "rk5", "0", "garbage"],
  ["RESTORE", "rk", "0", "garbage", "REPLACE"],
  ["RESTORE", "rk6", "-1", DUMP_V],
  ["RESTORE", "rk6", "0", DUMP_V, "BAD"],
  ["DUMP", "rk"],
  ["DUMP", "none"],
  ["TYPE", "rk"],
]);

/**
 * Runs `run` against a fresh Respite and a fresh redis-server (debug
 * commands on: DEBUG RELOAD), for what a shared server's state would
 * disturb; [Respite's result, redis-server's].
 */
async function onFreshPair<T>(run: (port: number) => Promise<T>): Promise<[T, T]> {
  const respite = await startRespite({ config: { "enable-debug-command": "yes" } });
  const redis = await startRealRedis();
  try {
    return [await run(respite.port), await run(redis.port)];
  } finally {
    await respite.close();
    await redis.stop();
  }
}

Deno.test({
  name: "diff: dirty: SAVE and DEBUG RELOAD reset the change count, DEBUG RELOAD NOSAVE keeps it",
  ignore: !hasRedis,
  async fn() {
    // Fresh servers: what a save resets is every change made before it.
    const script = [
      ["SET", "x", "1"],
      ["RPUSH", "l", "a", "b"],
      ["SAVE"],
      ["SET", "x", "2"],
      ["DEBUG", "RELOAD"],
      ["SET", "x", "3"],
      ["DEBUG", "RELOAD", "NOSAVE"],
      ["GET", "x"],
      ["SAVE"],
    ];
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      const dirty = async () =>
        Number(
          /rdb_changes_since_last_save:(\d+)/.exec(
            await c.call("INFO", "persistence") as string,
          )![1],
        );
      try {
        const out: [Reply, number][] = [];
        for (const argv of script) {
          const before = await dirty();
          const reply = await c.call(...argv);
          out.push([reply, (await dirty()) - before]);
        }
        return out;
      } finally {
        c.close();
      }
    };
    const [ours, theirs] = await onFreshPair(run);
    assertEquals(ours, theirs);
  },
});

Deno.test({
  name: "diff: an RDB keeps idle times under LRU policies and LFU counters under LFU ones",
  ignore: !hasRedis,
  async fn() {
    // DEBUG RELOAD saves and loads: what the file kept shows in OBJECT.
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      try {
        await c.call("SET", "a", "v");
        const payload = await c.call("DUMP", "a") as string;
        const out: Reply[] = [];
        const idleOf = async (k: string) => {
          const n = await c.call("OBJECT", "IDLETIME", k) as number;
          // The LRU clock ticks in seconds: a second may pass meanwhile.
          return n >= 1000 && n <= 1002 ? "about 1000" : n <= 2 ? "about 0" : n;
        };
        for (const policy of ["allkeys-lru", "volatile-lru", "noeviction", "allkeys-random"]) {
          out.push(await c.call("CONFIG", "SET", "maxmemory-policy", policy));
          out.push(await c.call("RESTORE", "b", "0", payload, "REPLACE", "IDLETIME", "1000"));
          out.push(await c.call("DEBUG", "RELOAD"));
          out.push(policy, await idleOf("b"), await idleOf("a"));
        }
        for (const policy of ["allkeys-lfu", "volatile-lfu"]) {
          out.push(await c.call("CONFIG", "SET", "maxmemory-policy", policy));
          out.push(await c.call("RESTORE", "f", "0", payload, "REPLACE", "FREQ", "100"));
          out.push(await c.call("DEBUG", "RELOAD"));
          out.push(policy, await c.call("OBJECT", "FREQ", "f"));
        }
        return out;
      } finally {
        c.close();
      }
    };
    const [ours, want] = await onFreshPair(run);
    assertEquals(ours, want);
    // The file kept them (not the same process's memory).
    assertEquals(want.slice(0, 6), ["OK", "OK", "OK", "allkeys-lru", "about 1000", "about 0"]);
  },
});

Deno.test("rdb: loads the Redis 7.0 fixture with the contents basic.json describes", async () => {
  const dir = await tempDirWith({ "dump.rdb": await Deno.readFile(FIXTURE) });
  const want = JSON.parse(await Deno.readTextFile(FIXTURE_JSON));
  const s = await startRespite({ config: { dir } });
  const c = await RawClient.connect(s.port);
  try {
    for (const [db, keys] of Object.entries(want.databases as Record<string, object>)) {
      await c.call("SELECT", db);
      const names = Object.keys(keys).sort();
      assertEquals((await c.call("KEYS", "*") as string[]).sort(), names);
      for (const [k, spec] of Object.entries(keys as Record<string, Record<string, unknown>>)) {
        assertEquals(await c.call("TYPE", k), spec.type);
        if (spec.type === "string") {
          assertEquals(await c.call("GET", k), bytesOf(spec.value as JsonBytes), k);
        } else {
          assertEquals(
            await c.call("LRANGE", k, "0", "-1"),
            (spec.value as JsonBytes[]).map(bytesOf),
          );
        }
        assertEquals(await c.call("PEXPIRETIME", k), (spec.expires_at_ms as number) ?? -1, k);
        if (spec.type !== "string") {
          assertEquals(await c.call("OBJECT", "ENCODING", k), spec.encoding);
        }
      }
    }
    for (const [db, keys] of Object.entries(want.expired as Record<string, object>)) {
      await c.call("SELECT", db);
      for (const k of Object.keys(keys)) assertEquals(await c.call("EXISTS", k), 0);
    }
    const info = await c.call("INFO", "persistence") as string;
    assert(info.includes("rdb_last_load_keys_loaded:8\r\n"), info);
    assert(info.includes("rdb_last_load_keys_expired:1\r\n"), info);
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb: a missing file starts empty", async () => {
  const dir = await tempDirWith({});
  const s = await startRespite({ config: { dir } });
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("DBSIZE"), 0);
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb: a corrupt file stops start-up with a message naming the offset", async () => {
  const good = await Deno.readFile(FIXTURE);
  const cases: [string, Uint8Array, RegExp][] = [
    ["truncated", good.slice(0, 120), /Unexpected EOF reading RDB file at offset \d+/],
    [
      "bad magic",
      Uint8Array.from([...new TextEncoder().encode("RADIS"), ...good.slice(5)]),
      /Wrong signature.* at offset 0/,
    ],
    [
      "bad checksum",
      Uint8Array.from(good, (b, i) => i === good.length - 1 ? b ^ 1 : b),
      /Wrong RDB checksum expected: \([0-9a-f]+\) got: \([0-9a-f]+\) at offset \d+/,
    ],
    [
      "bad type",
      Uint8Array.from(good, (b, i) => i === good.indexOf(0xfe) + 5 ? 0x63 : b),
      /at offset \d+/,
    ],
    [
      "future version",
      Uint8Array.from(good, (b, i) => i === 8 ? 0x39 : i === 7 ? 0x39 : b),
      /Can't handle RDB format version 0099 at offset 5/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const dir = await tempDirWith({ "dump.rdb": data });
    try {
      let msg = "";
      try {
        const s = await startRespite({ config: { dir } });
        await s.close();
      } catch (e) {
        msg = (e as Error).message;
      }
      assert(re.test(msg), `${name}: ${msg}`);
      assert(msg.includes("dump.rdb"), name);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  // Configured otherwise: start empty.
  const dir = await tempDirWith({ "dump.rdb": good.slice(0, 120) });
  const s = await startRespite({ config: { dir, "rdb-load-corrupt": "empty" } });
  const c = await RawClient.connect(s.port);
  assertEquals(await c.call("DBSIZE"), 0);
  c.close();
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("rdb: SAVE, LASTSAVE, INFO, DEBUG RELOAD, restart", async () => {
  const dir = await tempDirWith({});
  const clock = new ManualClock(1_800_000_000_000);
  let s = await startRespite({ clock, config: { dir, "enable-debug-command": "yes" } });
  let c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("LASTSAVE"), 1_800_000_000);
    await c.call("SET", "a", "1");
    await c.call("RPUSH", "l", "x", "y");
    await c.call("SET", "t", "v", "PX", "100000");
    let info = await c.call("INFO", "persistence") as string;
    // As Redis: RPUSH counts one change per element.
    assert(info.includes("rdb_changes_since_last_save:4\r\n"), info);
    clock.advance(5000);
    assertEquals(await c.call("SAVE"), "OK");
    assertEquals(await c.call("LASTSAVE"), 1_800_000_005);
    info = await c.call("INFO", "persistence") as string;
    assert(info.includes("rdb_changes_since_last_save:0\r\n"), info);
    assert(info.includes("rdb_last_save_time:1800000005\r\n"), info);
    assert(info.includes("rdb_saves:1\r\n"), info);
    const digest = await c.call("DEBUG", "DIGEST");
    await c.call("SET", "b", "2");
    assertEquals(await c.call("DEBUG", "RELOAD", "NOSAVE"), "OK");
    assertEquals(await c.call("DEBUG", "DIGEST"), digest);
    assertEquals(await c.call("EXISTS", "b"), 0);
    await c.call("SET", "b", "2");
    assertEquals(await c.call("DEBUG", "RELOAD"), "OK");
    assertEquals(await c.call("GET", "b"), "2");
    assertEquals(await c.call("PEXPIRETIME", "t"), 1_800_000_100_000);
    c.close();
    await s.close();
    // A restart loads the file; keys whose time passed are left out.
    clock.advance(200_000);
    s = await startRespite({ clock, config: { dir } });
    c = await RawClient.connect(s.port);
    assertEquals((await c.call("KEYS", "*") as string[]).sort(), ["a", "b", "l"]);
    assertEquals(await c.call("LRANGE", "l", "0", "-1"), ["x", "y"]);
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb: BGSAVE, SHUTDOWN SAVE / NOSAVE and save on close with save points", async () => {
  const dir = await tempDirWith({});
  let s = await startRespite({ config: { dir } });
  let c = await RawClient.connect(s.port);
  try {
    await c.call("SET", "k", "v1");
    assertEquals(await c.call("BGSAVE"), "Background saving started");
    for (let i = 0; i < 100; i++) {
      const info = await c.call("INFO", "persistence") as string;
      if (info.includes("rdb_bgsave_in_progress:0")) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert((await c.call("INFO", "persistence") as string).includes("rdb_last_bgsave_status:ok"));
    assertEquals(await c.call("BGSAVE", "FOO"), { error: "ERR syntax error" });
    // SHUTDOWN NOSAVE keeps the BGSAVE's file.
    await c.call("SET", "k", "v2");
    await c.write("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    await s.finished;
    c.close();
    s = await startRespite({ config: { dir } });
    c = await RawClient.connect(s.port);
    assertEquals(await c.call("GET", "k"), "v1");
    // SHUTDOWN SAVE writes the last state.
    await c.call("SET", "k", "v3");
    await c.write("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    await s.finished;
    c.close();
    // With save points, closing (SIGTERM in main.ts) saves.
    s = await startRespite({ config: { dir, save: "3600 1" } });
    c = await RawClient.connect(s.port);
    assertEquals(await c.call("GET", "k"), "v3");
    assertEquals(await c.call("CONFIG", "GET", "save"), ["save", "3600 1"]);
    await c.call("SET", "k", "v4");
    c.close();
    await s.close();
    s = await startRespite({ config: { dir } });
    c = await RawClient.connect(s.port);
    assertEquals(await c.call("GET", "k"), "v4");
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb: save points start a BGSAVE; CONFIG SET save validates", async () => {
  const dir = await tempDirWith({});
  const clock = new ManualClock(1_800_000_000_000);
  const s = await startRespite({ clock, config: { dir, save: "10 2", hz: "100" } });
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("CONFIG", "SET", "save", "10"), {
      error:
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
    });
    assertEquals(await c.call("CONFIG", "SET", "save", "0 1"), {
      error:
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
    });
    assertEquals(await c.call("CONFIG", "SET", "save", "01 2 20 0"), "OK");
    assertEquals(await c.call("CONFIG", "GET", "save"), ["save", "1 2 20 0"]);
    assertEquals(await c.call("CONFIG", "SET", "save", "10 2"), "OK");
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "2");
    clock.advance(5000);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(await c.call("LASTSAVE"), 1_800_000_000); // not yet: 5 s < 10 s
    clock.advance(6000);
    let last = 0;
    for (let i = 0; i < 100 && last !== 1_800_000_011; i++) {
      await new Promise((r) => setTimeout(r, 20));
      last = await c.call("LASTSAVE") as number;
    }
    assertEquals(last, 1_800_000_011);
    const info = await c.call("INFO", "persistence") as string;
    assert(info.includes("rdb_changes_since_last_save:0\r\n"), info);
    assert((await Deno.stat(join(dir, "dump.rdb"))).size > 0);
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb: the rdb service serializes, loads and round-trips DUMP payloads", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    await c.call("SET", "a", "1");
    await c.call("SELECT", "3");
    await c.call("HSET", "h", "f", "v");
    const rdb = s.server.service("rdb")!;
    const file = rdb.serialize({ aofBase: true });
    assertEquals(new TextDecoder().decode(file.subarray(0, 9)), "REDIS0010");
    await c.call("FLUSHALL");
    const res = rdb.load(Uint8Array.from([...file, 0x2a, 0x31]), { allowTrailing: true });
    assertEquals(res.bytesRead, file.length);
    assertEquals(res.keys, 2);
    assertEquals(res.aux.get("aof-base"), "1");
    assertEquals(await c.call("HGET", "h", "f"), "v");
    const payload = rdb.dumpValue("hello");
    assertEquals(rdb.restoreValue(payload), "hello");
    const job = rdb.snapshot();
    const bytes = await job.done;
    assertEquals(job.keysProcessed, 2);
    assertEquals(bytes.length, file.length);
  } finally {
    c.close();
    await s.close();
  }
});

/**
 * A file of `n` string keys `k:<i>` = `v:<i>` in DB 0 (with a TTL on every
 * 1000th and an IDLE record on `k:100001`) and `n2` in DB 2; with `dupAt`,
 * `k:3` is written again after `k:<dupAt>`; `cut` bytes are dropped from
 * the end (a truncated file).
 */
function bigFile(
  n: number,
  n2: number,
  dupAt = -1,
  cut = 0,
): { file: Uint8Array; dupOffset: number } {
  const e = new RdbEncoder({ compress: false, listFill: -2 });
  writeHeader(e, { version: "7.0.15", ctime: 0, usedMem: 0, aofBase: false });
  writeDbHeader(e, 0, n, 0);
  let dupOffset = -1;
  for (let i = 0; i < n; i++) {
    if (i === 100001) {
      e.w.u8(OP.IDLE);
      e.len(5000);
    }
    writeKey(e, `k:${i}`, `v:${i}`, i % 1000 === 0 ? 4_000_000_000_000 : -1);
    if (i === dupAt) {
      dupOffset = e.w.pos;
      writeKey(e, "k:3", "again", -1);
    }
  }
  writeDbHeader(e, 2, n2, 0);
  for (let i = 0; i < n2; i++) writeKey(e, `two:${i}`, `${i}`, -1);
  writeFooter(e, new Crc64());
  const file = e.w.result();
  return { file: file.slice(0, file.length - cut), dupOffset };
}

Deno.test("rdb: a load of many keys keeps TTLs, idle times and databases; a duplicate names its offset", async () => {
  const s = await startRespite({ config: { "maxmemory-policy": "allkeys-lru" } });
  const c = await RawClient.connect(s.port);
  try {
    // More keys than a load inserts at once.
    const rdb = s.server.service("rdb")!;
    const res = rdb.load(bigFile(150000, 70000).file);
    assertEquals(res.keys, 220000);
    assertEquals(await c.call("DBSIZE"), 150000);
    assertEquals(await c.call("GET", "k:149999"), "v:149999");
    assertEquals(await c.call("PEXPIRETIME", "k:149000"), 4_000_000_000_000);
    assertEquals(await c.call("PTTL", "k:149001"), -1);
    const idle = await c.call("OBJECT", "IDLETIME", "k:100001") as number;
    assert(idle >= 5000 && idle < 5100, String(idle));
    assert(await c.call("OBJECT", "IDLETIME", "k:100002") as number < 100);
    assert((await c.call("INFO", "keyspace") as string).includes("db0:keys=150000,expires=150,"));
    await c.call("SELECT", "2");
    assertEquals(await c.call("DBSIZE"), 70000);
    assertEquals(await c.call("GET", "two:69999"), "69999");
    // A duplicate after more keys than a batch, and one in a truncated file:
    // the duplicate is the error, at its record's offset; nothing stays loaded.
    for (const [dupAt, cut] of [[100000, 0], [10, 0], [100000, 20], [10, 2000000]]) {
      const { file, dupOffset } = bigFile(150000, 10, dupAt, cut);
      let msg = "";
      try {
        rdb.load(file);
      } catch (e) {
        msg = (e as Error).message;
      }
      assertEquals(msg, `RDB has duplicated key 'k:3' in DB 0 at offset ${dupOffset}`);
      assertEquals(await c.call("DBSIZE"), 0);
    }
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("rdb codec: CRC-64 check value, LZF round trips, listpack integers", () => {
  const c = new Crc64().update(new TextEncoder().encode("123456789"));
  assertEquals(c.hex(), "e9c6d914c4b8d9ca");
  // Long inputs take the WebAssembly path: fed whole or in odd pieces, they
  // match a bit-at-a-time reference.
  const bitwise = (d: Uint8Array) => {
    let crc = 0n;
    for (const b of d) {
      crc ^= BigInt(b);
      for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
    }
    return crc.toString(16).padStart(16, "0");
  };
  const long = Uint8Array.from({ length: 150_003 }, (_, i) => (i * 2654435761) >>> 24);
  assertEquals(new Crc64().update(long).hex(), bitwise(long));
  assertEquals(
    new Crc64().update(long, 0, 5).update(long, 5, 70_001).update(long, 70_001).hex(),
    bitwise(long),
  );
  for (const n of [100, 1000, 70000]) {
    const src = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 13 + (i % 97 === 0 ? 100 : 0));
    const out = new Uint8Array(n);
    const k = lzfCompress(src, 0, n, out, 0, n - 4);
    assert(k > 0 && k < n);
    assertEquals(lzfDecompress(out.subarray(0, k), n), src);
  }
  assertEquals(strictInt("-0"), undefined);
  assertEquals(strictInt("007"), undefined);
  assertEquals(strictInt("9223372036854775807"), 9223372036854775807n);
  assertEquals(strictInt("9223372036854775808"), undefined);
  const items = [
    "0",
    "127",
    "128",
    "-4096",
    "4095",
    "-32768",
    "8388607",
    "2147483647",
    "-9223372036854775808",
    "x".repeat(5000),
    "",
    "abc",
  ];
  const b = new ListpackBuilder();
  for (const i of items) b.add(i);
  assertEquals(readListpack(b.finish()), items);
});

Deno.test("rdb: a failed BGSAVE is reported and, with save points, refuses writes (MISCONF)", async () => {
  const dir = await tempDirWith({});
  const s = await startRespite({ config: { dir, save: "3600 1" } });
  const c = await RawClient.connect(s.port);
  try {
    await c.call("SET", "k", "v");
    await Deno.remove(dir, { recursive: true });
    assertEquals(await c.call("BGSAVE"), "Background saving started");
    let info = "";
    for (let i = 0; i < 200 && !info.includes("rdb_bgsave_in_progress:0"); i++) {
      await new Promise((r) => setTimeout(r, 5));
      info = await c.call("INFO", "persistence") as string;
    }
    assert(info.includes("rdb_last_bgsave_status:err"), info);
    const err = await c.call("SET", "k", "v2") as { error: string };
    assert(err.error.startsWith("MISCONF Redis is configured to save RDB snapshots"), err.error);
    assertEquals(await c.call("GET", "k"), "v");
    assertEquals(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"), "OK");
    assertEquals(await c.call("SET", "k", "v2"), "OK");
    await Deno.mkdir(dir);
    assertEquals(await c.call("SAVE"), "OK");
    assertEquals(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"), "OK");
    assertEquals(await c.call("SET", "k", "v3"), "OK");
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb: RESIZEDB sizes the tables ahead, and a lying one costs nothing", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    const rdb = s.server.service("rdb")!;
    const e = new RdbEncoder({ compress: false, listFill: -2 });
    writeHeader(e, { version: "7.0.15", ctime: 0, usedMem: 0, aofBase: false });
    // Two billion keys claimed, three present: the hint is capped by what
    // the rest of the file can hold.
    writeDbHeader(e, 0, 2 ** 31 - 1, 2 ** 31 - 1);
    for (let i = 0; i < 3; i++) writeKey(e, `k:${i}`, `v:${i}`, i === 0 ? 4_000_000_000_000 : -1);
    writeFooter(e, new Crc64());
    const before = Deno.memoryUsage().rss;
    assertEquals(rdb.load(e.w.result()).keys, 3);
    assert(Deno.memoryUsage().rss - before < 64 * 1024 * 1024);
    assertEquals(await c.call("DBSIZE"), 3);
    assertEquals(await c.call("GET", "k:2"), "v:2");
    assertEquals(await c.call("PEXPIRETIME", "k:0"), 4_000_000_000_000);
    // A true hint: the keys go in without the table growing on the way.
    const { file } = bigFile(20000, 0);
    assertEquals(rdb.load(file).keys, 20000);
    assertEquals(await c.call("GET", "k:19999"), "v:19999");
  } finally {
    c.close();
    await s.close();
  }
});
