/**
 * Scripts and functions fed odd values: random calls of the libraries
 * (cjson, cmsgpack, struct, bit, redis.*, string, table, math, the base
 * functions) with arguments of every type, odd values returned, and
 * redis.call given odd arguments (the self-containing tables, whose
 * replies nest 8000 deep, are the sandbox test's). No reply may carry a JS exception's
 * text, no command may fail inside the server (it logs such failures),
 * and the server answers afterwards. Seeded: a failure reproduces.
 */

import { assertEquals } from "../_assert.ts";
import { prng, RawClient, startRespite } from "../_helpers.ts";

const VALUES = [
  "nil",
  "true",
  "false",
  "0",
  "-0",
  "1",
  "-1",
  "256",
  "1.5",
  "2^31",
  "2^53",
  "-2^63",
  "2^64",
  "1e308",
  "1/0",
  "-1/0",
  "0/0",
  "''",
  "'x'",
  "'\\0'",
  "'\\255\\254'",
  "'123'",
  "'-1.5'",
  "'nan'",
  "'inf'",
  "'%s'",
  "'%d'",
  "'<i4'",
  "'[1,2'",
  "'\\145\\145'",
  "string.rep('a', 300)",
  "{}",
  "{1, 2, 3}",
  "{1, nil, 3}",
  "{a = 1}",
  "{err = 'x'}",
  "{err = 1}",
  "{ok = 'y'}",
  "{ok = {}}",
  "{double = 'x'}",
  "{double = 1.5}",
  "{big_number = 1}",
  "{big_number = '12'}",
  "{map = {a = 1}}",
  "{map = {[{}] = 1}}",
  "{set = {a = true}}",
  "{set = 1}",
  "{verbatim_string = {format = 'txt', string = 'x'}}",
  "{verbatim_string = {}}",
  "function() end",
  "coroutine.create(function() end)",
  "cjson.null",
  "redis",
  "_G",
  "math.huge",
  "setmetatable({}, {__index = function() error('boom') end})",
  "setmetatable({}, {__len = function() return -1 end})",
  "setmetatable({}, {__tostring = function() return 'T' end})",
  "setmetatable({}, {__lt = function() error('lt') end})",
  "{{{{{}}}}}",
  "{[1.5] = 1}",
  "{[-1] = 1}",
  "{[0] = 1}",
];

const FUNCTIONS = [
  ..."encode decode encode_keep_buffer encode_max_depth decode_max_depth encode_number_precision"
    .split(" ").map((f) => `cjson.${f}`),
  ..."encode_sparse_array encode_invalid_numbers decode_invalid_numbers new".split(" ")
    .map((f) => `cjson.${f}`),
  ..."pack unpack unpack_one unpack_limit".split(" ").map((f) => `cmsgpack.${f}`),
  ..."pack unpack size".split(" ").map((f) => `struct.${f}`),
  ..."tobit tohex bnot band bor bxor lshift rshift arshift rol ror bswap".split(" ")
    .map((f) => `bit.${f}`),
  ..."call pcall sha1hex error_reply status_reply setresp set_repl acl_check_cmd log".split(" ")
    .map((f) => `redis.${f}`),
  ..."byte char find format gmatch gsub len lower match rep reverse sub upper".split(" ")
    .map((f) => `string.${f}`),
  ..."concat insert remove sort getn maxn foreach foreachi".split(" ").map((f) => `table.${f}`),
  ..."abs floor max min fmod modf sqrt random frexp ldexp pow log atan2".split(" ")
    .map((f) => `math.${f}`),
  ..."tonumber tostring unpack select type next pairs ipairs rawget rawequal rawset".split(" "),
  ..."setmetatable getmetatable assert error pcall xpcall loadstring load gcinfo".split(" "),
  ..."collectgarbage coroutine.wrap coroutine.resume coroutine.status coroutine.create"
    .split(" "),
];

const COMMANDS = ["'get'", "'set'", "'ping'", "'echo'", "'hset'", "'nosuch'", "'eval'", "'del'"];

/** `n` random scripts from `seed`. */
function scripts(seed: number, n: number): string[] {
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = pick(FUNCTIONS);
    const args: string[] = [];
    if (/^redis\.p?call$/.test(f) && rnd() < 0.8) args.push(pick(COMMANDS), "KEYS[1]");
    for (let j = Math.floor(rnd() * 4); j > 0; j--) args.push(pick(VALUES));
    const call = `${f}(${args.join(", ")})`;
    const mode = rnd();
    if (mode < 0.45) out.push(`return {pcall(function() return ${call} end)}`);
    else if (mode < 0.8) out.push(`return ${call}`);
    else if (mode < 0.9) out.push(`return ${pick(VALUES)}`);
    else out.push(`return {${pick(VALUES)}, {${pick(VALUES)}, {${pick(VALUES)}}}}`);
  }
  return out;
}

/** What a JS exception leaves in a reply. */
const JS_TEXT =
  /RangeError|TypeError|ReferenceError|Maximum call stack|is not a function|Cannot read propert|undefined|\[object |internal error/;

Deno.test({
  name: "scripting fuzz: odd values and wrong argument types leak no JS error, crash nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const logs: string[] = [];
    const h = await startRespite({ logger: (line) => logs.push(line) });
    const c = await RawClient.connect(h.port);
    try {
      const leaks: string[] = [];
      for (const seed of [1, 2, 3]) {
        const batch = scripts(seed, 300);
        for (let i = 0; i < batch.length; i++) {
          const src = batch[i]!;
          const replies = [await c.command("EVAL", src, "1", "k")];
          // Every tenth also as a function, and as a library's load-time code.
          if (i % 10 === 0) {
            const lib =
              `#!lua name=fz\nredis.register_function('fz', function(KEYS, ARGV)\n${src}\nend)`;
            replies.push(await c.command("FUNCTION", "LOAD", "REPLACE", lib));
            replies.push(await c.command("FCALL", "fz", "1", "k"));
            replies.push(
              await c.command("FUNCTION", "LOAD", "REPLACE", `#!lua name=fz2\n${src}`),
            );
          }
          for (const r of replies) if (JS_TEXT.test(r)) leaks.push(`${src} => ${r.slice(0, 200)}`);
        }
      }
      assertEquals(leaks, []);
      assertEquals(await c.command("PING"), "+PONG\r\n");
      assertEquals(logs.filter((l) => / failed: /.test(l)), []);
    } finally {
      c.close();
      await h.close();
    }
  },
});
