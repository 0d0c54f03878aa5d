/**
 * SORTED SETS family: differential scripts against redis-server (replies,
 * errors, RESP3, encodings, digests), propagation and keyspace events, a
 * seeded random comparison with the oracle, and ioredis.
 */
import { Redis } from "ioredis";

import {
  captureWrites,
  checkWrites,
  diffDirty,
  diffTest,
  hasRedis,
  prng,
  RawClient,
  sharedServers,
  startRespite,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const BIN = "a\x00b\x80\xff\r\n";

diffTest("ZADD flags, replies and errors", [
  ["ZADD", "z", "1", "a", "2", "b", "0.1", "c"],
  ["ZADD", "z", "1", "a"],
  ["ZADD", "z", "CH", "5", "a", "2", "b", "3", "d"],
  ["ZADD", "z", "NX", "9", "a", "9", "e"],
  ["ZADD", "z", "XX", "7", "a", "9", "f"],
  ["ZADD", "z", "XX", "CH", "8", "a", "9", "g"],
  ["ZADD", "z", "GT", "CH", "1", "a", "100", "b"],
  ["ZADD", "z", "LT", "CH", "1", "a", "100", "c"],
  ["ZADD", "z", "gt", "xx", "ch", "500", "a", "1", "nope"],
  ["ZADD", "z", "INCR", "5", "a"],
  ["ZADD", "z", "XX", "INCR", "5", "nope"],
  ["ZADD", "z", "NX", "INCR", "5", "a"],
  ["ZADD", "z", "GT", "INCR", "-5", "a"],
  ["ZADD", "z", "LT", "INCR", "5", "a"],
  ["ZADD", "z", "LT", "INCR", "-5", "a"],
  ["ZADD", "z", "INCR", "0", "a"],
  ["ZADD", "z", "XX", "NX", "1", "a"],
  ["ZADD", "z", "GT", "LT", "1", "a"],
  ["ZADD", "z", "GT", "NX", "1", "a"],
  ["ZADD", "z", "LT", "NX", "1", "a"],
  ["ZADD", "z", "INCR", "1", "a", "2", "b"],
  ["ZADD", "z", "1"],
  ["ZADD", "z", "1", "a", "2"],
  ["ZADD", "z", "CH", "1"],
  ["ZADD", "z", "nan", "a"],
  ["ZADD", "z", "abc", "a"],
  ["ZADD", "z", "1", "a", "x", "b"],
  ["ZADD", "z", "1e400", "a"],
  ["ZADD", "z", "1e-400", "a"],
  ["ZADD", "z", " 1", "a"],
  ["ZADD", "z", "1 ", "a"],
  ["ZADD", "z", "", "a"],
  ["ZADD", "z", "0x10", "hex", "+1", "plus", ".5", "dot", "5.", "dot2", "4.9e-324", "tiny"],
  ["ZADD", "z", "+inf", "pinf", "-Infinity", "ninf", "INF", "inf2", "-0", "negzero"],
  ["ZADD", "z", "1.7976931348623157e308", "maxd", "1e", "bad"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ["ZADD", "z", "INCR", "-inf", "pinf"],
  ["ZINCRBY", "z", "inf", "pinf"],
  ["ZADD", "new", "XX", "1", "a"],
  ["ZADD", "new", "XX", "INCR", "1", "a"],
  ["EXISTS", "new"],
  ["ZADD", "bin", "1", BIN, "1", "a\x00", "1", "a"],
  ["ZRANGE", "bin", "0", "-1"],
  ["SET", "s", "v"],
  ["ZADD", "s", "1", "a"],
  ["ZADD", "s", "XX", "NX", "1", "a"],
  ["ZADD", "s", "abc", "a"],
  ["HSET", "h", "f", "v"],
  ["ZADD", "h", "1", "a"],
]);

diffTest("ZINCRBY, ZSCORE, ZMSCORE, ZCARD", [
  ["ZINCRBY", "z", "1.5", "a"],
  ["ZINCRBY", "z", "0.1", "a"],
  ["ZINCRBY", "z", "-1.6", "a"],
  ["ZINCRBY", "z", "abc", "a"],
  ["ZINCRBY", "z", "inf", "a"],
  ["ZINCRBY", "z", "-inf", "a"],
  ["ZINCRBY", "z", "1", "a", "extra"],
  ["ZINCRBY", "z", "0", "a"],
  ["ZINCRBY", "z", "1e308", "b"],
  ["ZINCRBY", "z", "1e308", "b"],
  ["ZSCORE", "z", "a"],
  ["ZSCORE", "z", "b"],
  ["ZSCORE", "z", "nope"],
  ["ZSCORE", "nokey", "a"],
  ["ZMSCORE", "z", "a", "nope", "b"],
  ["ZMSCORE", "nokey", "a", "b"],
  ["ZMSCORE", "z"],
  ["ZCARD", "z"],
  ["ZCARD", "nokey"],
  ["ZADD", "f", "0.1", "a", "1e100", "b", "123456789012345678", "c", "1e-5", "d", "1e17", "e"],
  ["ZSCORE", "f", "a"],
  ["ZSCORE", "f", "b"],
  ["ZSCORE", "f", "c"],
  ["ZSCORE", "f", "d"],
  ["ZSCORE", "f", "e"],
  ["SET", "s", "v"],
  ["ZINCRBY", "s", "1", "a"],
  ["ZSCORE", "s", "a"],
  ["ZMSCORE", "s", "a"],
  ["ZCARD", "s"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZSCORE", "z", "a"],
  ["ZSCORE", "z", "nope"],
  ["ZMSCORE", "z", "a", "nope"],
  ["ZINCRBY", "z", "2", "a"],
  ["ZADD", "z", "INCR", "1", "a"],
  ["ZADD", "z", "NX", "INCR", "1", "a"],
  ["ZSCORE", "f", "a"],
]);

diffTest("ZCOUNT, ZLEXCOUNT and range parsing", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZCOUNT", "z", "-inf", "+inf"],
  ["ZCOUNT", "z", "2", "4"],
  ["ZCOUNT", "z", "(2", "4"],
  ["ZCOUNT", "z", "2", "(4"],
  ["ZCOUNT", "z", "(2", "(4"],
  ["ZCOUNT", "z", "(2", "(2"],
  ["ZCOUNT", "z", "4", "2"],
  ["ZCOUNT", "z", "(", "2"],
  ["ZCOUNT", "z", "", "2"],
  ["ZCOUNT", "z", " 1", "2"],
  ["ZCOUNT", "z", "( 1", "2"],
  ["ZCOUNT", "z", "1 ", "2"],
  ["ZCOUNT", "z", "1e400", "1e400"],
  ["ZCOUNT", "z", "0x1", "0x2"],
  ["ZCOUNT", "z", "abc", "2"],
  ["ZCOUNT", "z", "(nan", "2"],
  ["ZCOUNT", "z", "nan", "2"],
  ["ZCOUNT", "z", "1", "inf"],
  ["ZCOUNT", "z", "-inf", "(-inf"],
  ["ZCOUNT", "nokey", "1", "2"],
  ["ZCOUNT", "nokey", "x", "2"],
  ["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"],
  ["ZLEXCOUNT", "l", "-", "+"],
  ["ZLEXCOUNT", "l", "[b", "[d"],
  ["ZLEXCOUNT", "l", "(b", "(d"],
  ["ZLEXCOUNT", "l", "(b", "+"],
  ["ZLEXCOUNT", "l", "-", "(c"],
  ["ZLEXCOUNT", "l", "+", "-"],
  ["ZLEXCOUNT", "l", "-", "-"],
  ["ZLEXCOUNT", "l", "+", "+"],
  ["ZLEXCOUNT", "l", "[d", "[b"],
  ["ZLEXCOUNT", "l", "[", "+"],
  ["ZLEXCOUNT", "l", "(", "+"],
  ["ZLEXCOUNT", "l", "a", "+"],
  ["ZLEXCOUNT", "l", "[a", "b"],
  ["ZLEXCOUNT", "l", "--", "+"],
  ["ZLEXCOUNT", "nokey", "-", "+"],
  ["ZLEXCOUNT", "nokey", "x", "+"],
  ["SET", "s", "v"],
  ["ZCOUNT", "s", "1", "2"],
  ["ZCOUNT", "s", "x", "2"],
  ["ZLEXCOUNT", "s", "-", "+"],
]);

diffTest("ZRANGE and its options", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "5", "f"],
  ["ZRANGE", "z", "0", "-1"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ["ZRANGE", "z", "1", "3"],
  ["ZRANGE", "z", "-3", "-1"],
  ["ZRANGE", "z", "-100", "100"],
  ["ZRANGE", "z", "4", "2"],
  ["ZRANGE", "z", "6", "10"],
  ["ZRANGE", "z", "0", "0", "REV"],
  ["ZRANGE", "z", "0", "2", "rev", "withscores"],
  ["ZRANGE", "z", "2", "4", "BYSCORE"],
  ["ZRANGE", "z", "(2", "(5", "BYSCORE", "WITHSCORES"],
  ["ZRANGE", "z", "4", "2", "BYSCORE", "REV"],
  ["ZRANGE", "z", "2", "4", "BYSCORE", "REV"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
  ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "-1"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "2"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "0"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-5"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"],
  ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
  ["ZRANGE", "z", "(1", "2", "BYSCORE", "BYLEX"],
  ["ZRANGE", "z", "0", "1", "REV", "REV"],
  ["ZRANGE", "z", "a", "b"],
  ["ZRANGE", "z", "0", "1", "foo"],
  ["ZRANGE", "z", "x", "1", "BYSCORE"],
  ["ZRANGE", "z", "[x", "1", "BYLEX"],
  ["ZRANGE", "z", "0"],
  ["ZRANGE", "nokey", "0", "-1"],
  ["ZRANGE", "nokey", "x", "-1"],
  ["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
  ["ZRANGE", "l", "[b", "(d", "BYLEX"],
  ["ZRANGE", "l", "(d", "[b", "BYLEX", "REV"],
  ["ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "1", "2"],
  ["ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"],
  ["ZREVRANGE", "z", "0", "2"],
  ["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
  ["ZREVRANGE", "z", "0", "2", "REV"],
  ["ZREVRANGE", "z", "0", "2", "BYSCORE"],
  ["ZRANGEBYSCORE", "z", "2", "4"],
  ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "3"],
  ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1"],
  ["ZRANGEBYSCORE", "z", "0", "1", "withscores", "limit", "a", "b"],
  ["ZRANGEBYSCORE", "z", "0", "1", "REV"],
  ["ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"],
  ["ZRANGEBYSCORE", "z", "1"],
  ["ZREVRANGEBYSCORE", "z", "4", "2"],
  ["ZREVRANGEBYSCORE", "z", "(4", "(2", "WITHSCORES"],
  ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "-1"],
  ["ZREVRANGEBYSCORE", "z", "2", "4"],
  ["ZRANGEBYLEX", "l", "-", "+"],
  ["ZRANGEBYLEX", "l", "[b", "[c"],
  ["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1", "1"],
  ["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "0"],
  ["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"],
  ["ZRANGEBYLEX", "l", "x", "+"],
  ["ZREVRANGEBYLEX", "l", "+", "-"],
  ["ZREVRANGEBYLEX", "l", "(d", "[b"],
  ["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"],
  ["ZREVRANGEBYLEX", "l", "-", "+"],
  ["SET", "s", "v"],
  ["ZRANGE", "s", "0", "-1"],
  ["ZRANGEBYSCORE", "s", "0", "1"],
  ["ZRANGEBYLEX", "s", "-", "+"],
  ["ZREVRANGE", "s", "0", "1"],
  ["ZRANGE", "s", "x", "1"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ["ZRANGE", "z", "0", "1"],
  ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
  ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "0", "2"],
  ["ZREVRANGE", "z", "0", "1", "WITHSCORES"],
  ["ZRANGE", "nokey", "0", "-1", "WITHSCORES"],
]);

diffTest("ZRANGESTORE", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZRANGESTORE", "d", "z", "0", "-1"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "d", "z", "1", "2"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "d", "z", "(1", "4", "BYSCORE", "LIMIT", "1", "5"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "d", "z", "4", "1", "BYSCORE", "REV"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "d", "z", "[b", "[d", "BYLEX"],
  ["ZRANGE", "d", "0", "-1"],
  ["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "d", "z", "0", "-1", "LIMIT", "0", "1"],
  ["ZRANGESTORE", "d", "z", "x", "-1"],
  ["ZRANGESTORE", "d", "z", "10", "20"],
  ["EXISTS", "d"],
  ["ZRANGESTORE", "d", "nokey", "0", "-1"],
  ["SET", "s", "v"],
  ["ZRANGESTORE", "d", "s", "0", "-1"],
  ["ZRANGESTORE", "s", "z", "0", "-1"],
  ["TYPE", "s"],
  ["SET", "t", "v", "EX", "100"],
  ["ZRANGESTORE", "t", "z", "0", "0"],
  ["TTL", "t"],
  ["ZRANGESTORE", "d", "z", "0", "-1"],
  ["ZRANGESTORE", "d", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
  ["EXISTS", "d"],
  ["ZRANGESTORE", "d"],
]);

diffTest("ZRANK, ZREVRANK, ZREM, ZREMRANGEBY*", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZRANK", "z", "a"],
  ["ZRANK", "z", "e"],
  ["ZREVRANK", "z", "a"],
  ["ZREVRANK", "z", "e"],
  ["ZRANK", "z", "nope"],
  ["ZRANK", "nokey", "a"],
  ["ZREVRANK", "nokey", "a"],
  ["ZREM", "z", "a", "nope", "b", "a"],
  ["ZREM", "z", "nope"],
  ["ZREM", "nokey", "a"],
  ["ZREM", "z", "c", "d", "e", "more"],
  ["EXISTS", "z"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZREMRANGEBYRANK", "z", "0", "1"],
  ["ZREMRANGEBYRANK", "z", "5", "10"],
  ["ZREMRANGEBYRANK", "z", "-1", "-1"],
  ["ZREMRANGEBYRANK", "z", "x", "1"],
  ["ZRANGE", "z", "0", "-1"],
  ["ZREMRANGEBYRANK", "z", "0", "-1"],
  ["EXISTS", "z"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZREMRANGEBYSCORE", "z", "(3", "4"],
  ["ZREMRANGEBYSCORE", "z", "x", "4"],
  ["ZREMRANGEBYSCORE", "z", "10", "20"],
  ["ZREMRANGEBYSCORE", "z", "-inf", "(2"],
  ["ZRANGE", "z", "0", "-1"],
  ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
  ["EXISTS", "z"],
  ["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
  ["ZREMRANGEBYLEX", "l", "[a", "(c"],
  ["ZREMRANGEBYLEX", "l", "x", "+"],
  ["ZREMRANGEBYLEX", "l", "+", "-"],
  ["ZRANGE", "l", "0", "-1"],
  ["ZREMRANGEBYLEX", "l", "-", "+"],
  ["EXISTS", "l"],
  ["ZREMRANGEBYRANK", "nokey", "0", "1"],
  ["ZREMRANGEBYRANK", "nokey", "x", "1"],
  ["SET", "s", "v"],
  ["ZRANK", "s", "a"],
  ["ZREM", "s", "a"],
  ["ZREMRANGEBYRANK", "s", "0", "1"],
  ["ZREMRANGEBYSCORE", "s", "0", "1"],
  ["ZREMRANGEBYLEX", "s", "-", "+"],
  ["ZREM", "z"],
  ["ZRANK", "z"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZADD", "z", "1", "a"],
  ["ZRANK", "z", "a"],
  ["ZRANK", "z", "nope"],
]);

diffTest("ZPOPMIN, ZPOPMAX, ZMPOP", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZPOPMIN", "z"],
  ["ZPOPMAX", "z"],
  ["ZPOPMIN", "z", "2"],
  ["ZPOPMIN", "z", "0"],
  ["ZPOPMIN", "z", "-1"],
  ["ZPOPMIN", "z", "x"],
  ["ZPOPMIN", "z", "1", "2"],
  ["ZPOPMAX", "z", "10"],
  ["EXISTS", "z"],
  ["ZPOPMIN", "nokey"],
  ["ZPOPMIN", "nokey", "2"],
  ["ZPOPMIN", "nokey", "0"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["ZMPOP", "1", "z", "MIN"],
  ["ZMPOP", "2", "nokey", "z", "max", "COUNT", "10"],
  ["EXISTS", "z"],
  ["ZMPOP", "1", "nokey", "MIN"],
  ["ZMPOP", "0", "z", "MIN"],
  ["ZMPOP", "-1", "z", "MIN"],
  ["ZMPOP", "abc", "z", "MIN"],
  ["ZMPOP", "1", "z"],
  ["ZMPOP", "1", "z", "foo"],
  ["ZMPOP", "2", "z", "MIN"],
  ["ZMPOP", "1", "z", "MIN", "COUNT", "0"],
  ["ZMPOP", "1", "z", "MIN", "COUNT", "-1"],
  ["ZMPOP", "1", "z", "MIN", "COUNT", "x"],
  ["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"],
  ["ZMPOP", "1", "z", "MIN", "COUNT"],
  ["ZMPOP", "1", "z", "MIN", "foo"],
  ["SET", "s", "v"],
  ["ZPOPMIN", "s"],
  ["ZMPOP", "2", "nokey", "s", "MIN"],
  ["ZADD", "z", "1", "a"],
  ["ZMPOP", "2", "z", "s", "MIN"],
  ["BZPOPMIN", "s", "0"],
  ["BZPOPMIN", "z", "-1"],
  ["BZPOPMIN", "z", "x"],
  ["BZPOPMIN", "z", "inf"],
  ["BZMPOP", "0", "0", "z", "MIN"],
  ["BZMPOP", "-1", "1", "z", "MIN"],
  ["BZMPOP", "x", "1", "z", "MIN"],
  ["BZMPOP", "x", "1", "z", "foo"],
  ["BZMPOP", "0", "1", "z"],
  ["BZMPOP", "0", "1", "s", "MIN"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["BZPOPMIN", "nokey", "z", "0"],
  ["BZPOPMAX", "nokey", "z", "0"],
  ["BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "2"],
  ["BZMPOP", "0.01", "1", "nokey", "MIN"],
  ["BZPOPMIN", "nokey", "0.01"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZPOPMIN", "z"],
  ["ZPOPMIN", "z", "1"],
  ["ZPOPMIN", "nokey"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
  ["ZPOPMAX", "z", "2"],
  ["ZMPOP", "1", "z", "MIN", "COUNT", "2"],
  ["ZMPOP", "1", "nokey", "MIN"],
  ["BZPOPMIN", "z", "0"],
  ["BZMPOP", "0", "1", "z", "MAX"],
  ["BZMPOP", "0.01", "1", "nokey", "MIN"],
  ["BZPOPMIN", "nokey", "0.01"],
]);

diffTest("ZUNION, ZINTER, ZDIFF and their STORE forms", [
  ["ZADD", "a", "1", "x", "2", "y", "inf", "z"],
  ["ZADD", "b", "1", "x", "-inf", "z", "3", "w"],
  ["SADD", "st", "x", "y", "q"],
  ["ZUNION", "2", "a", "b", "WITHSCORES"],
  ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "2", "WITHSCORES"],
  ["ZUNION", "2", "a", "b", "WEIGHTS", "0", "1", "WITHSCORES"],
  ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "WITHSCORES"],
  ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "nan"],
  ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "abc"],
  ["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
  ["ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"],
  ["ZUNION", "2", "a", "b", "AGGREGATE", "foo"],
  ["ZUNION", "2", "a", "b", "AGGREGATE"],
  ["ZUNION", "2", "a", "a", "WEIGHTS", "inf", "-inf", "WITHSCORES"],
  ["ZUNION", "1", "a", "WEIGHTS", "inf", "WITHSCORES"],
  ["ZUNION", "3", "a", "b", "st", "WITHSCORES"],
  ["ZUNION", "3", "a", "nokey", "st", "WEIGHTS", "2", "3", "4", "AGGREGATE", "SUM", "WITHSCORES"],
  ["ZUNION", "1", "nokey", "WITHSCORES"],
  ["ZUNION", "1", "a", "WITHSCORES", "foo"],
  ["ZINTER", "2", "a", "b", "WITHSCORES"],
  ["ZINTER", "2", "a", "b", "WEIGHTS", "0", "0", "WITHSCORES"],
  ["ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"],
  ["ZINTER", "3", "a", "b", "st", "WITHSCORES"],
  ["ZINTER", "2", "a", "st", "WITHSCORES"],
  ["ZINTER", "2", "a", "nokey"],
  ["ZINTER", "2", "a", "a", "WITHSCORES"],
  ["ZDIFF", "2", "a", "b", "WITHSCORES"],
  ["ZDIFF", "2", "a", "st", "WITHSCORES"],
  ["ZDIFF", "1", "a"],
  ["ZDIFF", "2", "nokey", "a"],
  ["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"],
  ["ZDIFF", "2", "a", "b", "AGGREGATE", "MIN"],
  ["ZUNION", "0", "a"],
  ["ZUNION", "-1", "a"],
  ["ZUNION", "abc", "a"],
  ["ZUNION", "3", "a"],
  ["ZINTER", "0", "a"],
  ["ZDIFF", "0", "a"],
  ["ZUNIONSTORE", "d", "0", "a"],
  ["ZINTERSTORE", "d", "0", "a"],
  ["ZDIFFSTORE", "d", "0", "a"],
  ["ZUNIONSTORE", "d", "2", "a"],
  ["ZUNIONSTORE", "d", "abc", "a"],
  ["ZUNIONSTORE", "d", "2", "a", "b"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"],
  ["ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "2", "AGGREGATE", "SUM", "AGGREGATE", "MAX"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MIN"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZDIFFSTORE", "d", "2", "a", "b"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["ZDIFFSTORE", "d", "1", "nokey"],
  ["EXISTS", "d"],
  ["ZINTERSTORE", "d", "2", "a", "nokey"],
  ["ZUNIONSTORE", "a", "2", "a", "b"],
  ["ZRANGE", "a", "0", "-1", "WITHSCORES"],
  ["ZUNIONSTORE", "st2", "1", "st"],
  ["TYPE", "st2"],
  ["ZRANGE", "st2", "0", "-1", "WITHSCORES"],
  ["SET", "s", "v"],
  ["ZUNION", "2", "a", "s"],
  ["ZUNION", "2", "s", "a", "foo"],
  ["ZUNIONSTORE", "d", "1", "s"],
  ["ZUNIONSTORE", "s", "1", "a"],
  ["TYPE", "s"],
  ["RPUSH", "list", "x"],
  ["ZINTER", "2", "a", "list"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZUNION", "2", "a", "b", "WITHSCORES"],
  ["ZINTER", "2", "a", "b"],
  ["ZDIFF", "2", "a", "b", "WITHSCORES"],
]);

diffTest("ZINTERCARD", [
  ["ZADD", "a", "1", "x", "2", "y", "3", "z"],
  ["ZADD", "b", "1", "x", "2", "y", "3", "w"],
  ["SADD", "st", "x", "q"],
  ["ZINTERCARD", "2", "a", "b"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT", "0"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT", "10"],
  ["ZINTERCARD", "3", "a", "b", "st"],
  ["ZINTERCARD", "2", "a", "nokey"],
  ["ZINTERCARD", "1", "a"],
  ["ZINTERCARD", "0", "a"],
  ["ZINTERCARD", "-1", "a"],
  ["ZINTERCARD", "x", "a"],
  ["ZINTERCARD", "3", "a", "b"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT", "x"],
  ["ZINTERCARD", "2", "a", "b", "LIMIT"],
  ["ZINTERCARD", "2", "a", "b", "foo"],
  ["ZINTERCARD", "2", "a", "b", "WITHSCORES"],
  ["ZINTERCARD", "2", "a", "b", "WEIGHTS", "1", "2"],
  ["SET", "s", "v"],
  ["ZINTERCARD", "2", "a", "s"],
]);

diffTest("ZRANDMEMBER", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["ZRANDMEMBER", "nokey"],
  ["ZRANDMEMBER", "nokey", "1"],
  ["ZRANDMEMBER", "nokey", "-1", "WITHSCORES"],
  ["ZRANDMEMBER", "z", "0"],
  ["ZRANDMEMBER", "z", "0", "WITHSCORES"],
  { cmd: ["ZRANDMEMBER", "z", "5"], unordered: true },
  { cmd: ["ZRANDMEMBER", "z", "3"], unordered: true },
  { cmd: ["ZRANDMEMBER", "z", "-5"], shapeOnly: true },
  { cmd: ["ZRANDMEMBER", "z", "2", "WITHSCORES"], shapeOnly: true },
  ["ZRANDMEMBER", "z", "x"],
  ["ZRANDMEMBER", "z", "1", "foo"],
  ["ZRANDMEMBER", "z", "1", "WITHSCORES", "foo"],
  ["ZRANDMEMBER", "z", "-9223372036854775808"],
  ["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"],
  ["ZRANDMEMBER", "z", "9223372036854775808"],
  ["ZADD", "one", "1.5", "m"],
  ["ZRANDMEMBER", "one"],
  ["ZRANDMEMBER", "one", "-3", "WITHSCORES"],
  ["ZRANDMEMBER", "one", "1", "WITHSCORES"],
  ["ZRANDMEMBER", "one", "5", "WITHSCORES"],
  ["SET", "s", "v"],
  ["ZRANDMEMBER", "s"],
  ["ZRANDMEMBER", "s", "1"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZRANDMEMBER", "one", "-2", "WITHSCORES"],
  ["ZRANDMEMBER", "one", "1", "WITHSCORES"],
  ["ZRANDMEMBER", "one", "-2"],
  ["ZRANDMEMBER", "nokey"],
]);

diffTest("ZSCAN on a listpack", [
  ["ZADD", "z", "1", "a", "0.1", "b", "1e100", "c", "-0", "d", "2", "ca"],
  ["ZSCAN", "z", "0"],
  ["ZSCAN", "z", "0", "MATCH", "c*"],
  ["ZSCAN", "z", "0", "COUNT", "1"],
  ["ZSCAN", "z", "0", "COUNT", "1", "MATCH", "*"],
  ["ZSCAN", "z", "0", "COUNT", "0"],
  ["ZSCAN", "z", "0", "COUNT", "x"],
  ["ZSCAN", "z", "0", "foo"],
  ["ZSCAN", "z", "0", "TYPE", "zset"],
  ["ZSCAN", "z", "0", "NOVALUES"],
  ["ZSCAN", "z", "x"],
  ["ZSCAN", "z", "-1"],
  ["ZSCAN", "nokey", "0"],
  ["ZSCAN", "nokey", "0", "foo"],
  ["SET", "s", "v"],
  ["ZSCAN", "s", "0"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["ZSCAN", "z", "0"],
]);

diffTest("encodings, conversions and digests", [
  ["CONFIG", "SET", "zset-max-listpack-entries", "3"],
  ["CONFIG", "SET", "zset-max-listpack-value", "8"],
  ["CONFIG", "GET", "zset-max-ziplist-entries"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["OBJECT", "ENCODING", "z"],
  ["ZADD", "z", "4", "d"],
  ["OBJECT", "ENCODING", "z"],
  ["ZREM", "z", "a", "b", "c"],
  ["OBJECT", "ENCODING", "z"],
  ["ZADD", "n", "1", "a", "1", "a", "1", "a", "1", "a"],
  ["OBJECT", "ENCODING", "n"],
  ["ZADD", "long", "1", "123456789"],
  ["OBJECT", "ENCODING", "long"],
  ["ZADD", "n", "2", "123456789"],
  ["OBJECT", "ENCODING", "n"],
  ["ZADD", "big", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZRANGESTORE", "d", "big", "0", "1"],
  ["OBJECT", "ENCODING", "d"],
  ["ZRANGESTORE", "d", "big", "0", "3"],
  ["OBJECT", "ENCODING", "d"],
  ["ZUNIONSTORE", "d", "1", "big"],
  ["OBJECT", "ENCODING", "d"],
  ["ZREMRANGEBYRANK", "d", "0", "2"],
  ["OBJECT", "ENCODING", "d"],
  ["ZUNIONSTORE", "d2", "1", "d"],
  ["OBJECT", "ENCODING", "d2"],
  ["ZINTERSTORE", "d3", "2", "big", "big"],
  ["OBJECT", "ENCODING", "d3"],
  ["ZDIFFSTORE", "d4", "1", "d"],
  ["OBJECT", "ENCODING", "d4"],
  ["ZUNIONSTORE", "d5", "1", "long"],
  ["OBJECT", "ENCODING", "d5"],
  ["ZINCRBY", "inc", "1", "abcdefghijk"],
  ["OBJECT", "ENCODING", "inc"],
  ["COPY", "big", "bigcopy"],
  ["OBJECT", "ENCODING", "bigcopy"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
  ["ZADD", "zero", "1", "a"],
  ["OBJECT", "ENCODING", "zero"],
  ["ZADD", "negz", "-0", "m0", "0.1", "a", "5", "b"],
  ["ZSCORE", "negz", "m0"],
  ["ZRANGE", "negz", "0", "-1", "WITHSCORES"],
  ["DEBUG", "DIGEST-VALUE", "negz"],
  { cmd: ["ZSCAN", "negz", "0", "COUNT", "100"], shapeOnly: true },
  ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
  ["CONFIG", "SET", "zset-max-listpack-value", "64"],
  ["ZADD", "negl", "-0", "m0", "1", "a"],
  ["ZINCRBY", "negl", "-1", "a"],
  ["ZRANGE", "negl", "0", "-1", "WITHSCORES"],
  ["DEBUG", "DIGEST-VALUE", "negl"],
  ["ZADD", "dg", "0.1", "a", "1.5", "b", "1e100", "c", "inf", "d", "-inf", "e", "1", "f"],
  ["ZADD", "dg", "123456789012345678", "g", "1e-5", "h", "0.0001", "i", "1e21", "j"],
  ["DEBUG", "DIGEST-VALUE", "dg", "big", "d", "nokey"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "1"],
  ["ZUNIONSTORE", "dg2", "1", "dg"],
  ["OBJECT", "ENCODING", "dg2"],
  ["DEBUG", "DIGEST-VALUE", "dg2"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "-1"],
  ["CONFIG", "SET", "zset-max-listpack-value", "-1"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
  ["CONFIG", "SET", "zset-max-listpack-value", "64"],
]);

diffTest("COMMAND INFO of the sorted-set commands", [
  ...[
    "zadd zincrby zscore zmscore zcard zcount zlexcount zrange zrangestore",
    "zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex zrevrange zrem",
    "zremrangebyrank zremrangebyscore zremrangebylex zpopmin zpopmax bzpopmin",
    "bzpopmax zmpop bzmpop zrandmember zunion zinter zdiff zunionstore zinterstore",
    "zdiffstore zintercard zscan",
  ].join(" ").split(" ").map((n) => ["COMMAND", "INFO", n]),
  ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
  ["COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN"],
  ["COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0"],
  ["COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"],
]);

// ---- A seeded random comparison with the oracle.

function randomScript(seed: number, n: number): string[][] {
  const r = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const member = () => `m${Math.floor(r() * 60)}`;
  const score = () =>
    pick([
      () => String(Math.floor(r() * 20) - 5),
      () => (r() * 10).toFixed(3),
      () => pick(["inf", "-inf", "0", "-0", "1e10", "0.1"]),
    ])();
  const bound = () => pick(["", "("]) + pick([score(), "-inf", "+inf"]);
  const key = () => pick(["z1", "z2"]);
  const out: string[][] = [["CONFIG", "SET", "zset-max-listpack-entries", "16"]];
  for (let i = 0; i < n; i++) {
    const k = key();
    switch (Math.floor(r() * 9)) {
      case 0:
      case 1: {
        const args = [];
        for (let j = 1 + Math.floor(r() * 4); j > 0; j--) args.push(score(), member());
        out.push(["ZADD", k, ...pick([[], ["NX"], ["XX"], ["GT"], ["LT", "CH"]]), ...args]);
        break;
      }
      case 2:
        out.push(["ZREM", k, member(), member()]);
        break;
      case 3:
        out.push(["ZINCRBY", k, score(), member()]);
        break;
      case 4: {
        const a = String(Math.floor(r() * 40) - 20), b = String(Math.floor(r() * 40) - 20);
        out.push(["ZRANGE", k, a, b, ...pick([[], ["WITHSCORES"], ["REV", "WITHSCORES"]])]);
        break;
      }
      case 5:
        out.push([pick(["ZRANK", "ZREVRANK"]), k, member()]);
        break;
      case 6:
        out.push([
          "ZRANGEBYSCORE",
          k,
          bound(),
          bound(),
          "WITHSCORES",
          ...pick([[], ["LIMIT", String(Math.floor(r() * 5)), String(Math.floor(r() * 8) - 1)]]),
        ]);
        break;
      case 7:
        out.push([pick(["ZCOUNT", "ZREMRANGEBYSCORE"]), k, bound(), bound()]);
        break;
      default:
        out.push(pick([
          ["ZCARD", k],
          ["ZSCORE", k, member()],
          ["ZPOPMIN", k],
          ["ZUNIONSTORE", "z3", "2", "z1", "z2", "WEIGHTS", "1", "0.5"],
          ["ZINTER", "2", "z1", "z2", "WITHSCORES"],
          ["ZREMRANGEBYRANK", k, "0", "1"],
          ["OBJECT", "ENCODING", k],
          ["DEBUG", "DIGEST-VALUE", k],
        ]));
    }
  }
  out.push(["ZRANGE", "z1", "0", "-1", "WITHSCORES"]);
  out.push(["ZRANGE", "z2", "0", "-1", "WITHSCORES"]);
  out.push(["DEBUG", "DIGEST"]);
  out.push(["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
  return out;
}

diffTest("random ZADD/ZREM/ZINCRBY/ZRANGE/ZRANK/ZRANGEBYSCORE (seeded)", randomScript(42, 2000));

/** Equal scores, lex ranges and set operations over three keys. */
function randomLexScript(seed: number, n: number): string[][] {
  const r = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const member = () =>
    pick(["", "a", "ab", "abc", "b", "ba", "c", "\x00", "\xff", "zz"]) +
    String.fromCharCode(97 + Math.floor(r() * 5));
  const lex = () => pick(["-", "+", "[" + member(), "(" + member(), "[", "("]);
  const key = () => pick(["l1", "l2", "l3"]);
  const w = () => pick(["1", "0.5", "-2", "0.1", "3"]);
  const out: string[][] = [["CONFIG", "SET", "zset-max-listpack-entries", "8"]];
  for (let i = 0; i < n; i++) {
    const k = key();
    switch (Math.floor(r() * 8)) {
      case 0:
      case 1:
        out.push(["ZADD", k, "0", member(), "0", member(), "0", member()]);
        break;
      case 2:
        out.push([pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), k, lex(), lex()]);
        break;
      case 3:
        out.push(["ZRANGE", k, lex(), lex(), "BYLEX", ...pick([[], ["REV"]]), "LIMIT", "1", "3"]);
        break;
      case 4:
        out.push([pick(["ZLEXCOUNT", "ZREMRANGEBYLEX"]), k, lex(), lex()]);
        break;
      case 5:
        out.push(["ZINCRBY", k, pick(["0", "-0"]), member()]);
        break;
      case 6:
        out.push([
          pick(["ZUNIONSTORE", "ZINTERSTORE"]),
          key(),
          "3",
          "l1",
          "l2",
          "l3",
          "WEIGHTS",
          w(),
          w(),
          w(),
          "AGGREGATE",
          pick(["SUM", "MIN", "MAX"]),
        ]);
        break;
      default:
        out.push(pick([
          ["ZDIFFSTORE", k, "2", key(), key()],
          ["ZRANGE", k, "0", "-1", "WITHSCORES"],
          ["ZINTERCARD", "2", key(), key()],
          ["ZMPOP", "2", k, key(), pick(["MIN", "MAX"]), "COUNT", "2"],
          ["OBJECT", "ENCODING", k],
          ["DEBUG", "DIGEST-VALUE", k],
        ]));
    }
  }
  out.push(["DEBUG", "DIGEST"]);
  out.push(["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
  return out;
}

diffTest("random lex ranges and set operations (seeded)", randomLexScript(7, 600));

// ---- Propagation and keyspace events.

Deno.test({
  name: "zsets: propagated argv and keyspace events",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cap = captureWrites();
    const { propagated: prop, events } = cap;
    const s = await startRespite({ plugins: [cap.plugin] });
    const c = await RawClient.connect(s.port);
    const step = checkWrites(c, cap);
    try {
      await step(["ZADD", "z", "1", "a", "2", "b"], 2, [["ZADD", "z", "1", "a", "2", "b"]], [
        "zadd:z:z",
      ]);
      await step(["ZADD", "z", "1", "a"], 0, [], []);
      await step(["ZADD", "z", "INCR", "1", "a"], "2", [["ZADD", "z", "INCR", "1", "a"]], [
        "zincr:z:z",
      ]);
      await step(["ZINCRBY", "z", "0", "a"], "2", [], []);
      await step(["ZINCRBY", "z", "1", "c"], "1", [["ZINCRBY", "z", "1", "c"]], ["zincr:z:z"]);
      await step(["ZREM", "z", "nope"], 0, [], []);
      await step(["ZPOPMIN", "z"], ["c", "1"], [["ZPOPMIN", "z"]], ["zpopmin:z:z"]);
      await step(["BZPOPMIN", "z", "0"], ["z", "a", "2"], [["ZPOPMIN", "z"]], ["zpopmin:z:z"]);
      await step(["BZPOPMAX", "z", "0"], ["z", "b", "2"], [["ZPOPMAX", "z"]], [
        "zpopmax:z:z",
        "del:g:z",
      ]);
      await step(["ZADD", "z", "1", "a", "2", "b", "3", "c"], 3, [[
        "ZADD",
        "z",
        "1",
        "a",
        "2",
        "b",
        "3",
        "c",
      ]], ["zadd:z:z"]);
      await step(["ZMPOP", "1", "z", "MAX", "COUNT", "2"], ["z", [["c", "3"], ["b", "2"]]], [[
        "ZPOPMAX",
        "z",
        "2",
      ]], ["zpopmax:z:z"]);
      await step(["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"], ["z", [["a", "1"]]], [[
        "ZPOPMIN",
        "z",
        "1",
      ]], ["zpopmin:z:z", "del:g:z"]);
      await step(["ZMPOP", "1", "z", "MIN"], null, [], []);
      await step(["ZADD", "z", "1", "a", "2", "b"], 2, [["ZADD", "z", "1", "a", "2", "b"]], [
        "zadd:z:z",
      ]);
      await step(["ZREMRANGEBYSCORE", "z", "0", "1"], 1, [["ZREMRANGEBYSCORE", "z", "0", "1"]], [
        "zremrangebyscore:z:z",
      ]);
      await step(["ZUNIONSTORE", "d", "1", "z"], 1, [["ZUNIONSTORE", "d", "1", "z"]], [
        "zunionstore:z:d",
      ]);
      await step(["ZINTERSTORE", "d", "2", "z", "nokey"], 0, [[
        "ZINTERSTORE",
        "d",
        "2",
        "z",
        "nokey",
      ]], ["del:g:d"]);
      await step(["ZDIFFSTORE", "d", "1", "nokey"], 0, [], []);
      await step(["ZRANGESTORE", "d", "z", "0", "-1"], 1, [["ZRANGESTORE", "d", "z", "0", "-1"]], [
        "zrangestore:z:d",
      ]);
      await step(["ZREM", "z", "b", "x"], 1, [["ZREM", "z", "b", "x"]], ["zrem:z:z", "del:g:z"]);
      // A blocked client served by another client's ZADD: the pop is propagated.
      const b = await RawClient.connect(s.port);
      await b.write("*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nq\r\n$1\r\n0\r\n");
      await new Promise((r) => setTimeout(r, 30));
      prop.length = 0;
      events.length = 0;
      assertEquals(await c.call("ZADD", "q", "5", "m"), 1);
      assertEquals((await b.read()).value, ["q", "m", "5"]);
      assertEquals(prop, [["ZADD", "q", "5", "m"], ["ZPOPMIN", "q"]]);
      assertEquals(events, ["zadd:z:q", "zpopmin:z:q", "del:g:q"]);
      b.close();
    } finally {
      c.close();
      await s.close();
    }
  },
});

// ---- ZSCAN over a skiplist (paged; order is the map's, so not diffed).

Deno.test({
  name: "zsets: ZSCAN pages through a skiplist",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      const args: string[] = [];
      for (let i = 0; i < 300; i++) args.push(String(i / 10), `m${i}`);
      assertEquals(await c.call("ZADD", "z", ...args), 300);
      assertEquals(await c.call("OBJECT", "ENCODING", "z"), "skiplist");
      const seen = new Map<string, string>();
      let cursor = "0", calls = 0;
      do {
        const [next, items] = await c.call("ZSCAN", "z", cursor, "COUNT", "50") as [
          string,
          string[],
        ];
        for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
        cursor = next;
        calls++;
      } while (cursor !== "0");
      assertEquals(seen.size, 300);
      assertEquals(seen.get("m3"), "0.29999999999999999");
      assertEquals(calls >= 6, true);
      const [, matched] = await c.call("ZSCAN", "z", "0", "MATCH", "m29*", "COUNT", "1000") as [
        string,
        string[],
      ];
      assertEquals(matched.length, 22);
    } finally {
      c.close();
      await s.close();
    }
  },
});

// ---- ioredis.

Deno.test({
  name: "zsets through ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const r = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      assertEquals(await r.zadd("z", 1, "a", 2.5, "b", "-inf", "c"), 3);
      assertEquals(await r.zrange("z", 0, -1, "WITHSCORES"), ["c", "-inf", "a", "1", "b", "2.5"]);
      assertEquals(await r.zscore("z", "b"), "2.5");
      assertEquals(await r.zincrby("z", "0.1", "a"), "1.1000000000000001");
      assertEquals(await r.zrangebyscore("z", "(1", "+inf"), ["a", "b"]);
      assertEquals(await r.zrank("z", "b"), 2);
      assertEquals(await r.zpopmax("z"), ["b", "2.5"]);
      assertEquals(await r.bzpopmin("z", 0), ["z", "c", "-inf"]);
      assertEquals(await r.zcard("z"), 1);
      const blocked = r.duplicate();
      const p = blocked.bzpopmax("w", 0);
      await new Promise((res) => setTimeout(res, 30));
      await r.zadd("w", 7, "x");
      assertEquals(await p, ["w", "x", "7"]);
      blocked.disconnect();
    } finally {
      r.disconnect();
      await s.close();
    }
  },
});

// Keep the shared servers referenced so an oracle-less run still type-checks.
void hasRedis;
void sharedServers;

diffDirty("zsets: every write command", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["ZADD", "z", "1", "a", "5", "b", "4", "d"],
  ["ZADD", "z", "XX", "9", "a", "9", "new"],
  ["ZADD", "z", "NX", "0", "a", "6", "e"],
  ["ZADD", "z", "GT", "1", "a", "10", "b"],
  ["ZADD", "z", "LT", "100", "a", "1", "b"],
  ["ZADD", "z", "CH", "1", "b", "7", "f"],
  ["ZADD", "z", "INCR", "2", "a"],
  ["ZADD", "z", "INCR", "0", "a"],
  ["ZADD", "z", "XX", "INCR", "1", "nope"],
  ["ZADD", "none", "XX", "1", "a"],
  ["ZADD", "z", "GT", "CH", "0", "b"],
  ["ZADD", "z", "LT", "INCR", "1", "a"],
  ["ZADD", "z", "INCR", "nan", "a"],
  ["ZADD", "z", "INCR", "inf", "a"],
  ["ZADD", "z", "INCR", "-inf", "a"],
  ["ZINCRBY", "z", "3", "c"],
  ["ZINCRBY", "z", "0", "c"],
  ["ZINCRBY", "z", "1", "brand"],
  ["ZREM", "z", "a", "nope", "b"],
  ["ZREM", "z", "nope"],
  ["ZREM", "none", "a"],
  ["ZREMRANGEBYRANK", "z", "0", "1"],
  ["ZREMRANGEBYRANK", "z", "50", "60"],
  ["ZREMRANGEBYSCORE", "z", "-inf", "6"],
  ["ZREMRANGEBYSCORE", "z", "1000", "+inf"],
  ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
  ["ZREMRANGEBYLEX", "lex", "[a", "[b"],
  ["ZREMRANGEBYLEX", "lex", "[x", "[y"],
  ["ZREMRANGEBYLEX", "lex", "-", "+"],
  ["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZPOPMIN", "p"],
  ["ZPOPMAX", "p", "2"],
  ["ZPOPMIN", "p", "0"],
  ["ZPOPMIN", "none"],
  ["ZMPOP", "2", "none", "p", "MIN", "COUNT", "5"],
  ["ZMPOP", "1", "none", "MAX"],
  ["ZADD", "b", "1", "a", "2", "b", "3", "c", "4", "d"],
  ["BZPOPMIN", "none", "b", "0"],
  ["BZPOPMAX", "b", "0"],
  ["BZMPOP", "0", "1", "b", "MIN", "COUNT", "10"],
  ["ZADD", "x", "1", "a", "2", "b", "3", "c"],
  ["ZADD", "y", "1", "b", "2", "c", "3", "d"],
  ["SADD", "s", "a", "z"],
  ["ZUNIONSTORE", "u", "3", "x", "y", "s"],
  ["ZUNIONSTORE", "u", "1", "none"],
  ["ZUNIONSTORE", "u", "1", "none"],
  ["ZINTERSTORE", "u", "2", "x", "y"],
  ["ZINTERSTORE", "u", "2", "x", "none"],
  ["ZDIFFSTORE", "u", "2", "x", "y"],
  ["ZDIFFSTORE", "u", "2", "x", "x"],
  ["ZRANGESTORE", "r", "x", "0", "-1"],
  ["ZRANGESTORE", "r", "x", "5", "10"],
  ["ZRANGESTORE", "r", "x", "5", "10"],
  ["SET", "str", "v"],
  ["ZADD", "str", "1", "a"],
]);

Deno.test("zsets: two servers in one process keep their own listpack thresholds", async () => {
  const a = await startRespite({ config: { "zset-max-listpack-entries": "1" } });
  const b = await startRespite();
  const ca = await RawClient.connect(a.port), cb = await RawClient.connect(b.port);
  try {
    for (const c of [ca, cb]) {
      await c.call("ZADD", "z", "1", "a", "2", "b");
      await c.call("ZUNIONSTORE", "u", "1", "z");
      await c.call("ZRANGESTORE", "r", "z", "0", "-1");
    }
    for (const k of ["z", "u", "r"]) {
      assertEquals(await ca.call("OBJECT", "ENCODING", k), "skiplist");
      assertEquals(await cb.call("OBJECT", "ENCODING", k), "listpack");
    }
  } finally {
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  }
});
