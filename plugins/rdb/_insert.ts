/**
 * How a load puts keys into the keyspace: a few batches after reading them.
 *
 * A key and its value are new strings in V8's young generation when read.
 * Put into the keyspace's Map at once, each scavenge that then moves them
 * (twice: into the survivor space, then the old generation) must rewrite
 * their slots in the Map's table, random writes all over a table of
 * millions of entries, and the table's growth copies young pointers too.
 * Held first in plain arrays (sequential slots) until a few scavenges have
 * promoted them, they enter the table as old objects: loading 1,000,000
 * keys (`key:N` = `value:N`) takes some 25% less CPU of the main thread.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { Database, Value } from "../../core/keyspace.ts";
import { RdbError } from "./_buf.ts";
import type { LoadedKey } from "./_file.ts";

/**
 * Keys per batch; a batch is inserted once {@link LAG} newer ones are
 * full. Some 200,000 keys allocate a few times the young generation's
 * 8 MB semi-space (the bench's `--max-semi-space-size=8`; V8's default is
 * 16 MB): enough scavenges for most of them to be old by then.
 */
const BATCH = 65536;
const LAG = 2;

/** Keys read but not inserted yet, in file order, as parallel arrays. */
interface Batch {
  db: number[];
  key: Bytes[];
  value: Value[];
  /** Absolute expiry in Unix ms, or -1. */
  expireAt: number[];
  /** Where each key's record starts (a duplicate's error names it). */
  offset: number[];
  /** Index in the batch, idle, freq: for the few keys with IDLE or FREQ. */
  access: number[];
}

function newBatch(): Batch {
  return { db: [], key: [], value: [], expireAt: [], offset: [], access: [] };
}

/**
 * Inserts loaded keys into `dbs` (their maps directly: a load raises no
 * keyspace events), {@link LAG} batches late. A duplicate key throws an
 * {@link RdbError} naming its offset when its batch goes in; call
 * {@link DeferredInsert.flush} at the end, and before reporting a read
 * error, so the first error in file order is the one thrown.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * import { DeferredInsert } from "./_insert.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const ins = new DeferredInsert(s.server.keyspace.dbs);
 * ins.add({ db: 0, key: "k", value: "v", expireAt: -1, idle: -1, freq: -1, offset: 9 });
 * ins.flush();
 * console.log(ins.inserted, s.server.keyspace.dbs[0]!.data.get("k")); // 1 v
 * await s.close();
 * ```
 */
export class DeferredInsert {
  /** Keys inserted so far. */
  inserted = 0;
  #cur: Batch = newBatch();
  /** Full batches, oldest first. */
  #full: Batch[] = [];

  constructor(readonly dbs: readonly Database[]) {}

  /** Queues a key; inserts the oldest full batch once {@link LAG} newer ones are full. */
  add(k: LoadedKey): void {
    const b = this.#cur;
    const n = b.key.length;
    b.db.push(k.db);
    b.key.push(k.key);
    b.value.push(k.value);
    b.expireAt.push(k.expireAt);
    b.offset.push(k.offset);
    if (k.idle >= 0 || k.freq >= 0) b.access.push(n, k.idle, k.freq);
    if (n + 1 < BATCH) return;
    this.#full.push(b);
    this.#cur = newBatch();
    if (this.#full.length > LAG) this.#insert(this.#full.shift()!);
  }

  /** Inserts every pending key. */
  flush(): void {
    const full = this.#full, cur = this.#cur;
    this.#full = [];
    this.#cur = newBatch();
    for (const b of full) this.#insert(b);
    this.#insert(cur);
  }

  #insert(b: Batch): void {
    const dbs = this.dbs;
    const { db: dbOf, key: keys, value: values, expireAt, access } = b;
    let a = 0;
    const n = keys.length;
    for (let i = 0; i < n; i++) {
      const index = dbOf[i]!;
      const db = dbs[index]!;
      const key = keys[i]!;
      const data = db.data;
      // A size that did not grow means a duplicate (one lookup, not two).
      const size = data.size;
      data.set(key, values[i]!);
      if (data.size === size) {
        throw new RdbError(`RDB has duplicated key '${key}' in DB ${index}`, b.offset[i]!);
      }
      const at = expireAt[i]!;
      if (at !== -1) db.expires.set(key, at);
      if (a < access.length && access[a] === i) {
        db.restoreAccess(key, access[a + 1]!, access[a + 2]!);
        a += 3;
      }
    }
    this.inserted += n;
  }
}
