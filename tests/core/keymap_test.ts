/**
 * KeyMap, the keyspace's string-keyed table: HalfSipHash against the
 * reference implementation's vectors, and `Map`'s behaviour (contents,
 * insertion order, iterators that live across writes and rebuilds) under
 * random operations, with `Map` as the oracle.
 */

import { assertEquals } from "../_assert.ts";
import { prng } from "../_helpers.ts";
import { halfSipHash, hashKey, hashKeySeed, KeyMap } from "../../core/keymap.ts";

/** The reference implementation's `vectors_hsip32` (HalfSipHash-2-4), first 16. */
const HSIP32 = [
  [0xa9, 0x35, 0x9f, 0x5b],
  [0x27, 0x47, 0x5a, 0xb8],
  [0xfa, 0x62, 0xa6, 0x03],
  [0x8a, 0xfe, 0xe7, 0x04],
  [0x2a, 0x6e, 0x46, 0x89],
  [0xc5, 0xfa, 0xb6, 0x69],
  [0x58, 0x63, 0xfc, 0x23],
  [0x8b, 0xcf, 0x63, 0xc5],
];

Deno.test("halfSipHash matches the reference vectors (HalfSipHash-2-4, key 00..07)", () => {
  let msg = "";
  for (let i = 0; i < HSIP32.length; i++) {
    const [a, b, c, d] = HSIP32[i]!;
    const want = (a! | b! << 8 | c! << 16 | d! << 24) >>> 0;
    assertEquals(halfSipHash(msg, 0x03020100, 0x07060504, 2, 4) >>> 0, want, `length ${i}`);
    msg += String.fromCharCode(i);
  }
});

Deno.test("hashKey is HalfSipHash-1-3 under the process's key, for every length and byte", () => {
  const [k0, k1] = hashKeySeed();
  let s = "";
  for (let i = 0; i < 70; i++) {
    assertEquals(hashKey(s), halfSipHash(s, k0, k1, 1, 3), `length ${i}`);
    s += String.fromCharCode((i * 37 + 128) & 0xff);
  }
  // The two-entry cache answers for an equal string made apart, and for
  // keys that alternate.
  const a = "key:" + "x".repeat(20);
  const b = ["key:", "x".repeat(20)].join("");
  assertEquals(hashKey(a), hashKey(b));
  const c = "counter", d = "key:__rand_int__", e = "key:__rand_int_X";
  for (let i = 0; i < 3; i++) {
    for (const k of [c, d, c, e, d, c]) assertEquals(hashKey(k), halfSipHash(k, k0, k1, 1, 3), k);
  }
});

/** A small deterministic generator, so a failure replays. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

Deno.test("KeyMap behaves as Map under random sets, deletes and clears", () => {
  const rand = rng(7);
  const m = new Map<string, number>();
  const k = new KeyMap<number>();
  for (let step = 0; step < 60_000; step++) {
    const key = "k" + Math.floor(rand() * (step < 30_000 ? 5000 : 300));
    const op = rand();
    if (op < 0.5) {
      const isNew = !m.has(key);
      m.set(key, step);
      assertEquals(k.put(key, step), isNew);
    } else if (op < 0.95) {
      assertEquals(k.delete(key), m.delete(key));
    } else if (op < 0.9995) {
      assertEquals(k.get(key), m.get(key));
      assertEquals(k.has(key), m.has(key));
    } else {
      m.clear();
      k.clear();
    }
    assertEquals(k.size, m.size);
  }
  assertEquals([...k.entries()], [...m.entries()]);
  assertEquals([...k.keys()], [...m.keys()]);
  assertEquals([...k.values()], [...m.values()]);
  const seen: [string, number][] = [];
  k.forEach((v, key) => seen.push([key, v]));
  assertEquals(seen, [...m]);
});

Deno.test("KeyMap iterators follow writes and rebuilds as Map's do", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rand = rng(seed);
    const m = new Map<string, number>();
    const k = new KeyMap<number>();
    for (let i = 0; i < 2000; i++) {
      m.set("a" + i, i);
      k.set("a" + i, i);
    }
    const im = m.keys(), ik = k.keys();
    for (let step = 0; step < 8000; step++) {
      const op = rand();
      const key = "a" + Math.floor(rand() * 4000);
      if (op < 0.3) {
        m.set(key, step);
        k.set(key, step);
      } else if (op < 0.75) {
        // Deletes shrink the table (a rebuild) as it empties.
        m.delete(key);
        k.delete(key);
      } else if (op < 0.7502) {
        m.clear();
        k.clear();
      } else {
        const a = im.next(), b = ik.next();
        assertEquals(b, a, `seed ${seed}, step ${step}`);
      }
    }
    assertEquals([...ik], [...im], `seed ${seed}: the rest`);
  }
});

Deno.test("KeyMap keys are bytes: no two binary strings collide in meaning", () => {
  const k = new KeyMap<number>();
  const keys: string[] = [];
  for (let i = 0; i < 256; i++) {
    keys.push(String.fromCharCode(i), String.fromCharCode(i, 0), String.fromCharCode(0, i));
  }
  keys.forEach((key, i) => k.set(key, i));
  assertEquals(k.size, new Set(keys).size);
  for (const key of keys) assertEquals(k.get(key), keys.lastIndexOf(key));
  assertEquals(k.get(""), undefined);
  k.set("", -1);
  assertEquals(k.get(""), -1);
});

Deno.test("KeyMap.reserve keeps contents, order and a live iterator's place", () => {
  const k = new KeyMap<number>();
  for (let i = 0; i < 10; i++) k.set("r" + i, i);
  k.delete("r3");
  const it = k.keys();
  assertEquals([it.next().value, it.next().value], ["r0", "r1"]);
  k.reserve(100_000);
  for (let i = 10; i < 100_000; i++) k.set("r" + i, i);
  k.reserve(10); // never shrinks
  assertEquals(k.get("r99999"), 99999);
  assertEquals(k.size, 99_999);
  const rest = [...it];
  assertEquals(rest.length, 99_997);
  assertEquals(rest.slice(0, 2), ["r2", "r4"]);
});

Deno.test("KeyMap.copy keeps entries and order, drops holes, and is independent", () => {
  const k = new KeyMap<number>();
  for (let i = 0; i < 100; i++) k.set("c" + i, i);
  for (let i = 0; i < 100; i += 3) k.delete("c" + i);
  const c = k.copy();
  assertEquals([...c], [...k]);
  c.set("new", -1);
  c.delete("c1");
  assertEquals([k.has("new"), k.get("c1"), c.size, k.size], [false, 1, 66, 66]);
});

Deno.test("keymap: tags follow their entries through growth, holes, copies and clears", () => {
  const m = new KeyMap<number>({ tags: true });
  m.defaultTag = 7;
  for (let i = 0; i < 5000; i++) m.put(`k${i}`, i, i % 3 === 0 ? i * 2 : undefined);
  for (let i = 0; i < 5000; i += 4) m.delete(`k${i}`);
  m.setTag("k1", 123);
  assertEquals(m.setTag("k0", 1), false); // deleted
  assertEquals(m.tagOf("k0"), -1);
  const check = (t: KeyMap<number>) => {
    for (let i = 1; i < 5000; i++) {
      if (i % 4 === 0) continue;
      const want = i === 1 ? 123 : i % 3 === 0 ? i * 2 : 7;
      if (t.tagOf(`k${i}`) !== want) assertEquals(t.tagOf(`k${i}`), want, `k${i}`);
    }
  };
  check(m);
  check(m.copy());
  // A cursor hands out each entry's tag with its value.
  const cur = m.cursor();
  for (let k = cur.next(); k !== undefined; k = cur.next()) {
    if (cur.tag !== m.tagOf(k)) assertEquals(cur.tag, m.tagOf(k), k);
  }
  // An overwrite takes the tag given, or the default.
  m.put("k2", 0);
  m.put("k3", 0, 99);
  assertEquals([m.tagOf("k2"), m.tagOf("k3")], [7, 99]);
  m.clear();
  assertEquals(m.tagOf("k2"), -1);
  m.set("x", 1);
  assertEquals(m.tagOf("x"), 7);
  // A table without tags answers -1 and keeps none.
  const plain = new KeyMap<number>();
  plain.set("a", 1);
  assertEquals([plain.tagOf("a"), plain.setTag("a", 3)], [-1, false]);
});

Deno.test("KeyMap.prefetch: lookups after it find what they would without it", () => {
  const m = new KeyMap<string>({ tags: true });
  for (let i = 0; i < 5000; i++) m.set(`k${i}`, `v${i}`);
  const r = prng(7);
  for (let round = 0; round < 300; round++) {
    // Fresh strings, as the parser makes them; some absent, some repeated.
    const keys: string[] = [];
    const n = 1 + Math.floor(r() * 20);
    for (let j = 0; j < n; j++) keys.push(`k${Math.floor(r() * 6000)}`.split("").join(""));
    if (round % 7 === 0) keys.fill(keys[0]!);
    const runs = m.prefetch(keys, keys.length);
    if (round % 7 === 0) assertEquals(runs, 1);
    // The lookups in order, out of order, or with writes between (which
    // move entries: a new key, a rebuild): each is right.
    const order = round % 3 === 0 ? [...keys].reverse() : keys;
    for (const k of order) {
      const i = Number(k.slice(1));
      assertEquals(hashKey(k), halfSipHash(k, ...hashKeySeed()), k);
      assertEquals(m.get(k), i < 5000 || m.has(k) ? `v${i}` : undefined, k);
      if (round % 3 === 1 && i >= 5000) m.set(k, `v${i}`);
      if (round % 5 === 4 && i < 5000 && r() < 0.3) {
        m.delete(k);
        assertEquals(m.get(k), undefined);
        m.set(k, `v${i}`);
      }
    }
  }
  // Two keys alternating count as two; keys unlike the two before, each.
  assertEquals(m.prefetch(["k1", "k2", "k1", "k2", "k1", "k2"], 6), 2);
  assertEquals(m.prefetch(["k1", "k2", "k3", "k1", "k2", "k3"], 6), 6);
  // An empty table, and one key.
  const e = new KeyMap<number>();
  assertEquals(e.prefetch(["a", "b"], 2), 2);
  assertEquals(e.get("a"), undefined);
  e.set("a", 1);
  assertEquals(e.prefetch(["a"], 1), 1);
  assertEquals(e.get("a"), 1);
});
