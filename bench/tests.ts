/**
 * The benchmark's test list: one line per row of BENCHMARKS.md. Add a
 * family with `t("lpush")` (a built-in redis-benchmark test) or
 * `cmd("ZADD", "zadd myzset __rand_int__ member:__rand_int__")` (a custom
 * command line, passed to redis-benchmark as separate arguments with no
 * shell in between; redis-benchmark substitutes `__rand_int__`). A row that
 * needs something running beside redis-benchmark (a subscriber for PUBLISH)
 * adds a `setup` (see `subscriber.ts`), started before each of its runs and
 * stopped after. A sequence of commands counted as one unit (MULTI ... EXEC)
 * is a {@link ScriptedBenchTest}, run by `scripted.ts` instead of
 * redis-benchmark.
 *
 * Rows that read what an earlier row wrote (LPOP pops what LPUSH pushed,
 * XRANGE reads the stream XADD filled) name that row in `after`: the list
 * must keep it earlier (checked when this module loads), and a run with
 * `--only` that leaves it out runs it once, unmeasured, to fill the data.
 *
 * @module
 */

import { type RowSetup, subscriber } from "./subscriber.ts";

/** The load generators a row can use. */
export type BenchTool = "redis-benchmark" | "scripted";

/** One benchmark row. */
export interface BenchTest {
  /** Row name in the report. */
  readonly name: string;
  /** What `--only` matches (case-insensitive); the name for most rows. */
  readonly id: string;
  /** The program run for this row. */
  readonly tool: BenchTool;
  /** Arguments selecting the test (after the common -h -p -c -n -P --csv). */
  readonly args: readonly string[];
  /**
   * The CSV `test` column to read, when the tool prints several rows
   * (e.g. `-t lrange_100` also runs LPUSH) or names it differently.
   */
  readonly row?: string;
  /** Runs beside each invocation of this row. */
  readonly setup?: RowSetup;
  /** The id of an earlier row whose data this row reads. */
  readonly after?: string;
  /**
   * Fraction of the pipeline's request count this row sends, for rows
   * much slower than the rest (so every row runs for a similar time).
   */
  readonly scale?: number;
  /** What one counted operation is, when it is not one request. */
  readonly unit?: string;
  /** Shown under the report's method: what the row measures, when not obvious. */
  readonly note?: string;
}

/** Optional parts of a row. */
export type RowOptions = Partial<
  Pick<BenchTest, "name" | "id" | "row" | "setup" | "after" | "scale" | "note">
>;

/** A built-in redis-benchmark test (`-t name`), plus extra arguments. */
export function t(name: string, opts: RowOptions & { extra?: readonly string[] } = {}): BenchTest {
  const { extra = [], ...rest } = opts;
  return {
    name: name.toUpperCase(),
    id: name.toUpperCase(),
    tool: "redis-benchmark",
    args: ["-t", name, ...extra],
    ...rest,
  };
}

/**
 * A custom command line. redis-benchmark names the CSV row after the
 * command line itself, so that is the row read.
 */
export function cmd(
  name: string,
  line: string,
  opts: RowOptions & { extra?: readonly string[] } = {},
): BenchTest {
  const { extra = [], ...rest } = opts;
  const words = line.split(/\s+/).filter((w) => w !== "");
  return {
    name,
    id: name.toUpperCase(),
    tool: "redis-benchmark",
    args: [...extra, ...words],
    row: words.join(" "),
    ...rest,
  };
}

/**
 * A row redis-benchmark cannot express, since it repeats a single command:
 * a sequence sent as one unit, pipelined, and counted once per unit (one
 * transaction per MULTI ... EXEC). Run by `scripted.ts`.
 */
export interface ScriptedBenchTest {
  /** Row name in the report. */
  readonly name: string;
  /** What `--only` matches (case-insensitive). */
  readonly id: string;
  /** What one counted unit is (plural), e.g. "transactions". */
  readonly unit: string;
  /** The commands of one unit, in order. */
  readonly script: readonly (readonly string[])[];
  /** Like redis-benchmark's -r: `__rand_int__` ranges over 0..r-1 (else stays 0). */
  readonly random?: number;
  /** Shown under the report's method. */
  readonly note: string;
}

/** Rows for the scripted runner, in report order. */
export const SCRIPTED_TESTS: readonly ScriptedBenchTest[] = [
  {
    name: "MULTI/EXEC (SET + INCR), transactions/s",
    id: "MULTI_EXEC",
    unit: "transactions",
    script: [["MULTI"], ["SET", "key:__rand_int__", "xxx"], ["INCR", "counter"], ["EXEC"]],
    note: "counts transactions per second, not requests: one unit is MULTI, " +
      "SET key:000000000000 xxx, INCR counter, EXEC (4 commands, 1 transaction), and " +
      "CPU µs/req is per transaction. redis-benchmark repeats a single command, so this row " +
      "uses bench/scripted.ts, a load generator written in Deno (raw TCP, -c connections " +
      "each sending -P units pipelined per round trip, as redis-benchmark does with " +
      "requests). Its client runs inside Deno and competes for the same 2 cores as the " +
      "server, with a different CPU cost per request than redis-benchmark's C client, so " +
      "compare this row's ratio rather than its absolute numbers with the other rows.",
  },
];

/** The separator between commands of a unit on scripted.ts's command line. */
export const SCRIPT_SEPARATOR = ";";

/** A scripted row as a {@link BenchTest} (scripted.ts's arguments). */
export function scripted(s: ScriptedBenchTest): BenchTest {
  const args: string[] = ["--name", s.name];
  if (s.random !== undefined) args.push("-r", String(s.random));
  s.script.forEach((command, i) => {
    if (i > 0) args.push(SCRIPT_SEPARATOR);
    args.push(...command);
  });
  return {
    name: s.name,
    id: s.id,
    tool: "scripted",
    args,
    row: s.name,
    unit: s.unit,
    note: s.note,
  };
}

/** Every row, in report order. */
export const TESTS: readonly BenchTest[] = [
  t("ping_mbulk"),
  t("set"),
  t("get"),
  // The SET and GET rows above repeat one key; these spread over 100k, as
  // a real dataset does (each lookup misses the CPU caches).
  t("set", {
    name: "SET (100k random keys)",
    id: "SET_RANDOM",
    extra: ["-r", "100000"],
    row: "SET",
    note: "`-t set -r 100000`: random keys out of 100k (about 63k distinct keys per " +
      "100k requests), so each lookup misses the CPU caches.",
  }),
  t("get", {
    name: "GET (100k random keys)",
    id: "GET_RANDOM",
    after: "SET_RANDOM",
    extra: ["-r", "100000"],
    row: "GET",
    note: "`-t get -r 100000`: reads the keys the random SET row wrote (most exist by then).",
  }),
  t("incr"),
  t("mset", { row: "MSET (10 keys)" }),
  // One subscriber connected, so each PUBLISH delivers a message.
  cmd("PUBLISH", "publish bench:channel xxxxxxxxxxxxxxxx", {
    setup: subscriber("bench:channel"),
    note: "one subscriber (redis-cli) stays connected, so each PUBLISH delivers a message.",
  }),
  t("lpush"),
  // Pops what LPUSH pushed (an empty list would measure null replies).
  t("lpop", { after: "LPUSH", note: "pops the elements the LPUSH row pushed (as many)." }),
  // Without -r, redis-benchmark's __rand_int__ stays 0: SADD and ZADD add
  // one member again and again, and SPOP / ZPOPMIN mostly find them empty,
  // exactly as in redis-benchmark's own suite. The random ZADD row below
  // grows a 100k-member sorted set.
  t("sadd"),
  t("spop", {
    after: "SADD",
    note: "redis-benchmark's SADD (no -r) adds the same member every time, so after the " +
      "first pop SPOP finds the set empty, as in redis-benchmark's own suite.",
  }),
  t("hset"),
  t("zadd"),
  t("zadd", {
    name: "ZADD (100k random members)",
    id: "ZADD_RANDOM",
    extra: ["-r", "100000"],
    row: "ZADD",
    note: "`-t zadd -r 100000`: random scores and members out of 100k, so the set grows " +
      "to about 100k members (the plain ZADD row re-adds one member).",
  }),
  t("zpopmin", {
    after: "ZADD_RANDOM",
    note: "pops the members the random ZADD row added, lowest score first; once they " +
      "are gone (about 100k), it finds the set empty.",
  }),
  // Also runs "LPUSH (needed to benchmark LRANGE)" first, with as many requests.
  t("lrange_100", {
    row: "LRANGE_100 (first 100 elements)",
    scale: 0.25,
    note: '`-t lrange_100` first runs "LPUSH (needed to benchmark LRANGE)" with as many ' +
      'requests; the row is the "LRANGE_100 (first 100 elements)" result only ' +
      "(`LRANGE mylist 0 99`, 100-element replies).",
  }),
  cmd("XADD", "XADD mystream * field value", {
    note: "`*` reaches redis-benchmark as a literal argument (no shell); the stream grows " +
      "by one entry per request.",
  }),
  // Reads the first 10 entries of the stream the XADD row filled.
  cmd("XRANGE", "XRANGE mystream - + COUNT 10", {
    after: "XADD",
    scale: 0.5,
    note: "reads the first 10 entries of the stream the XADD row filled.",
  }),
  cmd("PFADD", "PFADD bench:hll element:__rand_int__", {
    extra: ["-r", "100000"],
    note: "`-r 100000`: random elements out of 100k, so the HyperLogLog turns dense early " +
      "and most adds change no register.",
  }),
  cmd("PFCOUNT", "PFCOUNT bench:hll", {
    after: "PFADD",
    note: "counts the HyperLogLog the PFADD row filled (its cached cardinality).",
  }),
  // A script body with no spaces: redis-benchmark gets the line split on them.
  cmd("EVAL", "EVAL return(redis.call('INCR',KEYS[1])) 1 bench:eval", {
    note: "a one-line Lua script that INCRs one key: the cost of entering the script " +
      "engine plus one `redis.call` (Respite runs Lua on fengari, a Lua VM in JavaScript).",
  }),
  ...SCRIPTED_TESTS.map(scripted),
];

/** Finds a row by id (case-insensitive). */
export function findTest(id: string): BenchTest | undefined {
  const want = id.toUpperCase();
  return TESTS.find((test) => test.id === want);
}

// The order is part of the benchmark: a row must come after the row it reads.
for (const [i, test] of TESTS.entries()) {
  if (test.after === undefined) continue;
  const j = TESTS.findIndex((x) => x.id === test.after);
  if (j < 0 || j >= i) throw new Error(`bench row ${test.id} must come after ${test.after}`);
}
