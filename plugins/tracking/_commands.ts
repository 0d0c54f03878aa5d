/**
 * CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO:
 * subcommands this plugin adds to the connection family's CLIENT, with
 * Redis 7.0's options, checks (in its order) and errors.
 *
 * @module
 */

import { commandFamily } from "../../core/registry.ts";
import type { Bytes, CommandSpec, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import type { Tracker, TrackingOptions } from "./_tracker.ts";

const command = commandFamily({ category: "connection" });

/** Whether one prefix is a prefix of the other (they would both match a key). */
const overlap = (a: Bytes, b: Bytes): boolean => a.startsWith(b) || b.startsWith(a);

/**
 * Redis's checkPrefixCollisionsOrReply: a new prefix may not overlap one the
 * client has, nor another one given. Redis 7.0 answers a clash between two
 * new prefixes other than the first with the error and then OK, tracking
 * anyway (two replies to one command); here the error is the only reply
 * and nothing changes.
 */
function checkPrefixes(c: Context, prefixes: readonly Bytes[]): void {
  // Redis walks the client's prefixes in byte order.
  const mine = [...c.ext.tracking?.prefixes ?? []].sort();
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    for (const have of mine) {
      if (overlap(have, p)) {
        throw new ReplyError(
          `ERR Prefix '${cString(p)}' overlaps with an existing prefix '${
            cString(have)
          }'. Prefixes for a single client must not overlap.`,
        );
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlap(p, prefixes[j]!)) {
        throw new ReplyError(
          `ERR Prefix '${cString(p)}' overlaps with another provided prefix '${
            cString(prefixes[j]!)
          }'. Prefixes for a single client must not overlap.`,
        );
      }
    }
  }
}

/** A byte string as Redis's `%s` prints it: up to its first NUL. */
function cString(s: Bytes): Bytes {
  const nul = s.indexOf("\0");
  return nul === -1 ? s : s.slice(0, nul);
}

/** CLIENT TRACKING's handler. */
function tracking(tracker: Tracker, c: Context, argv: Bytes[]): void {
  const opts: TrackingOptions & { prefixes: Bytes[] } = {
    redirect: 0,
    bcast: false,
    optin: false,
    optout: false,
    noloop: false,
    prefixes: [],
  };
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j > 0;
    const opt = argv[j]!.toLowerCase();
    if (opt === "redirect" && more) {
      j++;
      if (opts.redirect !== 0) {
        throw new ReplyError("ERR A client can only redirect to a single other client");
      }
      const id = parseInteger(argv[j]!);
      if (id === undefined) throw new ReplyError(Err.notInteger);
      // Checked now, though the client may leave later (then the
      // tracking client hears `tracking-redir-broken`).
      if (!c.server.clients.has(id)) {
        throw new ReplyError("ERR The client ID you want redirect to does not exist");
      }
      opts.redirect = id;
    } else if (opt === "bcast") {
      opts.bcast = true;
    } else if (opt === "optin") {
      opts.optin = true;
    } else if (opt === "optout") {
      opts.optout = true;
    } else if (opt === "noloop") {
      opts.noloop = true;
    } else if (opt === "prefix" && more) {
      opts.prefixes.push(argv[++j]!);
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  const mode = argv[2]!.toLowerCase();
  if (mode === "off") {
    tracker.disable(c);
    c.reply.ok();
    return;
  }
  if (mode !== "on") throw new ReplyError(Err.syntax);
  const st = c.ext.tracking;
  if (!opts.bcast && opts.prefixes.length !== 0) {
    throw new ReplyError("ERR PREFIX option requires BCAST mode to be enabled");
  }
  if (st !== undefined && st.bcast !== opts.bcast) {
    throw new ReplyError(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (opts.bcast && (opts.optin || opts.optout)) {
    throw new ReplyError("ERR OPTIN and OPTOUT are not compatible with BCAST");
  }
  if (opts.optin && opts.optout) {
    throw new ReplyError("ERR You can't specify both OPTIN mode and OPTOUT mode");
  }
  if (st !== undefined && ((opts.optin && st.optout) || (opts.optout && st.optin))) {
    throw new ReplyError(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (opts.bcast) checkPrefixes(c, opts.prefixes);
  tracker.enable(c, opts);
  c.reply.ok();
}

/** CLIENT CACHING's handler. */
function caching(c: Context, argv: Bytes[]): void {
  const st = c.ext.tracking;
  if (st === undefined) {
    throw new ReplyError(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    );
  }
  const opt = argv[2]!.toLowerCase();
  if (opt === "yes") {
    if (!st.optin) {
      throw new ReplyError(
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
      );
    }
  } else if (opt === "no") {
    if (!st.optout) {
      throw new ReplyError(
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
      );
    }
  } else {
    throw new ReplyError(Err.syntax);
  }
  st.caching = true;
  c.reply.ok();
}

/** CLIENT TRACKINGINFO's handler: flags (a set), redirect and prefixes. */
function trackingInfo(c: Context): void {
  const st = c.ext.tracking;
  const flags: string[] = [];
  if (st === undefined) {
    flags.push("off");
  } else {
    flags.push("on");
    if (st.bcast) flags.push("bcast");
    if (st.optin) {
      flags.push("optin");
      if (st.caching) flags.push("caching-yes");
    }
    if (st.optout) {
      flags.push("optout");
      if (st.caching) flags.push("caching-no");
    }
    if (st.noloop) flags.push("noloop");
    if (st.brokenRedirect) flags.push("broken_redirect");
  }
  const r = c.reply;
  r.map(3);
  r.bulk("flags");
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk("redirect");
  r.integer(st === undefined ? -1 : st.redirect);
  r.bulk("prefixes");
  r.bulkArray(st === undefined ? [] : [...st.prefixes].sort());
}

/** The four subcommands, named `client|<sub>` to join the connection family's CLIENT. */
export function trackingCommands(tracker: Tracker): CommandSpec[] {
  return [
    command({
      name: "client|tracking",
      arity: -3,
      flags: ["noscript", "loading", "stale"],
      docs: {
        summary: "Enable or disable server assisted client side caching support",
        since: "6.0.0",
        complexity: "O(1). Some options may introduce additional complexity.",
        arguments: [
          {
            name: "status",
            type: "oneof",
            arguments: [
              { name: "on", type: "pure-token", token: "ON" },
              { name: "off", type: "pure-token", token: "OFF" },
            ],
          },
          { name: "client-id", type: "integer", token: "REDIRECT", flags: ["optional"] },
          {
            name: "prefix",
            type: "string",
            token: "PREFIX",
            flags: ["optional", "multiple", "multiple_token"],
          },
          { name: "bcast", type: "pure-token", token: "BCAST", flags: ["optional"] },
          { name: "optin", type: "pure-token", token: "OPTIN", flags: ["optional"] },
          { name: "optout", type: "pure-token", token: "OPTOUT", flags: ["optional"] },
          { name: "noloop", type: "pure-token", token: "NOLOOP", flags: ["optional"] },
        ],
      },
      handler: (c, argv) => tracking(tracker, c, argv),
    }),
    command({
      name: "client|caching",
      arity: 3,
      flags: ["noscript", "loading", "stale"],
      docs: {
        summary: "Instruct the server about tracking or not keys in the next request",
        since: "6.0.0",
        complexity: "O(1)",
        arguments: [
          {
            name: "mode",
            type: "oneof",
            arguments: [
              { name: "yes", type: "pure-token", token: "YES" },
              { name: "no", type: "pure-token", token: "NO" },
            ],
          },
        ],
      },
      handler: caching,
    }),
    command({
      name: "client|getredir",
      arity: 2,
      flags: ["noscript", "loading", "stale"],
      docs: {
        summary: "Get tracking notifications redirection client ID if any",
        since: "6.0.0",
        complexity: "O(1)",
      },
      handler: (c) => c.reply.integer(c.ext.tracking?.redirect ?? -1),
    }),
    command({
      name: "client|trackinginfo",
      arity: 2,
      flags: ["noscript", "loading", "stale"],
      docs: {
        summary:
          "Return information about server assisted client side caching for the current connection",
        since: "6.2.0",
        complexity: "O(1)",
      },
      handler: trackingInfo,
    }),
  ];
}
