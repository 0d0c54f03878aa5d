/**
 * How the AOF reaches the RDB codec the `rdb` plugin provides: base files
 * with an RDB preamble are written and read through it.
 *
 * @module
 */

import type { ServerApi } from "../../core/types.ts";
import type { RdbService } from "../rdb/mod.ts";

/** The `rdb` service, if the plugin is loaded. */
export function rdbCodec(server: ServerApi): RdbService | undefined {
  return server.service("rdb");
}

/** True when `bytes` starts with the RDB signature `REDIS`. */
export function isRdb(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && bytes[0] === 0x52 && bytes[1] === 0x45 && bytes[2] === 0x44 &&
    bytes[3] === 0x49 && bytes[4] === 0x53;
}
