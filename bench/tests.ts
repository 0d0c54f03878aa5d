/**
 * The benchmark's test list: one line per row of BENCHMARKS.md. Add a
 * family with `t("lpush")` (a built-in redis-benchmark test) or
 * `cmd("ZADD", "zadd myzset __rand_int__ member:__rand_int__")` (a custom
 * command line; redis-benchmark substitutes `__rand_int__`).
 *
 * @module
 */

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
];
