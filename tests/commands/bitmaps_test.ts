/**
 * Tests of the bitmap family (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
 * BITFIELD, BITFIELD_RO): differential scripts against redis-server, exact
 * 64-bit replies byte for byte, WRONGTYPE, events and propagation in-process,
 * and a pass through ioredis.
 *
 * @module
 */

import { Redis } from "ioredis";
import {
  diffDirty,
  diffTest,
  hasRedis,
  RawClient,
  sharedServers,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";
import type { Plugin } from "../../mod.ts";

const BIN = "\x00\xff\x80\x7f\x01\xaa\x55\r\n\x9f";

/** The scripts, by name (exported so a script can be replayed by hand). */
export const SCRIPTS: Record<string, Step[]> = {
  "SETBIT and GETBIT": [
    ["SETBIT", "b", "7", "1"],
    ["GET", "b"],
    ["SETBIT", "b", "7", "1"],
    ["SETBIT", "b", "7", "0"],
    ["SETBIT", "b", "0", "1"],
    ["SETBIT", "b", "100", "1"],
    ["GET", "b"],
    ["STRLEN", "b"],
    ["GETBIT", "b", "0"],
    ["GETBIT", "b", "1"],
    ["GETBIT", "b", "100"],
    ["GETBIT", "b", "101"],
    ["GETBIT", "b", "4294967295"],
    ["GETBIT", "nokey", "5"],
    ["SET", "s", BIN],
    ["GETBIT", "s", "8"],
    ["GETBIT", "s", "16"],
    ["GETBIT", "s", "17"],
    ["SETBIT", "s", "9", "0"],
    ["SETBIT", "s", "80", "1"],
    ["GET", "s"],
    ["SET", "n", "12345"],
    ["SETBIT", "n", "7", "0"],
    ["GET", "n"],
    ["GETBIT", "n", "2"],
    // TTLs survive SETBIT.
    ["SET", "t", "x", "EX", "1000"],
    ["SETBIT", "t", "20", "1"],
    ["TTL", "t"],
    ["SETBIT", "z", "8000000", "1"],
    ["STRLEN", "z"],
    ["BITCOUNT", "z"],
    ["BITPOS", "z", "1"],
  ],
  "SETBIT and GETBIT errors": [
    ["SETBIT", "e", "-1", "1"],
    ["SETBIT", "e", "a", "1"],
    ["SETBIT", "e", "#1", "1"],
    ["SETBIT", "e", "01", "1"],
    ["SETBIT", "e", "+1", "1"],
    ["SETBIT", "e", "4294967296", "1"],
    ["SETBIT", "e", "99999999999999999999", "1"],
    ["SETBIT", "e", "1", "2"],
    ["SETBIT", "e", "1", "-1"],
    ["SETBIT", "e", "1", "a"],
    ["SETBIT", "e", "1", "01"],
    ["SETBIT", "e", "1", ""],
    ["SETBIT", "e", "a", "a"],
    ["SETBIT", "e", "1"],
    ["SETBIT", "e", "1", "1", "1"],
    ["GETBIT", "e", "-1"],
    ["GETBIT", "e", "x"],
    ["GETBIT", "e", "4294967296"],
    ["GETBIT", "e"],
    ["EXISTS", "e"],
  ],
  "BITCOUNT": [
    ["SET", "k", "foobar"],
    ["BITCOUNT", "k"],
    ["BITCOUNT", "k", "0", "0"],
    ["BITCOUNT", "k", "1", "1"],
    ["BITCOUNT", "k", "0", "-1"],
    ["BITCOUNT", "k", "-2", "-1"],
    ["BITCOUNT", "k", "-1", "-2"],
    ["BITCOUNT", "k", "-100", "100"],
    ["BITCOUNT", "k", "4", "2"],
    ["BITCOUNT", "k", "10", "20"],
    ["BITCOUNT", "k", "1", "1", "BYTE"],
    ["BITCOUNT", "k", "5", "30", "BIT"],
    ["BITCOUNT", "k", "5", "30", "bit"],
    ["BITCOUNT", "k", "3", "3", "BIT"],
    ["BITCOUNT", "k", "-5", "-1", "BIT"],
    ["BITCOUNT", "k", "-1", "-5", "BIT"],
    ["BITCOUNT", "k", "7", "8", "BIT"],
    ["BITCOUNT", "k", "0", "1000", "BIT"],
    ["BITCOUNT", "k", "-9223372036854775808", "9223372036854775807"],
    ["BITCOUNT", "k", "-9223372036854775808", "9223372036854775807", "BIT"],
    ["SET", "b", BIN],
    ["BITCOUNT", "b"],
    ["BITCOUNT", "b", "1", "3"],
    ["BITCOUNT", "b", "9", "21", "BIT"],
    ["SET", "empty", ""],
    ["BITCOUNT", "empty"],
    ["BITCOUNT", "empty", "0", "-1"],
    ["BITCOUNT", "empty", "0", "-1", "BIT"],
    ["BITCOUNT", "nokey"],
    // Redis 7.0 answers 0 for a missing key before parsing the range.
    ["BITCOUNT", "nokey", "a", "b"],
    ["BITCOUNT", "nokey", "1"],
    ["BITCOUNT", "k", "1"],
    ["BITCOUNT", "k", "a", "1"],
    ["BITCOUNT", "k", "1", "b"],
    ["BITCOUNT", "k", "1", "2", "BITS"],
    ["BITCOUNT", "k", "a", "2", "BITS"],
    ["BITCOUNT", "k", "1", "2", "BIT", "x"],
    ["BITCOUNT"],
  ],
  "BITPOS": [
    ["SET", "k", "\xff\xf0\x00"],
    ["BITPOS", "k", "0"],
    ["BITPOS", "k", "1"],
    ["BITPOS", "k", "1", "2"],
    ["BITPOS", "k", "0", "2"],
    ["BITPOS", "k", "1", "-1"],
    ["BITPOS", "k", "0", "1", "1"],
    ["BITPOS", "k", "0", "0", "0"],
    ["BITPOS", "k", "1", "0", "-1", "BIT"],
    ["BITPOS", "k", "0", "3", "11", "BIT"],
    ["BITPOS", "k", "1", "9", "11", "bit"],
    ["BITPOS", "k", "1", "12", "-1", "BIT"],
    ["BITPOS", "k", "1", "-10", "-1", "BIT"],
    ["BITPOS", "k", "0", "-100", "100", "BYTE"],
    ["BITPOS", "k", "1", "5", "2"],
    ["BITPOS", "k", "1", "100"],
    // All ones: a clear bit is found just past the end only without an end.
    ["SET", "ones", "\xff\xff"],
    ["BITPOS", "ones", "0"],
    ["BITPOS", "ones", "0", "0"],
    ["BITPOS", "ones", "0", "1"],
    ["BITPOS", "ones", "0", "-1"],
    ["BITPOS", "ones", "0", "0", "-1"],
    ["BITPOS", "ones", "0", "0", "1"],
    ["BITPOS", "ones", "0", "0", "15", "BIT"],
    ["BITPOS", "ones", "0", "3", "9", "BIT"],
    ["BITPOS", "ones", "1", "3", "9", "BIT"],
    ["SET", "zeros", "\x00\x00"],
    ["BITPOS", "zeros", "1"],
    ["BITPOS", "zeros", "0"],
    ["BITPOS", "zeros", "1", "0", "-1"],
    ["BITPOS", "zeros", "1", "1", "15", "BIT"],
    ["BITPOS", "zeros", "0", "1", "15", "BIT"],
    ["SET", "empty", ""],
    ["BITPOS", "empty", "0"],
    ["BITPOS", "empty", "1"],
    ["BITPOS", "empty", "0", "0"],
    ["BITPOS", "empty", "0", "0", "-1", "BIT"],
    ["BITPOS", "nokey", "0"],
    ["BITPOS", "nokey", "1"],
    ["BITPOS", "nokey", "1", "5", "10"],
    // Redis 7.0 answers for a missing key before parsing the range.
    ["BITPOS", "nokey", "0", "x"],
    ["BITPOS", "nokey", "0", "1", "2", "BIT", "x"],
    ["BITPOS", "k", "2"],
    ["BITPOS", "k", "-1"],
    ["BITPOS", "k", "x"],
    ["BITPOS", "nokey", "2"],
    ["BITPOS", "k", "1", "x"],
    ["BITPOS", "k", "1", "0", "x"],
    ["BITPOS", "k", "1", "0", "1", "BITS"],
    ["BITPOS", "k", "1", "0", "x", "BITS"],
    ["BITPOS", "k", "1", "x", "1", "BITS"],
    ["BITPOS", "k", "1", "0", "1", "BIT", "x"],
    ["BITPOS", "k"],
  ],
  "BITOP": [
    ["SET", "a", "\xff\x0f\xaa"],
    ["SET", "b", "\x0f\xff"],
    ["SET", "c", "\x01"],
    ["BITOP", "AND", "d", "a", "b"],
    ["GET", "d"],
    ["BITOP", "and", "d", "a", "b", "c"],
    ["GET", "d"],
    ["BITOP", "OR", "d", "a", "b", "c"],
    ["GET", "d"],
    ["BITOP", "xor", "d", "a", "b", "c"],
    ["GET", "d"],
    ["BITOP", "XoR", "d", "a", "a"],
    ["GET", "d"],
    ["BITOP", "NOT", "d", "a"],
    ["GET", "d"],
    ["BITOP", "AND", "d", "a"],
    ["GET", "d"],
    // Missing keys are empty strings, so zero bytes.
    ["BITOP", "AND", "d", "a", "nokey"],
    ["GET", "d"],
    ["BITOP", "OR", "d", "nokey", "a"],
    ["GET", "d"],
    ["BITOP", "NOT", "d", "nokey"],
    ["EXISTS", "d"],
    // An empty result deletes the destination.
    ["SET", "d", "x"],
    ["BITOP", "OR", "d", "nokey", "nokey2"],
    ["EXISTS", "d"],
    ["SET", "empty", ""],
    ["SET", "d", "x"],
    ["BITOP", "XOR", "d", "empty", "nokey"],
    ["EXISTS", "d"],
    // The destination's TTL goes; it may also be a source.
    ["SET", "t", "v", "EX", "100"],
    ["BITOP", "OR", "t", "t", "c"],
    ["TTL", "t"],
    ["GET", "t"],
    ["SET", "bin", BIN],
    ["BITOP", "NOT", "bin", "bin"],
    ["GET", "bin"],
    ["BITOP", "NOT", "d", "a", "b"],
    ["BITOP", "NOT", "d"],
    ["BITOP", "NAND", "d", "a"],
    ["BITOP", "", "d", "a"],
    ["BITOP", "AND", "d"],
    ["BITOP", "AND"],
  ],
  "BITFIELD GET, SET, INCRBY": [
    ["SET", "k", "foobar"],
    ["BITFIELD", "k", "GET", "u8", "0", "GET", "i8", "0", "GET", "u4", "4", "GET", "i5", "3"],
    [
      "BITFIELD",
      "k",
      "GET",
      "u8",
      "#1",
      "GET",
      "i16",
      "#2",
      "GET",
      "u1",
      "#47",
      "GET",
      "u1",
      "#48",
    ],
    ["BITFIELD", "k", "GET", "u32", "40", "GET", "i63", "0", "GET", "u63", "1"],
    ["BITFIELD", "k", "SET", "u8", "0", "65", "GET", "u8", "0"],
    [
      "BITFIELD",
      "k",
      "SET",
      "i8",
      "#1",
      "-1",
      "INCRBY",
      "u8",
      "#1",
      "10",
      "INCRBY",
      "i8",
      "#1",
      "-20",
    ],
    ["GET", "k"],
    ["BITFIELD", "k", "SET", "u4", "2", "15", "SET", "i3", "13", "-3", "GET", "u16", "0"],
    ["GET", "k"],
    ["BITFIELD", "new", "SET", "u8", "100", "1"],
    ["GET", "new"],
    ["BITFIELD", "new2", "INCRBY", "i16", "#3", "-300", "GET", "i16", "#3"],
    ["GET", "new2"],
    ["BITFIELD", "nokey", "GET", "u8", "0", "GET", "i64", "1000"],
    ["EXISTS", "nokey"],
    ["BITFIELD", "k"],
    ["BITFIELD", "k", "OVERFLOW", "SAT"],
    ["BITFIELD", "k", "get", "u8", "0", "set", "u8", "0", "66", "incrby", "u8", "0", "1"],
    ["SET", "t", "abc", "EX", "1000"],
    ["BITFIELD", "t", "SET", "u8", "#5", "1"],
    ["TTL", "t"],
    ["GET", "t"],
    ["SET", "bin", BIN],
    ["BITFIELD", "bin", "GET", "i16", "4", "INCRBY", "u7", "9", "100", "SET", "i12", "30", "-1000"],
    ["GET", "bin"],
  ],
  "BITFIELD overflow": [
    [
      "BITFIELD",
      "o",
      "SET",
      "u8",
      "0",
      "255",
      "INCRBY",
      "u8",
      "0",
      "10",
      "INCRBY",
      "u8",
      "0",
      "-20",
    ],
    ["BITFIELD", "o", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "INCRBY", "u8", "0", "-300"],
    ["BITFIELD", "o", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "256", "INCRBY", "u8", "0", "-1"],
    [
      "BITFIELD",
      "o",
      "INCRBY",
      "i8",
      "0",
      "127",
      "INCRBY",
      "i8",
      "0",
      "1",
      "INCRBY",
      "i8",
      "0",
      "-1",
    ],
    ["BITFIELD", "o", "OVERFLOW", "sat", "INCRBY", "i8", "0", "200", "INCRBY", "i8", "0", "-300"],
    [
      "BITFIELD",
      "o",
      "OVERFLOW",
      "fail",
      "INCRBY",
      "i8",
      "0",
      "-1",
      "OVERFLOW",
      "wrap",
      "INCRBY",
      "i8",
      "0",
      "-1",
    ],
    ["BITFIELD", "o", "SET", "u8", "0", "256", "SET", "u8", "0", "-1", "GET", "u8", "0"],
    [
      "BITFIELD",
      "o",
      "OVERFLOW",
      "SAT",
      "SET",
      "u8",
      "0",
      "256",
      "GET",
      "u8",
      "0",
      "SET",
      "u8",
      "0",
      "-1",
      "GET",
      "u8",
      "0",
    ],
    [
      "BITFIELD",
      "o",
      "OVERFLOW",
      "SAT",
      "SET",
      "i8",
      "0",
      "-9223372036854775808",
      "GET",
      "i8",
      "0",
    ],
    ["BITFIELD", "o", "OVERFLOW", "SAT", "SET", "i8", "0", "-129", "GET", "i8", "0"],
    [
      "BITFIELD",
      "o",
      "OVERFLOW",
      "FAIL",
      "SET",
      "i8",
      "0",
      "128",
      "SET",
      "i8",
      "0",
      "-128",
      "GET",
      "i8",
      "0",
    ],
    [
      "BITFIELD",
      "o",
      "SET",
      "i1",
      "0",
      "1",
      "GET",
      "i1",
      "0",
      "SET",
      "u1",
      "0",
      "3",
      "GET",
      "u1",
      "0",
    ],
    ["BITFIELD", "o", "OVERFLOW", "SAT", "INCRBY", "i1", "0", "5", "INCRBY", "i1", "0", "-5"],
    // FAIL still creates and pads the key.
    ["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "300"],
    ["STRLEN", "f"],
    ["BITCOUNT", "f"],
    ["BITFIELD", "o", "OVERFLOW", "WRAP", "INCRBY", "u3", "#2", "9", "INCRBY", "i3", "#2", "9"],
    ["GET", "o"],
  ],
  "BITFIELD 64-bit fields": [
    ["BITFIELD", "w", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0"],
    ["GET", "w"],
    ["BITFIELD", "w", "INCRBY", "i64", "0", "-1"],
    ["GET", "w"],
    ["BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "9223372036854775807"],
    ["GET", "w"],
    ["BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "1", "INCRBY", "i64", "0", "-1"],
    ["GET", "w"],
    ["BITFIELD", "w", "SET", "u63", "3", "9223372036854775807", "INCRBY", "u63", "3", "2"],
    ["GET", "w"],
    ["BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "u63", "3", "-9223372036854775808"],
    ["GET", "w"],
    ["BITFIELD", "w", "SET", "i64", "#1", "9007199254740993"],
    ["GET", "w"],
    ["BITFIELD", "w", "INCRBY", "i64", "5", "0", "INCRBY", "u63", "7", "0"],
    ["BITFIELD", "w", "SET", "i64", "0", "9223372036854775808"],
  ],
  "BITFIELD errors": [
    ["BITFIELD", "e", "GET", "u64", "0"],
    ["BITFIELD", "e", "GET", "i65", "0"],
    ["BITFIELD", "e", "GET", "i0", "0"],
    ["BITFIELD", "e", "GET", "u", "0"],
    ["BITFIELD", "e", "GET", "I8", "0"],
    ["BITFIELD", "e", "GET", "x8", "0"],
    ["BITFIELD", "e", "GET", "i08", "0"],
    ["BITFIELD", "e", "GET", "", "0"],
    ["BITFIELD", "e", "GET", "i8", "-1"],
    ["BITFIELD", "e", "GET", "i8", "#"],
    ["BITFIELD", "e", "GET", "i8", "#-1"],
    ["BITFIELD", "e", "GET", "i8", "x"],
    ["BITFIELD", "e", "GET", "i8", "4294967296"],
    ["BITFIELD", "e", "GET", "i8", "#536870912"],
    ["BITFIELD", "e", "GET", "i8", "#9223372036854775807"],
    ["BITFIELD", "e", "GET", "i8", "4294967295"],
    ["BITFIELD", "e", "GET", "i64", "#67108863"],
    ["BITFIELD", "e", "GET", "i8"],
    ["BITFIELD", "e", "SET", "i8", "0"],
    ["BITFIELD", "e", "SET", "i8", "0", "x"],
    ["BITFIELD", "e", "SET", "i8", "0", "9223372036854775808"],
    ["BITFIELD", "e", "INCRBY", "i8", "0", "1.5"],
    ["BITFIELD", "e", "INCRBY", "u8", "0", "1", "GET"],
    ["BITFIELD", "e", "OVERFLOW"],
    ["BITFIELD", "e", "OVERFLOW", "BOUNCE", "GET", "u8", "0"],
    ["BITFIELD", "e", "FOO", "u8", "0"],
    ["BITFIELD", "e", "SET", "x8", "0", "1"],
    ["EXISTS", "e"],
    ["BITFIELD"],
  ],
  "BITFIELD_RO": [
    ["SET", "k", "\x01\x02\x03\x04"],
    [
      "BITFIELD_RO",
      "k",
      "GET",
      "u8",
      "#0",
      "GET",
      "i32",
      "0",
      "GET",
      "u16",
      "#3",
      "GET",
      "u2",
      "6",
    ],
    ["BITFIELD_RO", "k", "get", "u8", "0"],
    ["BITFIELD_RO", "k"],
    ["BITFIELD_RO", "nokey", "GET", "u8", "0"],
    ["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
    ["BITFIELD_RO", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"],
    ["BITFIELD_RO", "k", "OVERFLOW", "FAIL"],
    ["BITFIELD_RO", "k", "OVERFLOW", "FAIL", "GET", "u8", "0"],
    ["BITFIELD_RO", "k", "SET", "u64", "0", "1"],
    ["BITFIELD_RO", "k", "SET", "u8", "0"],
    ["BITFIELD_RO", "k", "GET", "u8", "x"],
    ["BITFIELD_RO", "k", "GET"],
    ["GET", "k"],
    ["BITFIELD_RO"],
  ],
  "COMMAND INFO": [
    ["COMMAND", "INFO", "setbit", "getbit", "bitcount", "bitpos"],
    ["COMMAND", "INFO", "bitop", "bitfield", "bitfield_ro"],
  ],
};

for (const [name, script] of Object.entries(SCRIPTS)) diffTest(name, script);

// Replies beyond 2^53 are compared byte for byte (the decoded form of a
// reply is a JS number and would hide a wrong last digit).
Deno.test({
  name: "BITFIELD replies 64-bit integers exactly",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    const script = [
      ["DEL", "x64"],
      ["BITFIELD", "x64", "SET", "i64", "0", "-9223372036854775807", "GET", "i64", "0"],
      ["BITFIELD", "x64", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "-1"],
      ["BITFIELD", "x64", "SET", "u63", "0", "9007199254740993", "GET", "u63", "0"],
      ["BITFIELD", "x64", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "9223372036854775807"],
      ["BITFIELD", "x64", "GET", "i64", "1", "GET", "u63", "1", "GET", "i60", "4"],
    ];
    const ours = await RawClient.connect(respite.port);
    const theirs = await RawClient.connect(redis!.port);
    try {
      for (const argv of script) {
        assertEquals(await ours.command(...argv), await theirs.command(...argv), argv.join(" "));
      }
    } finally {
      ours.close();
      theirs.close();
    }
  },
});

const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

Deno.test({
  name: "bitmap commands refuse non-string values with WRONGTYPE",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.command("RPUSH", "l", "x"), ":1\r\n");
      const wrong = [
        ["SETBIT", "l", "1", "1"],
        ["GETBIT", "l", "1"],
        ["BITCOUNT", "l"],
        ["BITCOUNT", "l", "0", "1"],
        ["BITPOS", "l", "1"],
        ["BITOP", "AND", "d", "a", "l"],
        ["BITOP", "NOT", "d", "l"],
        ["BITFIELD", "l", "GET", "u8", "0"],
        ["BITFIELD", "l"],
        ["BITFIELD", "l", "SET", "u8", "0", "1"],
        ["BITFIELD_RO", "l", "GET", "u8", "0"],
      ];
      for (const argv of wrong) assertEquals(await c.command(...argv), WRONGTYPE, argv.join(" "));
      // Argument errors come first, as in Redis.
      assertEquals(
        await c.command("SETBIT", "l", "-1", "1"),
        "-ERR bit offset is not an integer or out of range\r\n",
      );
      assertEquals(
        await c.command("BITPOS", "l", "2"),
        "-ERR The bit argument must be 1 or 0.\r\n",
      );
      assertEquals(
        await c.command("BITFIELD", "l", "GET", "u64", "0"),
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n",
      );
      assertEquals(
        await c.command("BITFIELD_RO", "l", "SET", "u8", "0", "1"),
        "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
      );
      // BITOP overwrites a destination of another type.
      assertEquals(await c.command("SET", "a", "\x0f"), "+OK\r\n");
      assertEquals(await c.command("BITOP", "NOT", "l", "a"), ":1\r\n");
      assertEquals(await c.command("GET", "l"), "$1\r\n\xf0\r\n");
      assertEquals(s.server.keyspace.db(0).get("d"), undefined);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "bitmap writes raise Redis's events and propagate only real changes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const events: string[] = [];
    const propagated: string[] = [];
    const recorder: Plugin = {
      name: "bitmap-recorder",
      hooks: {
        keyChanged: (_db, key, event, cls) => events.push(`${event}:${cls}:${key}`),
        propagate: (_db, argv) => propagated.push(argv.join(" ")),
      },
    };
    const s = await startRespite({ plugins: [recorder] });
    const c = await RawClient.connect(s.port);
    try {
      const run = async (...argv: string[]) => {
        events.length = 0;
        propagated.length = 0;
        const reply = await c.command(...argv);
        return { reply, events: [...events], propagated: [...propagated] };
      };
      assertEquals(await run("SETBIT", "k", "3", "1"), {
        reply: ":0\r\n",
        events: ["setbit:$:k"],
        propagated: ["SETBIT k 3 1"],
      });
      // Same bit, same length: nothing changes, nothing propagates.
      assertEquals(await run("SETBIT", "k", "3", "1"), {
        reply: ":1\r\n",
        events: [],
        propagated: [],
      });
      // Growing the string is a change even when the bit stays 0.
      assertEquals((await run("SETBIT", "k", "20", "0")).events, ["setbit:$:k"]);
      assertEquals(await run("GETBIT", "k", "3"), { reply: ":1\r\n", events: [], propagated: [] });
      assertEquals((await run("BITOP", "OR", "d", "k")).events, ["set:$:d"]);
      assertEquals((await run("BITOP", "OR", "d", "nokey")).events, ["del:g:d"]);
      assertEquals(await run("BITOP", "OR", "d", "nokey"), {
        reply: ":0\r\n",
        events: [],
        propagated: [],
      });
      assertEquals((await run("BITFIELD", "k", "INCRBY", "u8", "0", "1")).events, ["setbit:$:k"]);
      // A write that failed under OVERFLOW FAIL changes nothing, as in Redis.
      assertEquals(await run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "256"), {
        reply: "*1\r\n$-1\r\n",
        events: [],
        propagated: [],
      });
      // Neither does setting a field to the value it holds.
      assertEquals(await run("BITFIELD", "k", "SET", "u8", "0", "17"), {
        reply: "*1\r\n:17\r\n",
        events: [],
        propagated: [],
      });
      assertEquals(await run("BITFIELD", "k", "GET", "u8", "0"), {
        reply: "*1\r\n:17\r\n",
        events: [],
        propagated: [],
      });
      assertEquals((await run("BITFIELD_RO", "k", "GET", "u8", "0")).events, []);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "SETBIT allocates up to proto-max-bulk-len and no further",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ config: { "proto-max-bulk-len": "1mb" } });
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.command("SETBIT", "k", String(8 * 1024 * 1024 - 1), "1"), ":0\r\n");
      assertEquals(await c.command("STRLEN", "k"), ":1048576\r\n");
      assertEquals(await c.command("BITCOUNT", "k"), ":1\r\n");
      assertEquals(await c.command("BITPOS", "k", "1"), ":8388607\r\n");
      assertEquals(await c.command("BITPOS", "k", "0", "-1"), ":8388600\r\n");
      const err = "-ERR bit offset is not an integer or out of range\r\n";
      assertEquals(await c.command("SETBIT", "k", String(8 * 1024 * 1024), "1"), err);
      assertEquals(await c.command("GETBIT", "k", String(8 * 1024 * 1024)), err);
      assertEquals(await c.command("BITFIELD", "k", "GET", "u8", "#1048576"), err);
      assertEquals(
        await c.command("BITFIELD", "k", "SET", "u8", "#1048575", "255"),
        "*1\r\n:1\r\n",
      );
      assertEquals(await c.command("BITCOUNT", "k", "-1", "-1"), ":8\r\n");
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "bitmaps through ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await io.connect();
      assertEquals(await io.setbit("bm", 7, 1), 0);
      assertEquals(await io.setbit("bm", 7, 0), 1);
      assertEquals(await io.setbit("bm", 9, 1), 0);
      assertEquals(await io.getbit("bm", 9), 1);
      assertEquals([...(await io.getBuffer("bm"))!], [0x00, 0x40]);
      await io.set("s", "foobar");
      assertEquals(await io.bitcount("s"), 26);
      assertEquals(await io.bitcount("s", 1, 1), 6);
      assertEquals(await io.bitcount("s", 5, 30, "BIT"), 17);
      assertEquals(await io.bitpos("s", 1), 1);
      assertEquals(await io.bitpos("s", 0, 2, -1), 16);
      assertEquals(await io.bitop("AND", "dst", "s", "bm"), 6);
      assertEquals([...(await io.getBuffer("dst"))!], [0, 0x40, 0, 0, 0, 0]);
      assertEquals(await io.bitop("NOT", "dst", "nokey"), 0);
      assertEquals(await io.exists("dst"), 0);
      assertEquals(
        await io.call(
          "BITFIELD",
          "bf",
          "SET",
          "i8",
          0,
          -100,
          "GET",
          "u8",
          0,
          "INCRBY",
          "i8",
          0,
          -100,
        ),
        [0, 156, 56],
      );
      assertEquals(
        await io.call(
          "BITFIELD",
          "bf",
          "OVERFLOW",
          "FAIL",
          "INCRBY",
          "u2",
          "#10",
          5,
          "GET",
          "u2",
          "#10",
        ),
        [null, 0],
      );
      assertEquals(await io.call("BITFIELD_RO", "bf", "GET", "i8", 0), [56]);
      let err = "";
      await io.call("BITFIELD_RO", "bf", "SET", "i8", 0, 1).catch((e: Error) => err = e.message);
      assertEquals(err, "ERR BITFIELD_RO only supports the GET subcommand");
      await io.setbit("bm", -1, 1).catch((e: Error) => err = e.message);
      assertEquals(err, "ERR bit offset is not an integer or out of range");
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "bitmap reads count keyspace hits and misses as Redis does",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    const script = [
      ["SET", "hm", "abc"],
      ["SETBIT", "hm2", "3", "1"],
      ["GETBIT", "hm", "1"],
      ["GETBIT", "nokey", "1"],
      ["BITCOUNT", "hm"],
      ["BITCOUNT", "nokey"],
      ["BITPOS", "hm", "1"],
      ["BITPOS", "nokey", "0"],
      ["BITOP", "AND", "hmd", "hm", "nokey", "hm2"],
      ["BITFIELD", "hm", "GET", "u8", "0"],
      ["BITFIELD", "hm", "SET", "u8", "0", "1"],
      ["BITFIELD_RO", "nokey", "GET", "u8", "0"],
    ];
    const stats = async (port: number) => {
      const c = await RawClient.connect(port);
      try {
        await c.call("FLUSHALL");
        await c.call("CONFIG", "RESETSTAT");
        for (const argv of script) await c.call(...argv);
        const info = String(await c.call("INFO", "stats"));
        return info.split("\r\n").filter((l) => /^keyspace_(hits|misses):/.test(l));
      } finally {
        c.close();
      }
    };
    const ours = await stats(respite.port);
    assertEquals(ours, await stats(redis!.port));
    assertEquals(ours, ["keyspace_hits:6", "keyspace_misses:5"]);
  },
});

diffDirty("bitmaps: SETBIT and BITFIELD count only real changes, BITOP one per store", [
  ["SETBIT", "k", "7", "1"],
  ["SETBIT", "k", "7", "1"],
  ["SETBIT", "k", "7", "0"],
  ["SETBIT", "k", "7", "0"],
  ["SETBIT", "k", "100", "0"],
  ["SETBIT", "k", "100", "0"],
  ["SETBIT", "k", "bad", "1"],
  ["BITFIELD", "k", "SET", "u8", "0", "0"],
  ["BITFIELD", "k", "SET", "u8", "0", "5", "SET", "u8", "8", "5"],
  ["BITFIELD", "k", "SET", "u8", "0", "5", "INCRBY", "u8", "8", "0"],
  ["BITFIELD", "k", "SET", "u8", "0", "6", "INCRBY", "u8", "8", "1", "GET", "u8", "0"],
  ["BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "256"],
  ["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000"],
  ["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000"],
  ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"],
  ["BITFIELD", "k", "SET", "i8", "200", "0"],
  ["BITFIELD", "k", "SET", "i8", "200", "0"],
  ["BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"],
  ["EXISTS", "new"],
  ["BITFIELD", "new2", "SET", "u8", "0", "0", "SET", "u8", "8", "0"],
  ["BITFIELD", "k", "GET", "u8", "0"],
  ["BITFIELD_RO", "k", "GET", "u8", "0"],
  ["BITFIELD", "k", "SET", "u8", "0"],
  ["BITOP", "AND", "d", "k"],
  ["BITOP", "AND", "d", "k"],
  ["BITOP", "OR", "d", "none1", "none2"],
  ["BITOP", "OR", "d", "none1", "none2"],
  ["BITOP", "NOT", "d", "k", "k"],
  ["SET", "s", "abc"],
  ["SETBIT", "s", "0", "0"],
  ["SETBIT", "s", "1", "0"],
]);
