/**
 * The keyspace's access times (OBJECT IDLETIME, LRU eviction): every key
 * keeps its own, in the tag of its key-table entry, through writes, reads,
 * deletes, table growth, raw marks, RESTORE, copies, moves and SWAPDB.
 *
 * @module
 */

import { Keyspace } from "../../core/keyspace.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const T0 = 1_700_000_000_000;

function setup(databases = 1) {
  let ms = T0;
  const ks = new Keyspace({ databases, clock: { now: () => ms } });
  const at = (seconds: number) => {
    ms = T0 + seconds * 1000;
    ks.setTime(ms);
  };
  at(0);
  return { ks, db: ks.db(0), at };
}

Deno.test("keyspace access: each write and read records its own second", () => {
  const { db, at } = setup();
  db.set("a", "1");
  db.set("b", "1");
  at(5);
  db.set("c", "1");
  at(12);
  assertEquals([db.idleSeconds("a"), db.idleSeconds("b"), db.idleSeconds("c")], [12, 12, 7]);
  // A read records its time.
  db.get("a");
  assertEquals(db.idleSeconds("a"), 0);
  at(20);
  assertEquals([db.idleSeconds("a"), db.idleSeconds("b"), db.idleSeconds("c")], [8, 20, 15]);
  // A lookup that misses records nothing; an overwrite is an access.
  assertEquals(db.get("missing"), undefined);
  db.set("b", "2");
  at(21);
  assertEquals([db.idleSeconds("a"), db.idleSeconds("b")], [9, 1]);
  // A deleted and re-created key starts afresh.
  db.delete("c");
  db.set("c", "1");
  assertEquals(db.idleSeconds("c"), 0);
  db.clear();
  at(25);
  db.set("d", "1");
  at(26);
  assertEquals(db.idleSeconds("d"), 1);
});

Deno.test("keyspace access: bursts of writes keep exact times through table growth", () => {
  const { db, at } = setup();
  // Thousands of keys a second over several seconds: the table is rebuilt
  // many times meanwhile, and deletes leave holes it drops.
  for (let s = 1; s <= 12; s++) {
    at(s);
    for (let i = 0; i < 3000; i++) db.set(`s${s}:${i}`, "v");
    for (let i = 0; i < 3000; i += 3) db.delete(`s${s}:${i}`);
  }
  at(30);
  for (let s = 1; s <= 12; s++) {
    assertEquals(db.idleSeconds(`s${s}:1`), 30 - s, `second ${s}`);
    assertEquals(db.idleSeconds(`s${s}:2999`), 30 - s, `second ${s}, last`);
  }
  db.get("s1:2");
  assertEquals([db.idleSeconds("s1:2"), db.idleSeconds("s1:4")], [0, 29]);
});

Deno.test("keyspace access: raw marks, RESTORE's idle time, copies, moves and SWAPDB", () => {
  const { ks, db, at } = setup(2);
  const other = ks.db(1);
  db.set("s", "abc");
  db.markRaw("s");
  assertOk(db.isRaw("s"));
  assertEquals(db.idleSeconds("s"), 0);
  at(4);
  db.get("s");
  assertOk(db.isRaw("s"));
  assertEquals(db.idleSeconds("s"), 0);
  db.set("s", "x"); // a new value: not raw
  assertEquals(db.isRaw("s"), false);
  assertEquals(db.isRaw("missing"), false);
  db.set("r", "v");
  db.restoreAccess("r", 100, -1);
  assertEquals(db.idleSeconds("r"), 100);
  // An idle time longer than the keyspace has lived.
  db.set("old", "v");
  db.restoreAccess("old", 1_000_000, -1);
  assertEquals(db.idleSeconds("old"), 1_000_000);
  // MOVE keeps the time, COPY takes now.
  other.set("o", "v");
  at(6);
  other.set("m", "v");
  db.copyMeta("r", other, "m");
  at(9);
  assertEquals(other.idleSeconds("m"), 105);
  other.set("c", "v");
  db.copyMeta("r", other, "c", true);
  assertEquals(other.idleSeconds("c"), 0);
  db.markRaw("r");
  db.copyMeta("r", other, "c", true);
  assertOk(other.isRaw("c"));
  // SWAPDB carries the times along.
  assertEquals(other.idleSeconds("o"), 5);
  db.swapWith(other);
  assertEquals(db.idleSeconds("o"), 5);
  assertEquals(db.idleSeconds("m"), 105);
  assertEquals(other.idleSeconds("r"), 105);
  // Writes after the swap take the clock's current second in both.
  at(11);
  db.set("n", "v");
  other.set("n", "v");
  at(12);
  assertEquals([db.idleSeconds("n"), other.idleSeconds("n")], [1, 1]);
});
