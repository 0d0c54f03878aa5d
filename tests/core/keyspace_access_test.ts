/**
 * The keyspace's access times (OBJECT IDLETIME, LRU eviction): keys
 * accessed at a database's baseline second need no entry of their own,
 * bulk windows, and every other key keeps its exact time.
 *
 * @module
 */

import { BULK_SPAN, BULK_WRITES, type Database, Keyspace } from "../../core/keyspace.ts";
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

/** `n` writes of fresh keys `prefix0..` in the current second. */
function fill(db: Database, prefix: string, n: number): void {
  for (let i = 0; i < n; i++) db.set(`${prefix}${i}`, "v");
}

Deno.test("keyspace access: writes at the baseline second need no entry; others are exact", () => {
  const { db, at } = setup();
  db.set("a", "1");
  db.set("b", "1");
  assertEquals(db.accessEntries, 0);
  at(5);
  db.set("c", "1");
  assertEquals(db.accessEntries, 1);
  assertOk(db.hasAccessEntry("c"));
  at(12);
  assertEquals([db.idleSeconds("a"), db.idleSeconds("b"), db.idleSeconds("c")], [12, 12, 7]);
  // A read records its time.
  db.get("a");
  assertEquals(db.idleSeconds("a"), 0);
  assertEquals(db.accessEntries, 2);
  at(20);
  assertEquals([db.idleSeconds("a"), db.idleSeconds("b"), db.idleSeconds("c")], [8, 20, 15]);
  db.delete("c");
  assertEquals(db.accessEntries, 1);
});

Deno.test("keyspace access: the baseline follows the clock while no key relies on it", () => {
  const { db, at } = setup();
  at(3);
  db.set("a", "1"); // empty: the baseline moves to 3
  assertEquals(db.accessEntries, 0);
  at(4);
  db.get("a"); // the only key: the baseline moves to 4
  assertEquals(db.accessEntries, 0);
  at(9);
  assertEquals(db.idleSeconds("a"), 5);
  db.set("b", "1"); // "a" relies on the baseline: "b" gets an entry
  assertEquals(db.accessEntries, 1);
  at(10);
  assertEquals([db.idleSeconds("a"), db.idleSeconds("b")], [6, 1]);
  db.clear();
  at(11);
  db.set("c", "1");
  assertEquals(db.accessEntries, 0);
  assertEquals(db.idleSeconds("c"), 0);
});

Deno.test("keyspace access: a bulk window shares its last second, up to BULK_SPAN seconds", () => {
  const { db, at } = setup();
  at(1);
  fill(db, "s1:", BULK_WRITES);
  at(2);
  fill(db, "s2:", BULK_WRITES);
  at(3);
  db.set("s3", "v");
  assertEquals(db.accessEntries, 0);
  // All written in the window: the time of its last second.
  at(10);
  assertEquals([db.idleSeconds("s1:0"), db.idleSeconds("s2:0"), db.idleSeconds("s3")], [7, 7, 7]);
  // A gap closes the window: exact times again.
  db.set("late", "v");
  assertEquals(db.accessEntries, 1);
  at(13);
  assertEquals([db.idleSeconds("s1:0"), db.idleSeconds("late")], [10, 3]);
  // Reads always record their own time.
  db.get("s1:1");
  assertEquals(db.idleSeconds("s1:1"), 0);
  assertEquals(db.idleSeconds("s1:2"), 10);
});

Deno.test("keyspace access: a quiet second ends the window; BULK_SPAN bounds it", () => {
  const { db, at } = setup();
  at(1);
  fill(db, "a", BULK_WRITES);
  at(2);
  fill(db, "b", BULK_WRITES - 10); // not a bulk second
  at(3);
  db.set("c", "v");
  assertOk(db.hasAccessEntry("c"));
  at(4);
  assertEquals([db.idleSeconds("a0"), db.idleSeconds("b0"), db.idleSeconds("c")], [2, 2, 1]);

  const long = setup();
  for (let s = 1; s <= BULK_SPAN + 3; s++) {
    long.at(s);
    fill(long.db, `s${s}:`, BULK_WRITES);
  }
  // Seconds 1 .. BULK_SPAN + 1 share the window; the rest have entries.
  assertEquals(long.db.accessEntries, 2 * BULK_WRITES);
  long.at(BULK_SPAN + 20);
  assertEquals(long.db.idleSeconds("s1:0"), 19);
  assertEquals(long.db.idleSeconds(`s${BULK_SPAN + 2}:0`), 18);
  assertEquals(long.db.idleSeconds(`s${BULK_SPAN + 3}:0`), 17);
});

Deno.test("keyspace access: exactAccess (LRU policies) keeps every write's own time", () => {
  const { ks, db, at } = setup();
  ks.exactAccess = true;
  at(1);
  fill(db, "a", BULK_WRITES);
  at(2);
  fill(db, "b", BULK_WRITES);
  assertEquals(db.accessEntries, BULK_WRITES);
  at(5);
  assertEquals([db.idleSeconds("a0"), db.idleSeconds("b0")], [4, 3]);
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
  db.set("r", "v");
  db.restoreAccess("r", 100, -1);
  assertEquals(db.idleSeconds("r"), 100);
  // MOVE keeps the time, COPY takes now; the other database's baseline differs.
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
  // SWAPDB carries the baselines along.
  assertEquals(other.idleSeconds("o"), 5);
  db.swapWith(other);
  assertEquals(db.idleSeconds("o"), 5);
  assertEquals(db.idleSeconds("m"), 105);
  assertEquals(other.idleSeconds("r"), 105);
});
