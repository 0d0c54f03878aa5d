/**
 * Unit tests of the request parser: every multibulk and inline shape, every
 * split point, binary safety, big bulks, limits, and fuzzing.
 */

import { ProtocolError, RequestParser } from "../../core/resp/parser.ts";
import { assertEquals, assertOk, assertThrows } from "../_assert.ts";
import { prng } from "../_helpers.ts";

const LIMITS = { maxBulk: 512 * 1024 * 1024, maxQuery: 1024 * 1024 * 1024 };

function bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Feeds the chunks in order and collects every command. */
function parseChunks(chunks: Uint8Array[], p = new RequestParser({ ...LIMITS })): string[][] {
  const out: string[][] = [];
  for (const c of chunks) {
    p.push(c);
    for (let a = p.next(); a !== null; a = p.next()) out.push(a);
  }
  return out;
}

function parse(s: string): string[][] {
  return parseChunks([bytes(s)]);
}

/** The error reply a buffer provokes (undefined reply = silent close). */
function protocolError(s: string, limits = LIMITS): string | undefined {
  const p = new RequestParser({ ...limits });
  try {
    p.push(bytes(s));
    while (p.next() !== null) { /* drain */ }
  } catch (e) {
    assertOk(e instanceof ProtocolError, `not a ProtocolError: ${e}`);
    return e.reply ?? "<silent>";
  }
  return undefined;
}

function mb(...argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
}

Deno.test("parser: multibulk shapes", () => {
  assertEquals(parse("*1\r\n$4\r\nPING\r\n"), [["PING"]]);
  assertEquals(parse(mb("SET", "k", "")), [["SET", "k", ""]]);
  assertEquals(parse(mb("SET", "k", "a\r\nb")), [["SET", "k", "a\r\nb"]]);
  assertEquals(parse(mb("ECHO", "*1\r\n$4\r\n")), [["ECHO", "*1\r\n$4\r\n"]]);
  assertEquals(parse(mb("x".repeat(100), "y".repeat(1000))), [["x".repeat(100), "y".repeat(1000)]]);
  // Arguments of every short length (the fast paths of bytesToString).
  const args = Array.from({ length: 20 }, (_, n) => "abcdefghijklmnopqrstuvwxyz".slice(0, n));
  assertEquals(parse(mb(...args)), [args]);
  // *0 and *-1 (and any negative count) are skipped, as Redis does.
  assertEquals(parse("*0\r\n*-1\r\n*-5\r\n" + mb("PING")), [["PING"]]);
  // A count of exactly INT_MAX is accepted (and waits for its arguments).
  assertEquals(parse("*2147483647\r\n"), []);
  // Redis skips the two bytes after bulk data without checking them.
  assertEquals(parse("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"), [["PING"], ["PING"]]);
  // Nor does it check the byte after CR in a header.
  assertEquals(parse("*1\r\n$4\rXPING\r\n"), [["PING"]]);
  // A 64-bit count bound is accepted exactly at LLONG_MIN.
  assertEquals(parse("*-9223372036854775808\r\n" + mb("PING")), [["PING"]]);
});

Deno.test("parser: inline commands", () => {
  assertEquals(parse("PING\r\n"), [["PING"]]);
  assertEquals(parse("PING\n"), [["PING"]]);
  assertEquals(parse(`SET "a b" 'c d'\r\n`), [["SET", "a b", "c d"]]);
  assertEquals(parse(`SET k "\\x41\\x42\\x7a"\r\n`), [["SET", "k", "ABz"]]);
  assertEquals(parse(`SET k "\\xff\\x00\\x80"\r\n`), [["SET", "k", "\xff\x00\x80"]]);
  assertEquals(parse(`SET k "a\\nb\\r\\t\\b\\a\\"\\\\\\q"\r\n`), [[
    "SET",
    "k",
    'a\nb\r\t\b\x07"\\q',
  ]]);
  // An incomplete hex escape is an ordinary escape of 'x'.
  assertEquals(parse(`SET k "\\x4g"\r\n`), [["SET", "k", "x4g"]]);
  assertEquals(parse(`SET k 'it\\'s' 'a\\nb'\r\n`), [["SET", "k", "it's", "a\\nb"]]);
  assertEquals(parse(`SET k ""\r\n`), [["SET", "k", ""]]);
  assertEquals(parse("  SET \t k   v  \r\n"), [["SET", "k", "v"]]);
  // Empty and blank lines are ignored.
  assertEquals(parse("\r\n\n   \r\n\t\nPING\r\n\r\n"), [["PING"]]);
  // Inline and multibulk mix freely.
  assertEquals(parse("PING\r\n" + mb("GET", "k") + "GET j\n"), [["PING"], ["GET", "k"], [
    "GET",
    "j",
  ]]);
  // A NUL byte ends an inline line (Redis splits it as a C string).
  assertEquals(parse("SET k v\x00junk\r\n"), [["SET", "k", "v"]]);
  // Bytes 0x80-0xFF pass through unquoted.
  assertEquals(parse("SET \x80\x9f \xff\r\n"), [["SET", "\x80\x9f", "\xff"]]);
});

Deno.test("parser: protocol errors match Redis's replies", () => {
  const bulkLen = "ERR Protocol error: invalid bulk length";
  const mbulkLen = "ERR Protocol error: invalid multibulk length";
  assertEquals(protocolError("*1\r\n$-5\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$-0\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$abc\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$+1\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$01\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$ 1\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$10737418240\r\n"), bulkLen);
  assertEquals(protocolError("*1\r\n$99999999999999999999\r\n"), bulkLen);
  assertEquals(protocolError("*abc\r\n"), mbulkLen);
  assertEquals(protocolError("*\r\n"), mbulkLen);
  assertEquals(protocolError("*01\r\n"), mbulkLen);
  assertEquals(protocolError("*+1\r\n"), mbulkLen);
  assertEquals(protocolError("*-0\r\n"), mbulkLen);
  assertEquals(protocolError("*3000000000\r\n"), mbulkLen);
  assertEquals(protocolError("*2147483648\r\n"), mbulkLen);
  // Beyond 64 bits, string2ll fails: an error, not a skipped negative count.
  assertEquals(protocolError("*-9223372036854775809\r\n"), mbulkLen);
  assertEquals(protocolError("*-99999999999999999999\r\n"), mbulkLen);
  assertEquals(protocolError("*9223372036854775808\r\n"), mbulkLen);
  assertEquals(protocolError("*1\r\nx\r\n"), "ERR Protocol error: expected '$', got 'x'");
  assertEquals(protocolError("*1\r\n\r\n"), "ERR Protocol error: expected '$', got '\r'");
  assertEquals(protocolError(`SET "a b\r\n`), "ERR Protocol error: unbalanced quotes in request");
  assertEquals(protocolError(`SET 'a\r\n`), "ERR Protocol error: unbalanced quotes in request");
  assertEquals(protocolError(`SET "a"b\r\n`), "ERR Protocol error: unbalanced quotes in request");
  assertEquals(protocolError(`SET "a\\"\r\n`), "ERR Protocol error: unbalanced quotes in request");
  assertEquals(
    protocolError(`SET "a\x00"\r\n`),
    "ERR Protocol error: unbalanced quotes in request",
  );
  const big = "x".repeat(64 * 1024 + 1);
  assertEquals(protocolError(big), "ERR Protocol error: too big inline request");
  assertEquals(protocolError("x".repeat(64 * 1024)), undefined);
  assertEquals(protocolError("*" + big), "ERR Protocol error: too big mbulk count string");
  assertEquals(protocolError("*1\r\n$" + big), "ERR Protocol error: too big bulk count string");
  // Errors surface only once the frame before them is consumed.
  const p = new RequestParser({ ...LIMITS });
  p.push(bytes(mb("PING") + "*1\r\n$x\r\n"));
  assertEquals(p.next(), ["PING"]);
  assertThrows(() => p.next(), /invalid bulk length/);
});

Deno.test("parser: limits", () => {
  const bulk = "ERR Protocol error: invalid bulk length";
  const small = { maxBulk: 1024 * 1024, maxQuery: 1024 * 1024 };
  assertEquals(protocolError("*1\r\n$1048576\r\n", small), undefined);
  assertEquals(protocolError("*1\r\n$1048577\r\n", small), bulk);
  // An unfinished command over client-query-buffer-limit: a silent close.
  assertEquals(protocolError("*1\r\n$1000000\r\n" + "x".repeat(999_999), small), undefined);
  assertEquals(
    protocolError("*2\r\n$3\r\nSET\r\n$1048576\r\n" + "x".repeat(1048577), small),
    "<silent>",
  );
  // A header that never ends hits Redis's 64 KB header bound first.
  assertEquals(
    protocolError("*2\r\n$3\r\nSET\r\n" + "x".repeat(1048577), small),
    "ERR Protocol error: too big bulk count string",
  );
  // Complete commands arriving in one large read are not an oversized
  // request: Redis, reading 16 KB at a time, would serve them.
  const p = new RequestParser({ ...small });
  const many = mb("SET", "k", "v").repeat(100_000); // 2.6 MB
  p.push(bytes(many));
  let n = 0;
  while (p.next() !== null) n++;
  assertEquals(n, 100_000);
  // Unauthenticated clients get Redis's tighter limits and messages.
  const strict = (s: string) => {
    const q = new RequestParser({ ...LIMITS });
    q.strict = true;
    q.push(bytes(s));
    try {
      while (q.next() !== null) { /* drain */ }
    } catch (e) {
      return (e as ProtocolError).reply;
    }
    return undefined;
  };
  assertEquals(strict("*10\r\n"), undefined);
  assertEquals(strict("*11\r\n"), "ERR Protocol error: unauthenticated multibulk length");
  assertEquals(strict("*1\r\n$16384\r\n"), undefined);
  assertEquals(strict("*1\r\n$16385\r\n"), "ERR Protocol error: unauthenticated bulk length");
});

Deno.test("parser: every split point yields the same commands", () => {
  const frames = mb("SET", "key", "va\r\nlue") + "PING\r\n" + mb("GET", "key") +
    `SET "a b" 'c d'\r\n` + "*0\r\n" + mb("MSET", "a", "", "b", "\x00\xff") + "\r\n" +
    mb("x".repeat(300)) + 'ECHO "\\x41"\n';
  const want = parse(frames);
  assertEquals(want, [
    ["SET", "key", "va\r\nlue"],
    ["PING"],
    ["GET", "key"],
    ["SET", "a b", "c d"],
    ["MSET", "a", "", "b", "\x00\xff"],
    ["x".repeat(300)],
    ["ECHO", "A"],
  ]);
  const all = bytes(frames);
  // Byte by byte, through one parser.
  assertEquals(parseChunks(Array.from(all, (b) => new Uint8Array([b]))), want);
  // Every two-chunk split.
  for (let i = 0; i <= all.length; i++) {
    assertEquals(parseChunks([all.subarray(0, i), all.subarray(i)]), want, `split at ${i}`);
  }
  // Every three-chunk split around the bulk with CRLF inside.
  for (let i = 0; i < 40; i++) {
    for (let j = i; j < 40; j++) {
      const got = parseChunks([all.subarray(0, i), all.subarray(i, j), all.subarray(j)]);
      assertEquals(got, want, `split at ${i},${j}`);
    }
  }
});

Deno.test("parser: commands read ahead come back in order, an error after them", () => {
  const frames = mb("GET", "a") + "PING\r\n" + mb("SET", "b", "1") + mb("GET", "b");
  // Split anywhere, read ahead at every turn: the same commands as `next` alone.
  const all = bytes(frames);
  for (let i = 0; i <= all.length; i++) {
    const p = new RequestParser({ ...LIMITS });
    const out: string[][] = [];
    for (const chunk of [all.subarray(0, i), all.subarray(i)]) {
      p.push(chunk);
      for (let a = p.next(); a !== null; a = p.next()) {
        out.push(a);
        if (p.ahead === 0) p.readAhead(2);
      }
    }
    assertEquals(out, [["GET", "a"], ["PING"], ["SET", "b", "1"], ["GET", "b"]], `split at ${i}`);
  }
  const p = new RequestParser({ ...LIMITS });
  p.push(bytes(mb("GET", "a") + mb("GET", "b") + mb("GET", "c") + "*1\r\n$x\r\n" + mb("PING")));
  assertEquals(p.next(), ["GET", "a"]);
  assertEquals(p.readAhead(15), 2);
  assertEquals(p.ahead, 2);
  assertEquals([p.aheadAt(0), p.aheadAt(1)], [["GET", "b"], ["GET", "c"]]);
  // Nothing more while some wait.
  assertEquals(p.readAhead(15), 0);
  assertEquals(p.next(), ["GET", "b"]);
  assertEquals(p.ahead, 1);
  assertEquals(p.next(), ["GET", "c"]);
  assertEquals(p.ahead, 0);
  // The bad frame met while reading ahead is thrown in its turn, once.
  assertThrows(() => p.next(), /invalid bulk length/);
  // Read ahead to its end, the batch's bytes stay held (CLIENT LIST's
  // qbuf) until its commands have run.
  const r = new RequestParser({ ...LIMITS });
  r.push(bytes(mb("GET", "a") + mb("GET", "b")));
  const held = r.pending;
  assertEquals(r.next(), ["GET", "a"]);
  assertEquals(r.readAhead(15), 1);
  assertEquals(r.pending, held);
  assertEquals(r.next(), ["GET", "b"]);
  assertEquals(r.next(), null);
  assertEquals(r.pending, 0);
  // An error right after the current command: nothing to read ahead.
  const q = new RequestParser({ ...LIMITS });
  q.push(bytes(mb("GET", "a") + "*abc\r\n"));
  assertEquals(q.next(), ["GET", "a"]);
  assertEquals(q.readAhead(15), 0);
  assertThrows(() => q.next(), /invalid multibulk length/);
});

Deno.test("parser: every byte value round-trips exactly", () => {
  let every = "";
  for (let b = 0; b < 256; b++) every += String.fromCharCode(b);
  const c1 = every.slice(0x80, 0xa0); // what windows-1252 would remap
  const argv = ["SET", every, c1, every.repeat(40)];
  const got = parse(mb(...argv));
  assertEquals(got, [argv]);
  for (let i = 0; i < 256; i++) assertEquals(got[0]![1]!.charCodeAt(i), i);
  for (let i = 0; i < 32; i++) assertEquals(got[0]![2]!.charCodeAt(i), 0x80 + i);
  // Single-byte arguments of every value (the short-string fast path).
  for (let b = 0; b < 256; b++) {
    assertEquals(parse(mb("GET", String.fromCharCode(b))), [["GET", String.fromCharCode(b)]]);
  }
});

Deno.test("parser: a 5 MB bulk across many reads", () => {
  const size = 5 * 1024 * 1024;
  const value = new Uint8Array(size);
  for (let i = 0; i < size; i++) value[i] = (i * 131 + 7) & 0xff;
  const head = bytes(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`);
  const tail = bytes("\r\n" + mb("PING"));
  const all = new Uint8Array(head.length + size + tail.length);
  all.set(head);
  all.set(value, head.length);
  all.set(tail, head.length + size);
  // Reads of the shape a socket delivers them, into the parser's own view.
  const p = new RequestParser({ ...LIMITS });
  const out: string[][] = [];
  const t0 = performance.now();
  for (let off = 0; off < all.length;) {
    const view = p.writable();
    const n = Math.min(view.length, 65536, all.length - off);
    view.set(all.subarray(off, off + n));
    p.commit(n);
    off += n;
    for (let a = p.next(); a !== null; a = p.next()) out.push(a);
  }
  const ms = performance.now() - t0;
  assertEquals(out.length, 2);
  assertEquals(out[1], ["PING"]);
  const v = out[0]![2]!;
  assertEquals(v.length, size);
  for (let i = 0; i < size; i += 4099) assertEquals(v.charCodeAt(i), (i * 131 + 7) & 0xff);
  assertEquals(v.charCodeAt(size - 1), ((size - 1) * 131 + 7) & 0xff);
  assertOk(ms < 2000, `5 MB took ${ms} ms`);
  assertEquals(p.pending, 0);
});

Deno.test("parser: a long line fed byte by byte is scanned once", () => {
  // Without resuming the newline search this is quadratic (~2e9 steps).
  const p = new RequestParser({ ...LIMITS });
  const one = new Uint8Array(1);
  const t0 = performance.now();
  p.push(bytes("SET k "));
  for (let i = 0; i < 60_000; i++) {
    one[0] = 97;
    p.push(one);
    assertEquals(p.next(), null);
  }
  p.push(bytes("\r\n"));
  const argv = p.next()!;
  assertEquals(argv[2]!.length, 60_000);
  // The same for a bulk header's digits.
  const q = new RequestParser({ ...LIMITS });
  q.push(bytes("*1\r\n$"));
  for (let i = 0; i < 60_000; i++) {
    one[0] = 49;
    q.push(one);
    assertEquals(q.next(), null);
  }
  q.push(bytes("\r\n"));
  assertThrows(() => q.next(), /invalid bulk length/);
  assertOk(performance.now() - t0 < 3000, "byte-by-byte feeding is not linear");
});

Deno.test("parser: random garbage only ever throws ProtocolError", () => {
  const rand = prng(0xc0ffee);
  const alphabet = bytes("*$\r\n0123456789-+ \"'\\x\tabcPING");
  let errors = 0, commands = 0;
  for (let iter = 0; iter < 4000; iter++) {
    const len = 1 + Math.floor(rand() * 200);
    const data = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      data[i] = rand() < 0.8
        ? alphabet[Math.floor(rand() * alphabet.length)]!
        : Math.floor(rand() * 256);
    }
    // Sometimes start from a valid prefix, so deeper states get reached.
    const prefix = rand() < 0.5 ? bytes(mb("SET", "k", "v").slice(0, Math.floor(rand() * 27))) : [];
    const all = new Uint8Array([...prefix, ...data]);
    const p = new RequestParser({ maxBulk: 1 << 20, maxQuery: 1 << 16 });
    try {
      let off = 0;
      while (off < all.length) {
        const n = 1 + Math.floor(rand() * 16);
        p.push(all.subarray(off, off + n));
        off += n;
        // Each command consumes at least one byte: bounded, never a hang.
        for (let guard = 0;; guard++) {
          assertOk(guard <= all.length, `iteration ${iter} does not terminate`);
          const argv = p.next();
          if (argv === null) break;
          commands++;
          assertOk(argv.length > 0 && argv.every((a) => typeof a === "string"));
        }
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) {
        throw new Error(
          `iteration ${iter}: ${e} on ${JSON.stringify(String.fromCharCode(...all))}`,
        );
      }
      errors++;
    }
  }
  assertOk(errors > 500 && commands > 500, `errors=${errors} commands=${commands}`);
});

Deno.test("parser: arguments that look alike to the recent-strings cache stay byte exact", () => {
  // Same length, first, middle and last byte (one cache slot), different
  // elsewhere: each must come back as its own bytes, high bytes included.
  const a = "\x80" + "a".repeat(18) + "\x9f" + "z".repeat(18) + "\xff";
  const b = "\x80" + "b".repeat(18) + "\x9f" + "y".repeat(18) + "\xff";
  const p = new RequestParser({ ...LIMITS });
  const out = parseChunks([bytes(mb("SET", a, b) + mb("GET", b) + mb("GET", a))], p);
  assertEquals(out, [["SET", a, b], ["GET", b], ["GET", a]]);
  // An argument seen lately is the same string (its hash is kept).
  const again = parseChunks([bytes(mb("GET", a))], p);
  assertOk(again[0]![1] === out[2]![1]);
  // Lengths past the cache's and under it still parse.
  const long = "\xfe".repeat(300), short = "\x81".repeat(12);
  assertEquals(parseChunks([bytes(mb("SET", long, short))], p), [["SET", long, short]]);
});

Deno.test("parser: arguments of every short length keep every byte", () => {
  const p = new RequestParser({ ...LIMITS });
  for (let n = 0; n <= 40; n++) {
    let arg = "";
    for (let i = 0; i < n; i++) arg += String.fromCharCode((0x7d + n * 3 + i * 37) & 0xff);
    assertEquals(parseChunks([bytes(mb("ECHO", arg))], p), [["ECHO", arg]]);
  }
});

Deno.test("parser: command names seen lately come back as the same string, byte exact", () => {
  const p = new RequestParser({ ...LIMITS });
  // "GET" and "GxT" share a cache slot (length, first and last byte).
  const out = parseChunks([
    bytes(mb("GET", "k") + mb("GxT", "k") + mb("GET", "k") + mb("\xe9\x80")),
  ], p);
  assertEquals(out.map((a) => a[0]), ["GET", "GxT", "GET", "\xe9\x80"]);
  const again = parseChunks([bytes(mb("\xe9\x80", "x"))], p);
  assertOk(again[0]![0] === out[3]![0]);
});

Deno.test("parser: short arguments share the recent-strings cache, byte exact", () => {
  const p = new RequestParser({ ...LIMITS });
  // Same length, first, middle and last three bytes (one tag): different
  // elsewhere, so each must still come back as its own bytes.
  const a = "k\x80aaaaa\x90aaaaxyz", b = "k\x81aaaaa\x90aaaaxyz";
  const out = parseChunks([bytes(mb("GET", a) + mb("GET", a) + mb("GET", b) + mb("GET", a))], p);
  assertEquals(out.map((x) => x[1]), [a, a, b, a]);
  // A hot key, seen twice, then comes back as one string (its hash kept).
  const hot = parseChunks([bytes(mb("GET", "key:1") + mb("GET", "key:1") + mb("GET", "key:1"))], p);
  assertOk(hot[1]![1] === hot[2]![1]);
  // Two and three bytes: the tag is the whole string; NUL and high bytes
  // included, and a 2-byte string never answers for a 3-byte one.
  const tiny = ["ab", "\x00\x00", "\x00\x00\x00", "\x80\x9f", "ab\x00", "\xff\xfe\xfd", "ab"];
  for (let round = 0; round < 3; round++) {
    const got = parseChunks([bytes(tiny.map((t) => mb("SET", t, t)).join(""))], p);
    assertEquals(got, tiny.map((t) => ["SET", t, t]));
  }
  const x3 = parseChunks([
    bytes(mb("SET", "k", "xxx") + mb("SET", "k", "xxx") + mb("SET", "k", "xxx")),
  ], p);
  assertOk(x3[1]![2] === x3[2]![2]);
  // Lengths at the cache's lower bound and under it.
  assertEquals(parseChunks([bytes(mb("SET", "\xff\x00\x9f", "\x80\x81\x82\x83"))], p), [
    ["SET", "\xff\x00\x9f", "\x80\x81\x82\x83"],
  ]);
});

Deno.test("parser: writable() hands out the same view while nothing moved", () => {
  const p = new RequestParser({ maxBulk: 512 * 1024 * 1024, maxQuery: 1 << 30 });
  const v = p.writable();
  const cmd = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n");
  v.set(cmd);
  p.commit(cmd.length);
  assertEquals(p.next(), ["PING"]);
  assertEquals(p.next(), null);
  // All consumed: the next read goes to the start again, through the same view.
  assertOk(p.writable() === v, "the same view");
  // Half a command left: the view starts after it.
  const half = cmd.subarray(0, 6);
  p.writable().set(half);
  p.commit(half.length);
  assertEquals(p.next(), null);
  const rest = p.writable();
  assertOk(rest !== v && rest.byteOffset === v.byteOffset + 6, "a view after the partial command");
  rest.set(cmd.subarray(6));
  p.commit(cmd.length - 6);
  assertEquals(p.next(), ["PING"]);
});
