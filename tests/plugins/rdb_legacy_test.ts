/**
 * Encodings older Redis versions wrote (RDB 9: plain lists, ziplists,
 * zipmaps, quicklists of ziplists, text-double sorted sets, expiry in
 * seconds, and Redis 7.2's set listpack): a file is built by hand, loaded
 * by both redis-server 7.0 and Respite, and the contents compared. Files
 * with LZF blobs and every ziplist integer encoding are included.
 */

import { join } from "node:path";
import { assertEquals } from "../_assert.ts";
import { hasRedis, RawClient, startRealRedis, startRespite } from "../_helpers.ts";
import { ByteWriter } from "../../plugins/rdb/_buf.ts";
import { Crc64 } from "../../plugins/rdb/_crc64.ts";
import { listpackOf } from "../../plugins/rdb/_packed.ts";

/** An RDB string (plain length encoding, no compression). */
function str(w: ByteWriter, s: string): void {
  len(w, s.length);
  w.str(s);
}

function len(w: ByteWriter, n: number): void {
  if (n < 64) w.u8(n);
  else if (n < 16384) {
    w.u8(0x40 | (n >> 8));
    w.u8(n & 0xff);
  } else {
    w.u8(0x80);
    w.u32be(n);
  }
}

function blob(w: ByteWriter, b: Uint8Array): void {
  len(w, b.length);
  w.bytes(b);
}

/** A ziplist of entries (strings or integers), every encoding Redis uses. */
function ziplist(items: (string | number | bigint)[]): Uint8Array {
  const body = new ByteWriter();
  let prev = 0, tail = 10;
  for (const it of items) {
    const start = body.pos;
    tail = 10 + start;
    if (prev < 254) body.u8(prev);
    else {
      body.u8(0xfe);
      body.u32le(prev);
    }
    if (typeof it === "string") {
      const n = it.length;
      if (n < 64) body.u8(n);
      else if (n < 16384) {
        body.u8(0x40 | (n >> 8));
        body.u8(n & 0xff);
      } else {
        body.u8(0x80);
        body.u32be(n);
      }
      body.str(it);
    } else {
      const v = BigInt(it);
      if (v >= 0n && v <= 12n) body.u8(0xf1 + Number(v));
      else if (v >= -128n && v <= 127n) {
        body.u8(0xfe);
        body.u8(Number(v) & 0xff);
      } else if (v >= -32768n && v <= 32767n) {
        body.u8(0xc0);
        body.u8(Number(v) & 0xff);
        body.u8((Number(v) >> 8) & 0xff);
      } else if (v >= -8388608n && v <= 8388607n) {
        body.u8(0xf0);
        const x = Number(v);
        body.u8(x & 0xff);
        body.u8((x >> 8) & 0xff);
        body.u8((x >> 16) & 0xff);
      } else if (v >= -2147483648n && v <= 2147483647n) {
        body.u8(0xd0);
        body.u32le(Number(v) >>> 0);
      } else {
        body.u8(0xe0);
        body.i64le(v);
      }
    }
    prev = body.pos - start;
  }
  const w = new ByteWriter();
  w.u32le(10 + body.pos + 1);
  w.u32le(items.length === 0 ? 10 : tail);
  w.u16le(items.length);
  w.bytes(body.result());
  w.u8(0xff);
  return w.result();
}

/** A zipmap (Redis 2.x small hash). */
function zipmap(pairs: [string, string][]): Uint8Array {
  const w = new ByteWriter();
  w.u8(pairs.length);
  for (const [k, v] of pairs) {
    w.u8(k.length);
    w.str(k);
    w.u8(v.length);
    w.u8(0); // free
    w.str(v);
  }
  w.u8(0xff);
  return w.result();
}

/** Builds the legacy file. */
function legacyFile(): Uint8Array {
  const w = new ByteWriter();
  w.str("REDIS0009");
  w.u8(250);
  str(w, "redis-ver");
  str(w, "5.0.0");
  w.u8(254);
  len(w, 0);
  const key = (type: number, k: string) => {
    w.u8(type);
    str(w, k);
  };
  key(1, "list:plain");
  len(w, 3);
  for (const s of ["a", "b", "123"]) str(w, s);
  key(10, "list:ziplist");
  blob(
    w,
    ziplist([
      "x",
      5,
      12,
      0,
      -5,
      1000,
      -8388608,
      100000,
      2n ** 40n,
      -(2n ** 63n),
      "y".repeat(70),
      "z".repeat(300),
    ]),
  );
  key(14, "list:quicklist");
  len(w, 2);
  blob(w, ziplist(["n1", 1, "n1b"]));
  blob(w, ziplist(["n2", "w".repeat(260)]));
  key(2, "set:plain");
  len(w, 3);
  for (const s of ["m1", "m2", "7"]) str(w, s);
  key(2, "set:plain-ints");
  len(w, 2);
  for (const s of ["7", "-3"]) str(w, s);
  key(3, "zset:textdoubles");
  len(w, 3);
  str(w, "one");
  w.u8(3);
  w.str("1.5");
  str(w, "pinf");
  w.u8(254);
  str(w, "ninf");
  w.u8(255);
  key(12, "zset:ziplist");
  blob(w, ziplist(["c", "-inf", "a", 1, "b", "2.5"]));
  key(4, "hash:plain");
  len(w, 2);
  for (const s of ["f1", "v1", "f2", "2"]) str(w, s);
  key(9, "hash:zipmap");
  blob(w, zipmap([["k1", "v1"], ["k2", "value two"]]));
  key(13, "hash:ziplist");
  blob(w, ziplist(["f", "v", "n", 42]));
  w.u8(253); // EXPIRETIME in seconds
  w.u32le(4102444800);
  key(0, "str:expire-seconds");
  str(w, "x");
  w.u8(0);
  str(w, "str:int8");
  w.u8(0xc0);
  w.u8(0xf6); // -10
  w.u8(0);
  str(w, "str:lzf");
  // 40 x "a" in LZF: a 1-byte literal run, then a 39-byte back reference.
  w.u8(0xc3);
  len(w, 5);
  len(w, 40);
  w.bytes(Uint8Array.from([0x00, 0x61, 0xe0, 39 - 2 - 7, 0x00]));
  w.u8(255);
  const crc = new Crc64().update(w.buf, 0, w.pos).bytes();
  w.bytes(crc);
  return w.result();
}

async function contents(c: RawClient): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of (await c.call("KEYS", "*") as string[]).sort()) {
    const type = await c.call("TYPE", k) as string;
    const read: Record<string, string[]> = {
      string: ["GET", k],
      list: ["LRANGE", k, "0", "-1"],
      set: ["SORT", k, "ALPHA"],
      zset: ["ZRANGE", k, "0", "-1", "WITHSCORES"],
      hash: ["HGETALL", k],
    };
    out[k] = {
      type,
      value: await c.call(...read[type]!),
      expireAt: await c.call("PEXPIRETIME", k),
      digest: await c.call("DEBUG", "DIGEST-VALUE", k),
      encoding: type === "string" ? "-" : await c.call("OBJECT", "ENCODING", k),
    };
  }
  out.digest = await c.call("DEBUG", "DIGEST");
  return out;
}

Deno.test({
  name: "rdb legacy encodings load as redis-server 7.0 loads them",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-rdb-" });
    await Deno.writeFile(join(dir, "dump.rdb"), legacyFile());
    const respite = await startRespite({ config: { dir, "enable-debug-command": "yes" } });
    const redis = await startRealRedis(["--dir", dir]);
    const a = await RawClient.connect(redis.port), b = await RawClient.connect(respite.port);
    try {
      const want = await contents(a);
      const got = await contents(b);
      assertEquals(Object.keys(want).length > 10, true, JSON.stringify(want));
      assertEquals(got, want);
    } finally {
      a.close();
      b.close();
      await respite.close();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("rdb legacy: Redis 7.2's set listpack (RDB 11) loads", async () => {
  const w = new ByteWriter();
  w.str("REDIS0011");
  w.u8(254);
  len(w, 0);
  w.u8(20);
  str(w, "s");
  blob(w, listpackOf(["p", "q", "12"]));
  w.u8(20);
  str(w, "ints");
  blob(w, listpackOf(["3", "1", "2"]));
  w.u8(255);
  w.bytes(new Crc64().update(w.buf, 0, w.pos).bytes());
  const dir = await Deno.makeTempDir({ prefix: "respite-rdb-" });
  await Deno.writeFile(join(dir, "dump.rdb"), w.result());
  const s = await startRespite({ config: { dir } });
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("SORT", "s", "ALPHA"), ["12", "p", "q"]);
    assertEquals(await c.call("OBJECT", "ENCODING", "s"), "hashtable");
    assertEquals(await c.call("SMEMBERS", "ints"), ["1", "2", "3"]);
    assertEquals(await c.call("OBJECT", "ENCODING", "ints"), "intset");
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
