/**
 * MIGRATE and RESTORE-ASKING, as Redis 7.0's cluster.c: keys are sent to
 * another server (Respite or Redis) as RESTORE commands carrying DUMP
 * payloads, over a connection kept per target for 10 seconds, and deleted
 * here once the target acknowledged them (unless COPY).
 *
 * Redis blocks the whole server while MIGRATE waits for the target. Here
 * only the calling client waits (its command is suspended), and writes
 * from every other client are held back meanwhile, as CLIENT PAUSE WRITE
 * holds them: no key can change between being serialized and being
 * deleted, so no write is lost, and reads go on.
 *
 * @module
 */

import { commandFamily, keys } from "../../core/registry.ts";
import type { Bytes, CommandSpec, Context, ServerApi } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { intArg } from "../../core/number.ts";
import { PauseLevel } from "../../core/pause.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import type { RdbPersistence } from "./_persist.ts";
import { RESTORE_DOCS } from "./_commands.ts";

const command = commandFamily({ category: "keyspace", group: "generic" });

/** Redis's MIGRATE_SOCKET_CACHE_TTL: an idle cached connection is closed after it. */
const LINK_TTL_MS = 10_000;
/** Redis's MIGRATE_SOCKET_CACHE_ITEMS. */
const LINK_MAX = 64;
/** Redis sends the request in chunks of 64 KB, each within the timeout. */
const CHUNK = 64 * 1024;

const CONNECT_ERROR = "IOERR error or timeout connecting to the client";

/** A cached connection to a target (Redis's migrateCachedSocket). */
class Link {
  lastDbid = -1;
  /** An operation ran out of time (Redis retries only errors that are not timeouts). */
  timedOut = false;
  lastUse = Date.now();
  #buf = new Uint8Array(0);
  #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(readonly conn: Deno.TcpConn) {
    this.#reader = conn.readable.getReader();
  }

  /** Writes all of `data`, each chunk within `timeout` ms; false on error or timeout. */
  async write(data: Uint8Array, timeout: number): Promise<boolean> {
    const writer = this.conn;
    for (let pos = 0; pos < data.length;) {
      const chunk = data.subarray(pos, Math.min(data.length, pos + CHUNK));
      let left = chunk;
      while (left.length > 0) {
        const n = await withTimeout(writer.write(left), timeout);
        if (n === TIMEOUT) this.timedOut = true;
        if (typeof n !== "number" || n <= 0) return false;
        left = left.subarray(n);
      }
      pos += chunk.length;
    }
    return true;
  }

  /** The next reply line (without CRLF), or undefined on error or timeout. */
  async readLine(timeout: number): Promise<string | undefined> {
    for (;;) {
      const nl = this.#buf.indexOf(10);
      if (nl !== -1) {
        const end = nl > 0 && this.#buf[nl - 1] === 13 ? nl - 1 : nl;
        const line = bytesToString(this.#buf, 0, end);
        this.#buf = this.#buf.subarray(nl + 1);
        return line;
      }
      const r = await withTimeout(this.#reader.read(), timeout);
      if (r === TIMEOUT) this.timedOut = true;
      if (r === undefined || r === TIMEOUT || r.done) return undefined;
      const joined = new Uint8Array(this.#buf.length + r.value.length);
      joined.set(this.#buf);
      joined.set(r.value, this.#buf.length);
      this.#buf = joined;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** What {@link withTimeout} gives when the time ran out. */
const TIMEOUT: unique symbol = Symbol("timeout");

/** `p`'s value, TIMEOUT once `ms` passed, or undefined if it failed. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<typeof TIMEOUT>((resolve) => timer = setTimeout(() => resolve(TIMEOUT), ms)),
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** A RESP command as bytes (arguments are byte strings). */
function encode(argv: readonly Bytes[]): string {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

/** What one MIGRATE call sends and learns. */
interface Transfer {
  host: string;
  port: number;
  dbid: number;
  timeout: number;
  copy: boolean;
  replace: boolean;
  username: Bytes | undefined;
  password: Bytes | undefined;
  /** The keys found, with their payloads and TTLs (0: none). */
  keys: Bytes[];
  payloads: Bytes[];
  ttls: number[];
}

/** The connections MIGRATE keeps, per `host:port`. */
export class MigrateLinks {
  readonly #links = new Map<string, Link>();

  /**
   * A cached connection, or a new one: "timeout" when none came in time,
   * "error" when it was refused (Redis's non-blocking connect learns that
   * at its first write, and says so).
   */
  async get(host: string, port: number, timeout: number): Promise<Link | "timeout" | "error"> {
    const name = `${host}:${port}`;
    const cached = this.#links.get(name);
    if (cached !== undefined) {
      cached.lastUse = Date.now();
      return cached;
    }
    if (this.#links.size === LINK_MAX) {
      // Full: a random one goes, as Redis evicts a random entry.
      const names = [...this.#links.keys()];
      this.drop(names[Math.floor(Math.random() * names.length)]!);
    }
    let connecting: Promise<Deno.TcpConn>;
    try {
      connecting = Deno.connect({ hostname: host, port });
    } catch {
      return "error"; // not a port
    }
    const conn = await withTimeout(connecting, timeout);
    if (conn === TIMEOUT) {
      connecting.then((late) => late.close(), () => {});
      return "timeout";
    }
    if (conn === undefined) return "error";
    conn.setNoDelay(true);
    const link = new Link(conn);
    this.#links.set(name, link);
    return link;
  }

  drop(name: string): void {
    this.#links.get(name)?.close();
    this.#links.delete(name);
  }

  /** Closes the connections idle for LINK_TTL_MS (Redis's migrateCloseTimedoutSockets). */
  cron(): void {
    const now = Date.now();
    for (const [name, link] of this.#links) {
      if (now - link.lastUse > LINK_TTL_MS) this.drop(name);
    }
  }

  closeAll(): void {
    for (const name of [...this.#links.keys()]) this.drop(name);
  }
}

/** How a transfer ended: the keys the target acknowledged, and the reply. */
interface Outcome {
  acked: number;
  /** An error reply (without the leading `-`), or undefined for +OK. */
  error: string | undefined;
}

/** Sends the keys and reads the replies (the I/O half of migrateCommand). */
async function transfer(links: MigrateLinks, t: Transfer, cluster: boolean): Promise<Outcome> {
  const name = `${t.host}:${t.port}`;
  let mayRetry = true;
  for (;;) {
    const link = await links.get(t.host, t.port, t.timeout);
    if (link === "timeout") return { acked: 0, error: CONNECT_ERROR };
    if (link === "error") {
      if (mayRetry) {
        mayRetry = false;
        continue;
      }
      return { acked: 0, error: "IOERR error or timeout writing to target instance" };
    }
    link.lastUse = Date.now();
    let req = "";
    if (t.password !== undefined) {
      req += encode(
        t.username !== undefined ? ["AUTH", t.username, t.password] : ["AUTH", t.password],
      );
    }
    const select = link.lastDbid !== t.dbid;
    if (select) req += encode(["SELECT", String(t.dbid)]);
    const restore = cluster ? "RESTORE-ASKING" : "RESTORE";
    for (let j = 0; j < t.keys.length; j++) {
      const argv = [restore, t.keys[j]!, String(t.ttls[j]!), t.payloads[j]!];
      if (t.replace) argv.push("REPLACE");
      req += encode(argv);
    }
    const fail = (what: "writing" | "reading"): Outcome | undefined => {
      links.drop(name);
      if (!link.timedOut && mayRetry) {
        mayRetry = false;
        return undefined; // once more, on a new connection
      }
      return { acked: 0, error: `IOERR error or timeout ${what} to target instance` };
    };
    if (!await link.write(stringToBytes(req), t.timeout)) {
      const out = fail("writing");
      if (out === undefined) continue;
      return out;
    }
    const auth = t.password !== undefined ? await link.readLine(t.timeout) : "+";
    const sel = auth !== undefined && select ? await link.readLine(t.timeout) : "+";
    if (auth === undefined || sel === undefined) {
      const out = fail("reading");
      if (out === undefined) continue;
      return out;
    }
    let error: string | undefined;
    let acked = 0, j = 0;
    for (; j < t.keys.length; j++) {
      const line = await link.readLine(t.timeout);
      if (line === undefined) break;
      if (auth[0] === "-" || sel[0] === "-" || line[0] === "-") {
        if (error === undefined) {
          link.lastDbid = -1;
          const from = auth[0] === "-" ? auth : sel[0] === "-" ? sel : line;
          error = `ERR Target instance replied with error: ${from.slice(1)}`;
        }
      } else {
        acked++;
      }
    }
    if (j < t.keys.length) {
      // A socket error: retried only when nothing was read yet.
      if (error === undefined && j === 0 && mayRetry && !link.timedOut) {
        links.drop(name);
        mayRetry = false;
        continue;
      }
      links.drop(name);
      if (error === undefined) {
        return { acked, error: "IOERR error or timeout reading to target instance" };
      }
      return { acked, error };
    }
    if (error === undefined) link.lastDbid = t.dbid;
    return { acked, error };
  }
}

/**
 * MIGRATE's keys as Redis's migrateGetKeys finds them: the key argument, or
 * those after KEYS (none when the key argument is not empty then).
 */
function migrateKeys(argv: Bytes[]): number[] {
  let first = 3, num = 1;
  const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  for (let i = 6; i < argv.length; i++) {
    const opt = argv[i]!.toLowerCase();
    if (opt === "keys") {
      if (argv[3]!.length > 0) return [];
      first = i + 1;
      num = argv.length - first;
      break;
    }
    i += skip[opt] ?? 0;
  }
  return Array.from({ length: num }, (_, i) => first + i);
}

/** MIGRATE's and RESTORE-ASKING's specs. */
export function migrateCommands(
  server: ServerApi,
  st: RdbPersistence,
  links: MigrateLinks,
  restore: (c: Context, argv: Bytes[]) => void,
): CommandSpec[] {
  /** MIGRATEs in flight: writes are held while any is. */
  let inFlight = 0;
  const holdWrites = () => {
    if (inFlight++ === 0) {
      server.keyspace.pause.start(PauseLevel.WRITE, Number.MAX_SAFE_INTEGER, "migrate");
    }
  };
  const releaseWrites = () => {
    if (--inFlight === 0) server.keyspace.pause.stop("migrate");
  };

  function migrate(c: Context, argv: Bytes[]): void {
    let copy = false, replace = false;
    let username: Bytes | undefined, password: Bytes | undefined;
    let firstKey = 3, numKeys = 1;
    for (let j = 6; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const opt = argv[j]!.toLowerCase();
      if (opt === "copy") copy = true;
      else if (opt === "replace") replace = true;
      else if (opt === "auth") {
        if (more < 1) throw new ReplyError(Err.syntax);
        password = argv[++j]!;
      } else if (opt === "auth2") {
        if (more < 2) throw new ReplyError(Err.syntax);
        username = argv[++j]!;
        password = argv[++j]!;
      } else if (opt === "keys") {
        if (argv[3]!.length !== 0) {
          throw new ReplyError(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
          );
        }
        firstKey = j + 1;
        numKeys = argv.length - j - 1;
        break;
      } else {
        throw new ReplyError(Err.syntax);
      }
    }
    let timeout = intArg(argv[5]!);
    const dbid = intArg(argv[4]!);
    if (timeout <= 0) timeout = 1000;
    const db = c.db;
    const now = server.clock.now();
    const t: Transfer = {
      host: argv[1]!,
      port: Number(argv[2]),
      dbid,
      timeout,
      copy,
      replace,
      username,
      password,
      keys: [],
      payloads: [],
      ttls: [],
    };
    let found = 0;
    for (let j = 0; j < numKeys; j++) {
      const key = argv[firstKey + j]!;
      const v = db.get(key);
      if (v === undefined) continue;
      found++;
      const at = db.expires.get(key);
      let ttl = 0;
      if (at !== undefined) {
        ttl = at - now;
        if (ttl < 0) continue;
        if (ttl < 1) ttl = 1;
      }
      const payload = st.dumpValue(v);
      t.keys.push(key);
      t.payloads.push(bytesToString(payload, 0, payload.length));
      t.ttls.push(ttl);
    }
    if (found === 0) {
      c.reply.simple("NOKEY");
      return;
    }
    let outcome: Outcome | undefined;
    const step = () => {
      const o = outcome!;
      if (!copy && o.acked > 0) {
        const gone: Bytes[] = ["DEL"];
        // The first `acked` keys were restored (replies come in order,
        // and after an error the others are kept here, as in Redis).
        for (let j = 0, n = 0; j < t.keys.length && n < o.acked; j++) {
          const key = t.keys[j]!;
          n++;
          if (!db.delete(key)) continue;
          c.changed(key, "del", "g");
          gone.push(key);
        }
        if (gone.length > 1) c.propagate(gone);
      }
      if (o.error === undefined) c.reply.ok();
      else c.reply.error(o.error);
    };
    const call = c.suspendCall(step);
    if (call === undefined) {
      // A script's redis.call or the AOF: nothing here may wait.
      throw new ReplyError("ERR MIGRATE cannot wait for its target here (inside a script)");
    }
    holdWrites();
    transfer(links, t, server.config.get("cluster-enabled") === "yes").then(
      (o) => outcome = o,
      () => outcome = { acked: 0, error: "IOERR error or timeout reading to target instance" },
    ).finally(() => {
      // Writes go on after this task; the step deletes the keys now.
      releaseWrites();
      call.resume();
    });
  }

  return [
    command({
      name: "migrate",
      arity: -6,
      flags: ["write"],
      categories: ["dangerous"],
      tips: ["nondeterministic_output"],
      keySpecs: [
        keys.one(3, ["RW", "ACCESS", "DELETE"]),
        {
          flags: ["RW", "ACCESS", "DELETE", "INCOMPLETE"],
          begin: { keyword: "KEYS", startfrom: -2 },
          find: { range: { lastkey: -1, step: 1, limit: 0 } },
        },
      ],
      docs: {
        summary: "Atomically transfer a key from a Redis instance to another one.",
        since: "2.6.0",
        complexity:
          "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
        history: [
          ["3.0.0", "Added the `COPY` and `REPLACE` options."],
          ["3.0.6", "Added the `KEYS` option."],
          ["4.0.7", "Added the `AUTH` option."],
          ["6.0.0", "Added the `AUTH2` option."],
        ],
        arguments: [
          { name: "host", type: "string" },
          { name: "port", type: "integer" },
          {
            name: "key_or_empty_string",
            type: "oneof",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "empty_string", type: "pure-token", token: "" },
            ],
          },
          { name: "destination-db", type: "integer" },
          { name: "timeout", type: "integer" },
          { name: "copy", type: "pure-token", token: "COPY", since: "3.0.0", flags: ["optional"] },
          {
            name: "replace",
            type: "pure-token",
            token: "REPLACE",
            since: "3.0.0",
            flags: ["optional"],
          },
          {
            name: "authentication",
            type: "oneof",
            flags: ["optional"],
            arguments: [
              {
                name: "password",
                type: "string",
                token: "AUTH",
                since: "4.0.7",
                flags: ["optional"],
              },
              {
                name: "username_password",
                type: "block",
                token: "AUTH2",
                since: "6.0.0",
                flags: ["optional"],
                arguments: [
                  { name: "username", type: "string" },
                  { name: "password", type: "string" },
                ],
              },
            ],
          },
          {
            name: "key",
            type: "key",
            token: "KEYS",
            keySpecIndex: 1,
            since: "3.0.6",
            flags: ["optional", "multiple"],
          },
        ],
      },
      getKeys: migrateKeys,
      keyFlags: () => ["RW", "ACCESS", "DELETE"],
      handler: migrate,
    }),
    command({
      name: "restore-asking",
      arity: -4,
      flags: ["write", "denyoom", "asking"],
      categories: ["dangerous"],
      keySpecs: [keys.one(1, ["OW", "UPDATE"])],
      docs: {
        summary: "An internal command for migrating keys in a cluster",
        since: "3.0.0",
        group: "server",
        docFlags: ["syscmd"],
        ...RESTORE_DOCS,
      },
      handler: restore,
    }),
  ];
}
