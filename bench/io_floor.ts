/**
 * The floor under any Deno server's cost per request: a TCP server that
 * answers every RESP command it receives with `+PONG` and does nothing
 * else (no parsing beyond counting `*`, no dispatch), read and written the
 * way Respite's connection loop does (`Deno.Conn.read` into a reused
 * buffer, one write per read). Run redis-benchmark's PING_MBULK against it
 * and against redis-server side by side: the CPU it spends per request is
 * what Deno's sockets cost before any server code runs.
 *
 * ```sh
 * deno run --allow-net bench/io_floor.ts 7390 &
 * redis-benchmark -p 7390 -c 50 -n 1000000 -P 16 -t ping_mbulk -q
 * ```
 *
 * @module
 */

const port = Number(Deno.args[0] ?? 7390);
const listener = Deno.listen({ port, hostname: "127.0.0.1" });
const PONG = new TextEncoder().encode("+PONG\r\n");
/**
 * Replies for a whole read, made at the first connection: idle, the
 * process holds only what listening costs (the buffer and the loop that
 * fills it, once compiled, are some 6 MiB of RSS).
 */
let replies: Uint8Array | undefined;

function makeReplies(): Uint8Array {
  const r = new Uint8Array(1 << 20);
  for (let i = 0; i + PONG.length <= r.length; i += PONG.length) r.set(PONG, i);
  return r;
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const out = replies ??= makeReplies();
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    let commands = 0;
    for (let i = 0; i < n; i++) if (buf[i] === 42) commands++; // '*'
    const len = commands * PONG.length;
    for (let off = 0; off < len;) off += await conn.write(out.subarray(off, len));
  }
}

for await (const conn of listener) serve(conn).catch(() => conn.close());
