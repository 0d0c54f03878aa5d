/**
 * Unit tests of the reply writer in RESP2 and RESP3, and of `%.17g` double
 * formatting (checked against a real redis-server when one is installed).
 */

import { BufferWriter } from "../../core/resp/writer.ts";
import { formatDouble } from "../../core/number.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import { assertEquals, assertOk } from "../_assert.ts";
import { encodeCommand, hasRedis, prng, RawClient, startRealRedis } from "../_helpers.ts";

/** Runs `fn` on a fresh writer and returns what it wrote, as a byte string. */
function out(resp: 2 | 3, fn: (w: BufferWriter) => void, size?: number): string {
  const w = new BufferWriter(size);
  w.resp = resp;
  fn(w);
  const b = w.take();
  return bytesToString(b, 0, b.length);
}

Deno.test("writer: scalars are the same in RESP2 and RESP3", () => {
  for (const r of [2, 3] as const) {
    assertEquals(out(r, (w) => w.ok()), "+OK\r\n");
    assertEquals(out(r, (w) => w.simple("PONG")), "+PONG\r\n");
    assertEquals(out(r, (w) => w.simple("")), "+\r\n");
    assertEquals(out(r, (w) => w.error("ERR bad")), "-ERR bad\r\n");
    // Errors are one line.
    assertEquals(out(r, (w) => w.error("ERR a\r\nb\nc")), "-ERR a  b c\r\n");
    assertEquals(out(r, (w) => w.integer(0)), ":0\r\n");
    assertEquals(out(r, (w) => w.integer(7)), ":7\r\n");
    assertEquals(out(r, (w) => w.integer(42)), ":42\r\n");
    assertEquals(out(r, (w) => w.integer(100)), ":100\r\n");
    assertEquals(out(r, (w) => w.integer(-1)), ":-1\r\n");
    assertEquals(out(r, (w) => w.integer(-100)), ":-100\r\n");
    // Every digit count around the int32 fast path's bounds.
    for (
      const n of [999, 1000, 9999, 10000, 99999999, 100000000, 999999999, 1000000000, 2147483647]
    ) {
      assertEquals(out(r, (w) => w.integer(n)), `:${n}\r\n`);
      assertEquals(out(r, (w) => w.integer(-n)), `:-${n}\r\n`);
      // The same integers held as doubles (counts computed in floats).
      const d = new Float64Array([n])[0]! * 1.0;
      assertEquals(out(r, (w) => w.integer(d)), `:${n}\r\n`);
    }
    assertEquals(out(r, (w) => w.integer(2147483648)), ":2147483648\r\n");
    assertEquals(out(r, (w) => w.integer(-2147483648)), ":-2147483648\r\n");
    assertEquals(out(r, (w) => w.integer(1234567890123)), ":1234567890123\r\n");
    assertEquals(out(r, (w) => w.integer(Number.MAX_SAFE_INTEGER)), ":9007199254740991\r\n");
    assertEquals(out(r, (w) => w.integer(-Number.MAX_SAFE_INTEGER)), ":-9007199254740991\r\n");
    assertEquals(
      out(r, (w) => w.bigInteger(-9223372036854775808n)),
      ":-9223372036854775808\r\n",
    );
    assertEquals(out(r, (w) => w.bulk("")), "$0\r\n\r\n");
    assertEquals(out(r, (w) => w.bulk("hello")), "$5\r\nhello\r\n");
    assertEquals(out(r, (w) => w.bulk("a\r\nb")), "$4\r\na\r\nb\r\n");
    assertEquals(out(r, (w) => w.array(0)), "*0\r\n");
    assertEquals(out(r, (w) => w.array(12)), "*12\r\n");
    assertEquals(
      out(r, (w) => w.bulkArray(["a", "", "bc"])),
      "*3\r\n$1\r\na\r\n$0\r\n\r\n$2\r\nbc\r\n",
    );
    assertEquals(out(r, (w) => w.raw(stringToBytes("+X\r\n"))), "+X\r\n");
  }
});

Deno.test("writer: RESP2 forms of RESP3 types", () => {
  assertEquals(out(2, (w) => w.nullBulk()), "$-1\r\n");
  assertEquals(out(2, (w) => w.nullArray()), "*-1\r\n");
  assertEquals(out(2, (w) => w.map(2)), "*4\r\n");
  assertEquals(out(2, (w) => w.map(0)), "*0\r\n");
  assertEquals(out(2, (w) => w.set(3)), "*3\r\n");
  assertEquals(out(2, (w) => w.push(3)), "*3\r\n");
  assertEquals(out(2, (w) => w.double(1.5)), "$3\r\n1.5\r\n");
  assertEquals(out(2, (w) => w.double(1.1)), "$18\r\n1.1000000000000001\r\n");
  assertEquals(out(2, (w) => w.double(Infinity)), "$3\r\ninf\r\n");
  assertEquals(out(2, (w) => w.double(-Infinity)), "$4\r\n-inf\r\n");
  assertEquals(out(2, (w) => w.bool(true)), ":1\r\n");
  assertEquals(out(2, (w) => w.bool(false)), ":0\r\n");
  assertEquals(
    out(2, (w) => w.bigNumber("12345678901234567890")),
    "$20\r\n12345678901234567890\r\n",
  );
  assertEquals(out(2, (w) => w.verbatim("hi\r\nthere")), "$9\r\nhi\r\nthere\r\n");
  assertEquals(out(2, (w) => w.verbatim("x", "mkd")), "$1\r\nx\r\n");
});

Deno.test("writer: RESP3 types", () => {
  assertEquals(out(3, (w) => w.nullBulk()), "_\r\n");
  assertEquals(out(3, (w) => w.nullArray()), "_\r\n");
  assertEquals(out(3, (w) => w.map(2)), "%2\r\n");
  assertEquals(out(3, (w) => w.map(0)), "%0\r\n");
  assertEquals(out(3, (w) => w.set(3)), "~3\r\n");
  assertEquals(out(3, (w) => w.push(3)), ">3\r\n");
  assertEquals(out(3, (w) => w.double(1.5)), ",1.5\r\n");
  assertEquals(out(3, (w) => w.double(0.1)), ",0.10000000000000001\r\n");
  assertEquals(out(3, (w) => w.double(Infinity)), ",inf\r\n");
  assertEquals(out(3, (w) => w.double(-Infinity)), ",-inf\r\n");
  assertEquals(out(3, (w) => w.double(-0)), ",-0\r\n");
  assertEquals(out(3, (w) => w.bool(true)), "#t\r\n");
  assertEquals(out(3, (w) => w.bool(false)), "#f\r\n");
  assertEquals(out(3, (w) => w.bigNumber("-12345678901234567890")), "(-12345678901234567890\r\n");
  assertEquals(out(3, (w) => w.verbatim("hi\r\nthere")), "=13\r\ntxt:hi\r\nthere\r\n");
  assertEquals(out(3, (w) => w.verbatim("# x", "mkd")), "=7\r\nmkd:# x\r\n");
  // A nested reply, as HELLO 3 or CONFIG GET would write it.
  assertEquals(
    out(3, (w) => {
      w.map(2);
      w.bulk("a");
      w.set(1);
      w.integer(1);
      w.bulk("b");
      w.array(2);
      w.nullBulk();
      w.double(2);
    }),
    "%2\r\n$1\r\na\r\n~1\r\n:1\r\n$1\r\nb\r\n*2\r\n_\r\n,2\r\n",
  );
});

Deno.test("writer: bytes 0x00-0xFF are written exactly", () => {
  let every = "";
  for (let b = 0; b < 256; b++) every += String.fromCharCode(b);
  const w = new BufferWriter(16);
  w.bulk(every);
  w.verbatim(every);
  const b = w.take();
  // RESP2: the verbatim string is a plain bulk.
  assertEquals(b.length, 2 * (6 + 256 + 2));
  for (let i = 0; i < 256; i++) assertEquals(b[6 + i], i);
  for (let i = 0; i < 256; i++) assertEquals(b[264 + 6 + i], i);
  const w3 = new BufferWriter(16);
  w3.resp = 3;
  w3.verbatim(every);
  const v = w3.take();
  assertEquals(bytesToString(v, 0, 10), "=260\r\ntxt:");
  for (let i = 0; i < 256; i++) assertEquals(v[10 + i], i);
  assertEquals(bytesToString(stringToBytes(every), 0, 256), every);
});

Deno.test("writer: buffers grow, detach and shrink", () => {
  const w = new BufferWriter(8);
  const big = "x".repeat(5 * 1024 * 1024);
  w.ok();
  w.bulk(big);
  w.integer(1);
  assertEquals(w.len, 5 + 10 + big.length + 2 + 4);
  const first = w.detach();
  assertEquals(first.length, w.len === 0 ? 5 + 10 + big.length + 2 + 4 : -1);
  assertEquals(bytesToString(first, 0, 15), "+OK\r\n$5242880\r\n");
  assertEquals(bytesToString(first, first.length - 6, first.length), "\r\n:1\r\n");
  // Replies written while the first buffer is in flight do not touch it.
  w.simple("NEXT");
  assertEquals(first[0], 43);
  assertEquals(bytesToString(first, 0, 3), "+OK");
  w.release(first); // too big to keep
  const second = w.detach();
  assertEquals(bytesToString(second, 0, second.length), "+NEXT\r\n");
  w.release(second);
  w.detach();
  // The released small buffer is reused by the next detach.
  assertOk(w.buf.buffer === second.buffer);
  w.simple("A");
  assertEquals(bytesToString(w.take(), 0, 4), "+A\r\n");
});

Deno.test("writer: disabled replies are dropped but errors still counted", () => {
  const w = new BufferWriter();
  const seen: string[] = [];
  w.onError = (m) => seen.push(m);
  w.enabled = false;
  w.ok();
  w.bulk("x");
  w.integer(1);
  w.array(1);
  w.map(1);
  w.double(1);
  w.nullBulk();
  w.error("ERR nope");
  assertEquals(w.len, 0);
  assertEquals(w.errorCount, 1);
  assertEquals(seen, ["ERR nope"]);
});

const DOUBLE_CASES: [number, string][] = [
  [1.1, "1.1000000000000001"],
  [0.1, "0.10000000000000001"],
  [1e20, "1e+20"],
  [1e-5, "1.0000000000000001e-05"],
  [123456789012345678, "1.2345678901234568e+17"],
  [-0, "-0"],
  [0, "0"],
  [Infinity, "inf"],
  [-Infinity, "-inf"],
  [1, "1"],
  [-1.5, "-1.5"],
  [100, "100"],
  [0.0001, "0.0001"],
  [1.234e-5, "1.234e-05"],
  [1e16, "10000000000000000"],
  [1e17, "1e+17"],
  [2 ** 53, "9007199254740992"],
  [3.0000000000000004, "3.0000000000000004"],
  [1e308, "1e+308"],
  [5e-324, "4.9406564584124654e-324"],
  [Number.MAX_VALUE, "1.7976931348623157e+308"],
  [12345.678, "12345.678"],
  [-123.456, "-123.456"],
  // Exact ties at the 18th digit: C rounds half to even, JS half up.
  [2 ** -25, "2.9802322387695312e-08"],
  [-(2 ** -25), "-2.9802322387695312e-08"],
  [3 * 2 ** -25, "8.9406967163085938e-08"],
];

Deno.test("formatDouble: %.17g", () => {
  for (const [d, want] of DOUBLE_CASES) assertEquals(formatDouble(d), want, String(d));
});

Deno.test({
  name: "formatDouble: matches redis-server's ZSCORE on random doubles",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const rand = prng(17);
    // ZADD stores -0 as 0, so -0 is checked by the unit cases only.
    const values: number[] = DOUBLE_CASES.map(([d]) => d).filter((d) =>
      Number.isFinite(d) && !Object.is(d, -0)
    );
    // Small odd multiples of 2^-20..2^-25 include many exact ties at the
    // 18th digit, where C rounds half to even.
    for (let k = 20; k <= 25; k++) for (let m = 1; m < 200; m += 2) values.push(m * 2 ** -k);
    const bits = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 400; i++) {
      bits.setUint32(0, Math.floor(rand() * 2 ** 32));
      bits.setUint32(4, Math.floor(rand() * 2 ** 32));
      const d = bits.getFloat64(0);
      if (Number.isFinite(d)) values.push(d);
      // Short binary fractions (tie candidates) and plain decimals.
      values.push(Math.floor(rand() * 2 ** 30) * 2 ** -Math.floor(rand() * 30));
      values.push(Number((rand() * 10 ** Math.floor(rand() * 30 - 10)).toPrecision(1 + i % 17)));
    }
    const redis = await startRealRedis();
    const c = await RawClient.connect(redis.port);
    try {
      const parts: Uint8Array[] = [];
      values.forEach((d, i) => parts.push(encodeCommand(["ZADD", "z", String(d), `m${i}`])));
      values.forEach((_, i) => parts.push(encodeCommand(["ZSCORE", "z", `m${i}`])));
      for (const p of parts) await c.write(p);
      for (let i = 0; i < values.length; i++) assertEquals((await c.read()).value, 1);
      let checked = 0;
      for (let i = 0; i < values.length; i++) {
        const got = (await c.read()).value;
        const d = values[i]!;
        assertEquals(got, formatDouble(d), `value ${d}`);
        checked++;
      }
      assertOk(checked > 1000);
    } finally {
      c.close();
      await redis.stop();
    }
  },
});

Deno.test("writer: detach and release take turns on two buffers; views are reused, big buffers dropped", () => {
  const w = new BufferWriter(1024);
  const text = (b: Uint8Array) => bytesToString(b, 0, b.length);
  const first = w.buf;
  w.simple("PONG");
  const a = w.detach();
  assertEquals(text(a), "+PONG\r\n");
  // Replies made while `a` is in flight go to another buffer.
  w.simple("PONG");
  w.release(a);
  const b = w.detach();
  assertOk(b.buffer !== a.buffer, "a second buffer while the first was out");
  w.release(b);
  w.simple("PONG");
  const a2 = w.detach();
  assertOk(a2 === a, "the first buffer's view, reused for the same length");
  w.release(a2);
  w.simple("PONG!");
  const b2 = w.detach();
  assertEquals(text(b2), "+PONG!\r\n");
  assertOk(b2 !== b && b2.buffer === b.buffer, "a new view for a new length");
  w.release(b2);
  // A reply past 1 MiB grows the buffer; released, it is dropped.
  w.bulk("x".repeat(2 << 20));
  const big = w.detach();
  w.release(big);
  w.simple("OK");
  const after = w.detach();
  // (The big buffer grew out of the first one, which is gone with it.)
  assertOk(after.buffer !== big.buffer && after.buffer === b.buffer, "the big buffer is gone");
  assertOk(first.buffer !== after.buffer);
});

Deno.test("writer: bulkUintPair writes `<a>-<b>` as bulk(String(a) + '-' + String(b)) does", () => {
  const values = [
    0,
    1,
    9,
    10,
    99,
    12345,
    2 ** 31 - 1,
    2 ** 31,
    99_999_999,
    100_000_000,
    1_733_572_831_234,
    10 ** 15,
    2 ** 53 - 1,
  ];
  for (const a of values) {
    for (const b of values) {
      const w = new BufferWriter(), x = new BufferWriter();
      w.bulkUintPair(a, b);
      x.bulk(`${a}-${b}`);
      assertEquals(new TextDecoder().decode(w.take()), new TextDecoder().decode(x.take()));
    }
  }
});
