/**
 * The benchmark's test list: one line per row of BENCHMARKS.md. Add a
 * family with `t("lpush")` (a built-in redis-benchmark test) or
 * `cmd("ZADD", "zadd myzset __rand_int__ member:__rand_int__")` (a custom
 * command line; redis-benchmark substitutes `__rand_int__`). A row that
 * needs something running beside redis-benchmark (a subscriber for PUBLISH)
 * adds a `setup` (see `subscriber.ts`), started before each of its runs and
 * stopped after.
 *
 * @module
 */

import { type RowSetup, subscriber } from "./subscriber.ts";

/** One benchmark row. */
export interface BenchTest {
  /** Row name in the report, and what `--only` matches (case-insensitive). */
  readonly name: string;
  /** redis-benchmark arguments selecting the test (after the common ones). */
  readonly args: readonly string[];
  /**
   * The CSV `test` column to read, when redis-benchmark prints several rows
   * (e.g. `-t lrange` also runs LPUSH) or names it differently.
   */
  readonly row?: string;
  /** Runs beside each redis-benchmark invocation of this row. */
  readonly setup?: RowSetup;
}

/** A built-in redis-benchmark test (`-t name`). */
export function t(name: string, row?: string): BenchTest {
  const test: BenchTest = { name: name.toUpperCase(), args: ["-t", name] };
  return row === undefined ? test : { ...test, row };
}

/**
 * A custom command line. redis-benchmark names the CSV row after the
 * command line itself, so that is the row read.
 */
export function cmd(name: string, line: string, extra: readonly string[] = []): BenchTest {
  const words = line.split(/\s+/).filter((w) => w !== "");
  return { name, args: [...extra, ...words], row: words.join(" ") };
}

/** Every row, in report order. */
export const TESTS: readonly BenchTest[] = [
  t("ping_mbulk"),
  t("set"),
  t("get"),
  t("incr"),
  t("mset", "MSET (10 keys)"),
  // One subscriber connected, so each PUBLISH delivers a message.
  {
    ...cmd("PUBLISH", "publish bench:channel xxxxxxxxxxxxxxxx"),
    setup: subscriber("bench:channel"),
  },
];

/**
 * A row redis-benchmark cannot express, since it repeats a single command:
 * a sequence sent as one unit, pipelined, and counted once per unit (one
 * transaction per MULTI ... EXEC). Needs a runner in run.ts beside
 * redis-benchmark (not wired yet, so TESTS above stays runnable as is).
 */
export interface ScriptedBenchTest {
  /** Row name in the report. */
  readonly name: string;
  /** The commands of one unit, in order. */
  readonly script: readonly (readonly string[])[];
}

/** Rows for a scripted runner, in report order. */
export const SCRIPTED_TESTS: readonly ScriptedBenchTest[] = [
  {
    name: "MULTI/EXEC (SET + INCR)",
    script: [["MULTI"], ["SET", "key:__rand_int__", "xxx"], ["INCR", "counter"], ["EXEC"]],
  },
];
