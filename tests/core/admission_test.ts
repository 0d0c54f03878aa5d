/**
 * The deny checks a command passes before it runs (OOM, MISCONF,
 * NOREPLICAS, READONLY, MASTERDOWN), where Redis applies them beyond the
 * top level: EXEC re-checks its queue as one command when it runs, and a
 * script checks its first write. Differential against redis-server.
 */

import { diffSession, freePort, RawClient, type SessionStep, sleep } from "../_helpers.ts";

const INCR_IN_MULTI: SessionStep[] = [
  [0, "SET", "xx", "1"],
  [0, "MULTI"],
  [0, "INCR", "xx"],
];
const AFTER_EXEC: SessionStep[] = [[0, "EXEC"], [0, "GET", "xx"]];

/** A port nothing listens on: a replica of it never gets its link up. */
const deadPort = String(freePort());

/** The server's `dir`. */
async function dirOf(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return (await c.call("CONFIG", "GET", "dir") as string[])[1]!;
  } finally {
    c.close();
  }
}

/**
 * Makes BGSAVE fail (a directory stands where the dump file goes) with
 * save points set, so writes get MISCONF.
 */
async function failBgsave(_which: string, port: number): Promise<void> {
  await Deno.mkdir(`${await dirOf(port)}/dump.rdb/inside`, { recursive: true });
  const c = await RawClient.connect(port);
  try {
    await c.call("CONFIG", "SET", "save", "3600 1");
    await c.call("BGSAVE");
    for (let i = 0; i < 400; i++) {
      const info = await c.call("INFO", "persistence") as string;
      if (info.includes("rdb_bgsave_in_progress:0")) break;
      await sleep(10);
    }
  } finally {
    c.close();
  }
}

const UNDO_MISCONF = {
  cleanup: [["CONFIG", "SET", "save", ""]],
  undo: async (_which: string, port: number) =>
    await Deno.remove(`${await dirOf(port)}/dump.rdb`, { recursive: true }),
};

// EXEC: a transaction queued while the server allowed it is refused as a
// whole when the server no longer does (Redis checks EXEC with the union of
// its queue's flags).
diffSession("EXEC re-checks min-replicas-to-write (NOREPLICAS)", [
  ...INCR_IN_MULTI,
  [1, "CONFIG", "SET", "min-replicas-to-write", "2"],
  ...AFTER_EXEC,
], { cleanup: [["CONFIG", "SET", "min-replicas-to-write", "0"]] });

diffSession("EXEC re-checks maxmemory (OOM)", [
  ...INCR_IN_MULTI,
  [1, "CONFIG", "SET", "maxmemory", "1"],
  ...AFTER_EXEC,
], { cleanup: [["CONFIG", "SET", "maxmemory", "0"]] });

diffSession("EXEC re-checks the role (READONLY after REPLICAOF)", [
  ...INCR_IN_MULTI,
  [1, "REPLICAOF", "127.0.0.1", deadPort],
  ...AFTER_EXEC,
  [1, "REPLICAOF", "NO", "ONE"],
], { cleanup: [["REPLICAOF", "NO", "ONE"]] });

diffSession("EXEC re-checks a failed save (MISCONF)", [
  ...INCR_IN_MULTI,
  { act: failBgsave },
  ...AFTER_EXEC,
], UNDO_MISCONF);

diffSession("EXEC re-checks a stale replica (MASTERDOWN)", [
  [0, "SET", "xx", "1"],
  [0, "CONFIG", "SET", "replica-serve-stale-data", "no"],
  [0, "MULTI"],
  [0, "GET", "xx"],
  [1, "REPLICAOF", "127.0.0.1", deadPort],
  [0, "EXEC"],
  [1, "REPLICAOF", "NO", "ONE"],
  [0, "GET", "xx"],
], {
  cleanup: [["REPLICAOF", "NO", "ONE"], ["CONFIG", "SET", "replica-serve-stale-data", "yes"]],
});

diffSession("a read-only transaction still runs when writes are refused", [
  [0, "SET", "xx", "1"],
  [0, "MULTI"],
  [0, "GET", "xx"],
  [1, "CONFIG", "SET", "maxmemory", "1"],
  [1, "CONFIG", "SET", "min-replicas-to-write", "2"],
  [0, "EXEC"],
], {
  cleanup: [["CONFIG", "SET", "maxmemory", "0"], ["CONFIG", "SET", "min-replicas-to-write", "0"]],
});

diffSession("a refusal while queueing fails the transaction", [
  [0, "CONFIG", "SET", "maxmemory", "1"],
  [0, "MULTI"],
  [0, "GET", "xx"],
  [0, "EXEC"],
  [0, "CONFIG", "SET", "maxmemory", "0"],
  [0, "CONFIG", "SET", "min-replicas-to-write", "1"],
  [0, "MULTI"],
  [0, "SET", "xx", "1"],
  [0, "GET", "xx"],
  [0, "EXEC"],
], {
  cleanup: [["CONFIG", "SET", "maxmemory", "0"], ["CONFIG", "SET", "min-replicas-to-write", "0"]],
});

// Scripts: the first write is checked against the server's state; a
// declared script (shebang) or a function is admitted as a write up front.
const LIB = "#!lua name=admission\n" +
  "redis.register_function('w', function(k, a) return redis.call('set', 'x', 'y') end)\n" +
  "redis.register_function{function_name='r', callback=function(k, a) " +
  "return redis.call('get', 'x') end, flags={'no-writes'}}\n" +
  "redis.register_function{function_name='oomok', callback=function(k, a) " +
  "return redis.call('set', 'x', 'z') end, flags={'allow-oom'}}";

const SCRIPT_CALLS: SessionStep[] = [
  [0, "EVAL", "return redis.call('set','x','y')", "0"],
  [0, "EVAL", "return redis.pcall('set','x','y')", "0"],
  [0, "EVAL", "#!lua\nreturn redis.call('set','x','y')", "0"],
  [0, "EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", "0"],
  [0, "EVAL", "return redis.call('get','x')", "0"],
  [0, "FCALL", "w", "0"],
  [0, "FCALL", "r", "0"],
  [0, "FCALL_RO", "r", "0"],
];

diffSession("scripts and functions under maxmemory (OOM, allow-oom)", [
  [0, "FUNCTION", "LOAD", "REPLACE", LIB],
  [1, "CONFIG", "SET", "maxmemory", "1"],
  ...SCRIPT_CALLS,
  [0, "EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','x','y')", "0"],
  [0, "FCALL", "oomok", "0"],
  [0, "EVAL", "redis.call('get','x'); return redis.call('set','x','1')", "0"],
  [1, "CONFIG", "SET", "maxmemory", "0"],
  [0, "GET", "x"],
], { cleanup: [["CONFIG", "SET", "maxmemory", "0"], ["FUNCTION", "FLUSH"]] });

diffSession("scripts and functions under min-replicas-to-write (NOREPLICAS)", [
  [0, "FUNCTION", "LOAD", "REPLACE", LIB],
  [1, "CONFIG", "SET", "min-replicas-to-write", "1"],
  ...SCRIPT_CALLS,
  [0, "FCALL", "oomok", "0"],
  [1, "CONFIG", "SET", "min-replicas-to-write", "0"],
  [0, "GET", "x"],
], { cleanup: [["CONFIG", "SET", "min-replicas-to-write", "0"], ["FUNCTION", "FLUSH"]] });

diffSession("scripts and functions on a read-only replica (READONLY)", [
  [0, "SET", "x", "before"],
  [0, "FUNCTION", "LOAD", "REPLACE", LIB],
  [1, "REPLICAOF", "127.0.0.1", deadPort],
  ...SCRIPT_CALLS,
  [0, "EVAL", "#!lua flags=allow-stale\nreturn redis.call('set','x','y')", "0"],
  [1, "REPLICAOF", "NO", "ONE"],
  [0, "GET", "x"],
], { cleanup: [["REPLICAOF", "NO", "ONE"], ["FUNCTION", "FLUSH"]] });

diffSession("scripts and functions after a failed save (MISCONF)", [
  [0, "FUNCTION", "LOAD", "REPLACE", LIB],
  { act: failBgsave },
  ...SCRIPT_CALLS,
  [0, "FCALL", "oomok", "0"],
], { ...UNDO_MISCONF, cleanup: [...UNDO_MISCONF.cleanup, ["FUNCTION", "FLUSH"]] });

diffSession("scripts and functions on a stale replica (MASTERDOWN, allow-stale)", [
  [0, "SET", "x", "before"],
  [0, "FUNCTION", "LOAD", "REPLACE", LIB],
  [0, "CONFIG", "SET", "replica-serve-stale-data", "no"],
  [1, "REPLICAOF", "127.0.0.1", deadPort],
  ...SCRIPT_CALLS,
  [0, "EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", "0"],
  [0, "EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('time')[2] ~= nil", "0"],
  [0, "EVAL", "#!lua flags=allow-stale\nreturn redis.call('set','x','y')", "0"],
  [1, "REPLICAOF", "NO", "ONE"],
  [0, "GET", "x"],
], {
  cleanup: [
    ["REPLICAOF", "NO", "ONE"],
    ["CONFIG", "SET", "replica-serve-stale-data", "yes"],
    ["FUNCTION", "FLUSH"],
  ],
});
