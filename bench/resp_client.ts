/**
 * A minimal RESP2 client for the bench's own measurements (persistence,
 * replication): one command at a time, replies decoded as UTF-8 text.
 *
 * @module
 */

export type Reply = string | number | null | Error | Reply[];

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sends a command on `conn` and fails on an error reply. */
export async function must(conn: Conn, ...argv: string[]): Promise<Reply> {
  const r = await conn.call(...argv);
  if (r instanceof Error) throw new Error(`${argv.join(" ")}: ${r.message}`);
  return r;
}

/** One INFO section as a field map. */
export async function infoSection(conn: Conn, section: string): Promise<Map<string, string>> {
  const text = String(await must(conn, "INFO", section));
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

/** A minimal RESP2 client: one command at a time. */
export class Conn {
  #buf = new Uint8Array(0);
  private constructor(private readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<Conn> {
    const c = await Deno.connect({ port, hostname: "127.0.0.1" });
    c.setNoDelay(true);
    return new Conn(c);
  }

  /** Sends a command and reads its reply (an error reply is returned, not thrown). */
  async call(...argv: string[]): Promise<Reply> {
    let frame = `*${argv.length}\r\n`;
    for (const a of argv) frame += `$${enc.encode(a).length}\r\n${a}\r\n`;
    const data = enc.encode(frame);
    for (let off = 0; off < data.length;) off += await this.conn.write(data.subarray(off));
    for (;;) {
      const parsed = parse(this.#buf, 0);
      if (parsed) {
        this.#buf = this.#buf.subarray(parsed[1]);
        return parsed[0];
      }
      const chunk = new Uint8Array(65536);
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      const merged = new Uint8Array(this.#buf.length + n);
      merged.set(this.#buf);
      merged.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = merged;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Parses one reply at `pos`: [reply, end] or undefined when incomplete. */
function parse(b: Uint8Array, pos: number): [Reply, number] | undefined {
  let eol = -1;
  for (let i = pos + 1; i < b.length - 1; i++) {
    if (b[i] === 13 && b[i + 1] === 10) {
      eol = i;
      break;
    }
  }
  if (eol < 0) return undefined;
  const line = dec.decode(b.subarray(pos + 1, eol));
  const next = eol + 2;
  switch (b[pos]) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new Error(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: { // $
      const len = Number(line);
      if (len < 0) return [null, next];
      if (b.length < next + len + 2) return undefined;
      return [dec.decode(b.subarray(next, next + len)), next + len + 2];
    }
    case 42: { // *
      const len = Number(line);
      if (len < 0) return [null, next];
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < len; i++) {
        const r = parse(b, p);
        if (!r) return undefined;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    default:
      throw new Error(`unexpected reply byte ${b[pos]}`);
  }
}
