/**
 * How a load puts keys into the keyspace: a few batches after reading them.
 *
 * A key and its value are new strings in V8's young generation when read.
 * Put into the keyspace's table at once, each scavenge that then moves them
 * (twice: into the survivor space, then the old generation) must rewrite
 * their slots in the table's arrays, random writes all over a table of
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

/**
 * Keys of one database read but not inserted yet, in file order, as
 * parallel arrays, reused once inserted. A batch after the first is made
 * with all {@link BATCH} slots (a big load grows no array), the first one
 * empty (a small load allocates little).
 */
class Batch {
  db = 0;
  n = 0;
  readonly key: Bytes[];
  readonly value: Value[];
  /** Where each key's record starts (a duplicate's error names it). */
  readonly offset: number[];
  /** Index, expiry (or -1), idle, freq of the keys with an expiry, IDLE or FREQ. */
  extra: number[] = [];

  constructor(sized: boolean) {
    this.key = sized ? new Array(BATCH) : [];
    this.value = sized ? new Array(BATCH) : [];
    this.offset = sized ? new Array(BATCH) : [];
  }

  /** Empty, for another database's keys. */
  reset(db: number): void {
    this.db = db;
    this.n = 0;
    this.extra = [];
  }
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
  #cur = new Batch(false);
  /** Full batches, oldest first. */
  #full: Batch[] = [];
  /** Inserted batches, to be reused. */
  #spare: Batch[] = [];

  constructor(readonly dbs: readonly Database[]) {}

  /** Queues a key; inserts the oldest full batch once {@link LAG} newer ones are full. */
  add(k: LoadedKey): void {
    let b = this.#cur;
    if (k.db !== b.db) {
      if (b.n !== 0) b = this.#next();
      b.db = k.db;
    }
    const n = b.n;
    b.key[n] = k.key;
    b.value[n] = k.value;
    b.offset[n] = k.offset;
    if (k.expireAt !== -1 || k.idle >= 0 || k.freq >= 0) {
      b.extra.push(n, k.expireAt, k.idle, k.freq);
    }
    b.n = n + 1;
    if (n + 1 === BATCH) this.#next();
  }

  /** Inserts every pending key. */
  flush(): void {
    const full = this.#full, cur = this.#cur;
    this.#full = [];
    for (const b of full) this.#insert(b);
    this.#insert(cur);
    cur.reset(cur.db);
  }

  /** Queues the current batch and starts another. */
  #next(): Batch {
    const prev = this.#cur;
    this.#full.push(prev);
    const b = this.#cur = this.#spare.pop() ?? new Batch(true);
    b.reset(prev.db);
    if (this.#full.length > LAG) {
      const old = this.#full.shift()!;
      this.#insert(old);
      this.#spare.push(old);
    }
    return b;
  }

  #insert(b: Batch): void {
    const db = this.dbs[b.db]!;
    const { key: keys, value: values, extra } = b;
    const data = db.data;
    const n = b.n;
    let x = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      if (!data.put(key, values[i]!)) {
        throw new RdbError(`RDB has duplicated key '${key}' in DB ${b.db}`, b.offset[i]!);
      }
      if (x < extra.length && extra[x] === i) {
        const at = extra[x + 1]!;
        if (at !== -1) db.expires.set(key, at);
        const idle = extra[x + 2]!, freq = extra[x + 3]!;
        if (idle >= 0 || freq >= 0) db.restoreAccess(key, idle, freq);
        x += 4;
      }
    }
    this.inserted += n;
  }
}
