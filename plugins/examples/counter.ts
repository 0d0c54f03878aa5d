/**
 * An example plugin to copy: a `counter` data type with commands of its own,
 * a config directive and a hook. The type is first-class, as a Redis
 * module's data type is: it survives SAVE and restarts, reaches replicas,
 * works with DUMP/RESTORE and AOF rewrites, and takes part in DEBUG DIGEST
 * and `maxmemory` accounting (see {@link counterType}).
 *
 * ```sh
 * deno task start --plugin plugins/examples/counter.ts --counter-max 1000
 * redis-cli COUNTER.INCR visits 5   # (integer) 5
 * redis-cli COUNTER.GET visits      # (integer) 5
 * redis-cli TYPE visits             # counter
 * ```
 *
 * Or in-process: `startServer({ plugins: [counter] })`.
 *
 * Commands (the dispatcher checks arity, and COMMAND INFO, ACL, WATCH and
 * MULTI all work from the specs, as for the built-in commands):
 *
 * - `COUNTER.INCR key [increment]`: adds `increment` (a positive integer,
 *   default 1), creating the counter at 0; replies with the new value. Fails
 *   when the value would go over `counter-max`.
 * - `COUNTER.GET key`: the value, or nil when the key does not exist.
 * - `COUNTER.RESET key`: deletes the counter and replies with its last
 *   value, or nil.
 *
 * All three reply WRONGTYPE when the key holds another type (a string...).
 *
 * Directive: `counter-max` (default 9007199254740991, changeable with
 * CONFIG SET). Hook: `info` adds a `counters` section to INFO.
 *
 * A type that needs no persistence (a cache, per-process state) declares
 * `volatile: true` instead of `rdb`: saves leave its keys out with a
 * warning. A type with neither is refused when the server starts.
 *
 * @module
 */

import {
  commandFamily,
  type Context,
  type DataObject,
  definePlugin,
  intArg,
  keys,
  ReplyError,
  type ServerApi,
  type ValueType,
} from "../../mod.ts";

/** The TYPE name of counters; typed lookups compare against it. */
export const COUNTER_TYPE = "counter";

/**
 * A counter value. Any class with `type`, `encoding()` and `clone()` can be
 * stored in the keyspace; TYPE reports `type`, OBJECT ENCODING `encoding()`,
 * and COPY uses `clone()`.
 */
export class Counter implements DataObject {
  /** What TYPE replies. */
  readonly type: string = COUNTER_TYPE;
  /** @param value The count. */
  constructor(public value = 0) {}

  /** A counter is one integer. */
  encoding(): string {
    return "int";
  }

  /** A copy, for COPY and snapshots. */
  clone(): Counter {
    return new Counter(this.value);
  }
}

/**
 * The counter value type: what the server needs to know to persist,
 * replicate, rewrite, digest and size counters without knowing the class.
 */
export const counterType: ValueType<Counter> = {
  name: COUNTER_TYPE,
  // RDB files, BGSAVE, full resyncs, DUMP/RESTORE and AOF files with an RDB
  // preamble store a counter as a Redis module value of type "CounterEx"
  // (exactly 9 characters of A-Z a-z 0-9 - _). A real Redis without this
  // type refuses it, as it refuses any module's data it cannot load.
  rdb: {
    name: "CounterEx",
    // Bump it when the saved fields change: `load` receives the version a
    // value was written with, so older files still load.
    encver: 0,
    save(c, io) {
      io.saveUnsigned(c.value);
    },
    load(io, _encver) {
      const n = io.loadUnsigned();
      // Reject what commands could never have made: the load fails cleanly.
      if (n < 1) io.fail("a counter is at least 1");
      return new Counter(n);
    },
  },
  // An AOF rewrite without RDB preamble stores each counter as the command
  // that rebuilds it.
  rewrite: (key, c) => [["COUNTER.INCR", key, String(c.value)]],
  // DEBUG DIGEST: the same value digests the same, on any server.
  digest(c, md) {
    md.addLongLong(c.value);
    md.endSequence();
  },
  // For `maxmemory`: an object holding one number, in V8's heap.
  memoryUsage: () => 32,
};

/**
 * The builder of the plugin's commands, as the built-in families have
 * theirs: it files their docs under COMMAND DOCS's `module` group (and a
 * `category` here would put them all in one ACL category).
 */
const command = commandFamily({ group: "module" });

/** The counter at `key`, undefined when missing; WRONGTYPE for other types. */
function lookup(c: Context, key: string): Counter | undefined {
  // getTyped throws the WRONGTYPE reply error before anything is written.
  return c.db.getTyped<Counter>(key, COUNTER_TYPE);
}

/** The counter plugin. */
export const counter = definePlugin({
  name: "counter",
  // Directives are declared up front, so they can be set on the command line
  // and in redis.conf (`counter-max 1000`) like the built-in ones.
  config: [{
    name: "counter-max",
    type: "int",
    default: String(Number.MAX_SAFE_INTEGER),
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  }],
  // The value types the plugin stores.
  types: [counterType],
  // `init` runs once per server: state lives in this closure, so two servers
  // in one process (a test suite) do not share it.
  init(server: ServerApi) {
    let max = Number.MAX_SAFE_INTEGER;
    let increments = 0;
    // Called now and on every CONFIG SET: handlers read a plain variable.
    server.config.watch("counter-max", (v) => (max = Number(v)));

    return {
      commands: [
        command({
          name: "counter.incr",
          arity: -2,
          flags: ["write", "denyoom", "fast"],
          keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
          docs: {
            summary: "Increments a counter and returns its new value",
            since: "1.0.0",
            complexity: "O(1)",
          },
          handler(c, argv) {
            if (argv.length > 3) throw new ReplyError("ERR syntax error");
            const by = argv.length === 3 ? intArg(argv[2]!) : 1;
            if (by < 1) throw new ReplyError("ERR increment must be a positive integer");
            const key = argv[1]!;
            const cur = lookup(c, key);
            const next = (cur?.value ?? 0) + by;
            if (next > max) throw new ReplyError(`ERR counter would exceed counter-max (${max})`);
            if (cur) cur.value = next;
            else c.db.set(key, new Counter(next));
            increments++;
            // Every write reports its keys: WATCH, keyspace notifications,
            // the dirty counter and propagation to replicas and the AOF
            // (this command is deterministic, so it propagates as written).
            c.changed(key, "counter.incr", "d");
            c.reply.integer(next);
          },
        }),
        command({
          name: "counter.get",
          arity: 2,
          flags: ["readonly", "fast"],
          keySpecs: [keys.one(1, ["RO", "ACCESS"])],
          docs: {
            summary: "Returns the value of a counter",
            since: "1.0.0",
            complexity: "O(1)",
          },
          handler(c, argv) {
            const cur = lookup(c, argv[1]!);
            if (cur) c.reply.integer(cur.value);
            else c.reply.nullBulk();
          },
        }),
        command({
          name: "counter.reset",
          arity: 2,
          flags: ["write", "fast"],
          keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
          docs: {
            summary: "Deletes a counter and returns its last value",
            since: "1.0.0",
            complexity: "O(1)",
          },
          handler(c, argv) {
            const key = argv[1]!;
            const cur = lookup(c, key);
            if (!cur) {
              // Nothing changed: no c.changed(), so nothing is propagated.
              c.reply.nullBulk();
              return;
            }
            c.db.delete(key);
            c.changed(key, "del", "g");
            c.reply.integer(cur.value);
          },
        }),
      ],
      hooks: {
        // `INFO counters` shows these lines.
        info(section: string) {
          if (section !== "counters") return undefined;
          return { counter_increments: increments, counter_max: max };
        },
      },
    };
  },
});

export default counter;
