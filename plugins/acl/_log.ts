/**
 * The ACL LOG: denied commands, keys, channels and failed authentications,
 * newest first, with Redis 7.0's grouping of similar entries (same reason,
 * context, object and user within 60 seconds, among the last 10 entries).
 *
 * @module
 */

import type { Bytes, ReplyWriter } from "../../core/types.ts";
import { DENIED_AUTH, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY } from "./_check.ts";

/** Where the denial happened. */
export type LogContext = "toplevel" | "multi" | "lua" | "module";

/** One ACL LOG entry. */
export interface LogEntry {
  count: number;
  reason: number;
  context: LogContext;
  object: Bytes;
  username: Bytes;
  /** Milliseconds time of the last occurrence. */
  ctime: number;
  /** CLIENT INFO of the last client that caused it. */
  cinfo: string;
}

const GROUPING_MAX_MS = 60000;

function reasonName(reason: number): string {
  switch (reason) {
    case DENIED_CMD:
      return "command";
    case DENIED_KEY:
      return "key";
    case DENIED_CHANNEL:
      return "channel";
    case DENIED_AUTH:
      return "auth";
  }
  return "unknown";
}

/**
 * The log itself.
 *
 * @example
 * ```ts
 * import { AclLog } from "./_log.ts";
 * const log = new AclLog();
 * log.add({ reason: 1, context: "toplevel", object: "get", username: "u", ctime: 0, cinfo: "" }, 128);
 * console.log(log.entries.length); // 1
 * ```
 */
export class AclLog {
  /** Newest first. */
  entries: LogEntry[] = [];

  /** Adds an entry, or bumps a similar recent one; trims to `maxLen`. */
  add(e: Omit<LogEntry, "count">, maxLen: number): void {
    const scan = Math.min(10, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const cur = this.entries[i]!;
      if (
        cur.reason === e.reason && cur.context === e.context &&
        Math.abs(cur.ctime - e.ctime) <= GROUPING_MAX_MS && cur.object === e.object &&
        cur.username === e.username
      ) {
        this.entries.splice(i, 1);
        this.entries.unshift(cur);
        cur.cinfo = e.cinfo;
        cur.ctime = e.ctime;
        cur.count++;
        return;
      }
    }
    this.entries.unshift({ ...e, count: 1 });
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  /** ACL LOG [count]: writes up to `count` entries. */
  reply(r: ReplyWriter, count: number, now: number): void {
    const n = Math.max(0, Math.min(count, this.entries.length));
    r.array(n);
    for (let i = 0; i < n; i++) {
      const e = this.entries[i]!;
      r.map(7);
      r.bulk("count");
      r.integer(e.count);
      r.bulk("reason");
      r.bulk(reasonName(e.reason));
      r.bulk("context");
      r.bulk(e.context);
      r.bulk("object");
      r.bulk(e.object);
      r.bulk("username");
      r.bulk(e.username);
      r.bulk("age-seconds");
      r.double((now - e.ctime) / 1000);
      r.bulk("client-info");
      r.bulk(e.cinfo);
    }
  }
}
