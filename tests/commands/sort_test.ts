/**
 * SORT and SORT_RO: differential scripts against redis-server over lists,
 * sets, sorted sets and hash/string patterns, plus the strtod rules.
 */
import { diffDirty, diffTest } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";
import { sortWeight } from "../../commands/sort.ts";

diffTest("sort: lists, numeric and ALPHA, ASC/DESC, LIMIT", [
  // First: Redis reads a stale errno, so once a conversion has hit ERANGE
  // later SORTs on that server fail too; this one must run before that.
  ["RPUSH", "good", "", "1", "-0", "+5", "  3", ".5", "5.", "1e1"],
  ["SORT", "good"],
  ["RPUSH", "l", "3", "1", "10", "2", "-1.5", "1e2", "0x10", " 7", "2"],
  ["SORT", "l"],
  ["SORT", "l", "DESC"],
  ["SORT", "l", "ALPHA"],
  ["SORT", "l", "ALPHA", "DESC"],
  ["SORT", "l", "LIMIT", "0", "3"],
  ["SORT", "l", "LIMIT", "2", "3", "DESC"],
  ["SORT", "l", "LIMIT", "-5", "2"],
  ["SORT", "l", "LIMIT", "3", "-1"],
  ["SORT", "l", "LIMIT", "100", "2"],
  ["SORT", "l", "LIMIT", "0", "0"],
  ["SORT", "l", "LIMIT", "x", "1"],
  ["SORT", "l", "LIMIT", "1"],
  ["SORT", "l", "asc", "desc", "asc"],
  ["SORT", "l", "BOGUS"],
  ["SORT_RO", "l"],
  ["SORT_RO", "l", "STORE", "d"],
  ["SORT", "none"],
  ["SORT", "none", "STORE", "d"],
  ["RPUSH", "bad", "1", "abc", "2"],
  ["SORT", "bad"],
  ["SORT", "bad", "ALPHA"],
  ["RPUSH", "nan", "1", "nan"],
  ["SORT", "nan"],
  ["RPUSH", "inf", "inf", "-inf", "1e400", "3"],
  ["SORT", "inf"],
  ["RPUSH", "odd", "", "1", "-0", "+5", "1e-400"],
  ["SORT", "odd"],
  ["SET", "str", "x"],
  ["SORT", "str"],
  ["SORT"],
]);

diffTest("sort: BY, GET, nosort, hash fields, STORE", [
  ["RPUSH", "l", "a", "b", "c", "d"],
  ["MSET", "w_a", "3", "w_b", "1", "w_c", "2", "o_a", "A", "o_b", "B", "o_d", "D"],
  ["SORT", "l", "BY", "w_*"],
  ["SORT", "l", "BY", "w_*", "DESC"],
  ["SORT", "l", "BY", "w_*", "GET", "o_*"],
  ["SORT", "l", "BY", "w_*", "GET", "#", "GET", "o_*", "GET", "nopattern"],
  ["SORT", "l", "BY", "nosort"],
  ["SORT", "l", "BY", "nosort", "DESC"],
  ["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"],
  ["SORT", "l", "BY", "nosort", "LIMIT", "1", "2", "DESC"],
  ["SORT", "l", "BY", "nosort", "GET", "o_*", "LIMIT", "5", "2"],
  ["SORT", "l", "BY", "w_*", "ALPHA"],
  ["SORT", "l", "BY", "o_*", "ALPHA", "DESC"],
  ["SORT", "l", "BY", "o_*"],
  ["HSET", "h_a", "f", "20", "n", "x"],
  ["HSET", "h_b", "f", "10", "n", "y"],
  ["HSET", "h_c", "f", "30"],
  ["SORT", "l", "BY", "h_*->f", "GET", "h_*->n", "GET", "#"],
  ["SORT", "l", "BY", "h_*->f", "DESC", "GET", "h_*->f"],
  ["SORT", "l", "BY", "w_*->f"],
  ["SORT", "l", "GET", "h_*->"],
  ["SORT", "l", "BY", "h_*->nope", "GET", "h_*->nope"],
  ["SORT", "l", "BY", "w_*", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["TYPE", "dst"],
  ["SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "h_*->n", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SET", "dst2", "string"],
  ["EXPIRE", "dst2", "100"],
  ["SORT", "l", "ALPHA", "STORE", "dst2", "LIMIT", "0", "2"],
  ["TTL", "dst2"],
  ["LRANGE", "dst2", "0", "-1"],
  ["SORT", "l", "ALPHA", "LIMIT", "0", "0", "STORE", "dst2"],
  ["EXISTS", "dst2"],
  ["SORT", "none", "STORE", "dst"],
  ["EXISTS", "dst"],
  ["SORT", "l", "STORE", "dst", "STORE", "dst3", "ALPHA"],
  ["EXISTS", "dst", "dst3"],
  ["SORT", "l", "STORE"],
  ["SORT", "l", "BY"],
  ["SORT", "l", "GET"],
  ["COMMAND", "GETKEYS", "SORT", "l", "BY", "w_*", "STORE", "x", "GET", "store", "STORE", "y"],
  ["COMMAND", "GETKEYS", "SORT_RO", "l", "BY", "w_*"],
]);

diffTest("sort: sets, sorted sets and other types", [
  ["SADD", "s", "5", "3", "10", "1", "-2"],
  ["SORT", "s"],
  ["SORT", "s", "DESC", "LIMIT", "1", "2"],
  ["SADD", "sa", "pear", "apple", "fig"],
  ["SORT", "sa", "ALPHA"],
  ["SORT", "sa"],
  { cmd: ["SORT", "sa", "BY", "nosort"], unordered: true },
  ["SORT", "sa", "BY", "nosort", "STORE", "sd"],
  ["LRANGE", "sd", "0", "-1"],
  ["ZADD", "z", "3", "c", "1", "a", "2", "b", "0", "d"],
  ["SORT", "z", "ALPHA"],
  ["SORT", "z", "BY", "nosort"],
  ["SORT", "z", "BY", "nosort", "DESC"],
  ["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"],
  ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
  ["SORT", "z", "BY", "nosort", "LIMIT", "9", "2"],
  ["SORT", "z"],
  ["HSET", "h", "f", "v"],
  ["SORT", "h"],
  ["SORT_RO", "h"],
  ["SORT_RO", "z", "BY", "nosort", "GET", "#"],
]);

Deno.test("sort: weights follow strtod", () => {
  assertEquals(sortWeight(""), 0);
  assertEquals(sortWeight("  3"), 3);
  assertEquals(sortWeight("3 "), undefined);
  assertEquals(sortWeight("  "), undefined);
  assertEquals(sortWeight("0x10"), 16);
  assertEquals(sortWeight("0x1p4"), 16);
  assertEquals(sortWeight("-Infinity"), -Infinity);
  assertEquals(sortWeight("nan"), undefined);
  assertEquals(sortWeight("1e400"), undefined);
  assertEquals(sortWeight("1e-400"), undefined);
  assertEquals(sortWeight("0e-400"), 0);
  assertEquals(sortWeight("1\x00junk"), 1);
  assertEquals(sortWeight(".5"), 0.5);
});

Deno.test("sort: weights refuse what sets ERANGE, as glibc's strtod", () => {
  // An inexact subnormal sets ERANGE; an exact one does not.
  assertEquals(sortWeight("1e-310"), undefined);
  assertEquals(sortWeight("0x1.1p-1073"), undefined);
  assertEquals(sortWeight("0x1.8p-1073"), 1.5e-323);
  assertEquals(sortWeight("1e-300"), 1e-300);
});

diffDirty("sort: STORE counts each stored element, a deleted destination one", [
  ["RPUSH", "l", "3", "1", "2"],
  ["SORT", "l", "STORE", "dst"],
  ["SORT", "l", "STORE", "dst"],
  ["SORT", "l", "LIMIT", "0", "1", "STORE", "dst"],
  ["SORT", "l", "BY", "nosort", "STORE", "dst"],
  ["SORT", "none", "STORE", "dst"],
  ["SORT", "none", "STORE", "dst"],
  ["SORT", "l"],
  ["SORT_RO", "l"],
  ["SADD", "s", "b", "a"],
  ["SORT", "s", "BY", "nosort", "STORE", "dst"],
  ["SORT", "l", "STORE"],
]);
