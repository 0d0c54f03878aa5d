/**
 * The floor under any Deno server's cost per request: a TCP server that
 * answers every RESP command it receives with `+PONG` and does nothing
 * else (no parsing beyond counting commands, no dispatch), read and
 * written the way Respite's connection loop does (`Deno.Conn.read` into a
 * reused buffer, one write per read). Run redis-benchmark's PING_MBULK
 * against it and against redis-server side by side: the CPU it spends per
 * request is what Deno's sockets cost before any server code runs.
 *
 * `--work <ns>` adds a busy loop of about that many nanoseconds per command
 * (calibrated against the clock at start-up): a Deno server whose own work
 * per command costs that much, so a sweep of it measures how much own work
 * a throughput target leaves, kernel effects included.
 *
 * ```sh
 * deno run --allow-net bench/io_floor.ts 7390 &
 * deno run --allow-net bench/io_floor.ts 7391 --work 250 &
 * redis-benchmark -p 7390 -c 50 -n 1000000 -P 16 -t ping_mbulk -q
 * ```
 *
 * @module
 */

const port = Number(Deno.args[0] ?? 7390);
const workAt = Deno.args.indexOf("--work");
const workNs = workAt === -1 ? 0 : Number(Deno.args[workAt + 1]);
if (!(workNs >= 0)) {
  throw new Error(`--work: not a number of nanoseconds: ${Deno.args[workAt + 1]}`);
}
const PONG = new TextEncoder().encode("+PONG\r\n");

let sink = 0;
/** A dependent chain of arithmetic: no memory touched, nothing allocated. */
function spin(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345) | 0;
  sink = x;
}

/**
 * Iterations of {@link spin} per nanosecond, timed as the server calls it
 * (many short runs): the fastest of a few rounds.
 */
function calibrate(): number {
  const calls = 4000, each = 500;
  let best = Infinity;
  for (let round = 0; round < 8; round++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) spin(each);
    best = Math.min(best, performance.now() - t0);
  }
  return (calls * each) / (best * 1e6);
}

const perCommand = workNs === 0 ? 0 : Math.round(calibrate() * workNs);
const listener = Deno.listen({ port, hostname: "127.0.0.1" });
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
  // A `*` that ended the last read: a command unless a CR follows (an
  // argument such as XADD's `*` ID, `$1\r\n*\r\n`).
  let star = false;
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    let commands = star && buf[0] !== 13 ? 1 : 0;
    for (let i = 0; i < n - 1; i++) if (buf[i] === 42 && buf[i + 1] !== 13) commands++; // '*'
    star = buf[n - 1] === 42;
    if (perCommand !== 0) spin(perCommand * commands);
    const len = commands * PONG.length;
    for (let off = 0; off < len;) off += await conn.write(out.subarray(off, len));
  }
}

for await (const conn of listener) serve(conn).catch(() => conn.close());
