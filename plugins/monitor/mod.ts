/**
 * What commands ran, as Redis shows it: MONITOR streams every command to
 * the clients that asked, SLOWLOG keeps the slow ones
 * (`slowlog-log-slower-than`, `slowlog-max-len`). Both see the commands
 * through the dispatcher's observers, nested ones included, with
 * passwords redacted as Redis redacts them. Neither costs a command
 * anything while off: no monitor, or `slowlog-log-slower-than -1`.
 *
 * @module
 */

import { commandFamily, definePlugin } from "../../core/registry.ts";
import { ReplyError } from "../../core/errors.ts";
import { Monitors } from "./_monitor.ts";
import { SlowLog, slowlogCommand } from "./_slowlog.ts";

export { monitorLine } from "./_monitor.ts";
export { entryArgs, type SlowlogEntry } from "./_slowlog.ts";
export { redactArgv, REDACTED } from "./_redact.ts";

const command = commandFamily({ group: "server" });

/**
 * The MONITOR and SLOWLOG plugin.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {}, config: { "slowlog-log-slower-than": "0" } });
 * const c = await Deno.connect({ port: s.port });
 * await c.write(new TextEncoder().encode("PING\r\nSLOWLOG LEN\r\n"));
 * const buf = new Uint8Array(64);
 * await new Promise((r) => setTimeout(r, 100));
 * const n = await c.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // "+PONG\r\n:1\r\n"
 * c.close();
 * await s.close();
 * ```
 */
export default definePlugin({
  name: "monitor",
  // Up to LLONG_MAX, as Redis's.
  config: [
    { name: "slowlog-log-slower-than", type: "int", default: "10000", min: -1 },
    { name: "slowlog-max-len", type: "int", default: "128", min: 0 },
  ],
  init(server) {
    const monitors = new Monitors(server);
    const slowlog = new SlowLog(server);
    server.config.watch("slowlog-log-slower-than", (v) => slowlog.setThreshold(Number(v)));
    server.config.watch("slowlog-max-len", (v) => (slowlog.maxLen = Number(v)));
    return {
      commands: [
        command({
          name: "monitor",
          arity: 1,
          flags: ["admin", "noscript", "loading", "stale"],
          docs: {
            summary: "Listen for all requests received by the server in real time",
            since: "1.0.0",
          },
          handler(c) {
            // EXEC's queue expects one reply per command (CLIENT_DENY_BLOCKING).
            if (!c.blockable) {
              throw new ReplyError("ERR MONITOR isn't allowed for DENY BLOCKING client");
            }
            // A replica, or a client already monitoring, gets no reply at all.
            if (c.kind === "replica" || !monitors.add(c)) return;
            c.reply.ok();
          },
        }),
        command(slowlogCommand(slowlog)),
      ],
      admission: { busy: monitors.check },
      hooks: {
        clientClosed: (c) => monitors.remove(c),
        clientReset: (c) => monitors.remove(c),
        clientInfo: (c) => monitors.clients.has(c) ? { flags: "O" } : undefined,
      },
    };
  },
});
