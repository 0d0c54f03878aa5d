/**
 * MODULE (LIST, LOAD, LOADEX, UNLOAD, HELP) as Redis 7.0 answers it for a
 * module it cannot load: Respite runs no Redis modules (its own
 * extensions are plugins, `--plugin`), so LIST is empty, LOAD and LOADEX
 * fail with Redis's error after logging why, and UNLOAD finds nothing.
 * As in Redis, LOAD, LOADEX and UNLOAD need `enable-module-command`.
 *
 * @module
 */

import { commandFamily, definePlugin } from "../core/registry.ts";
import type { Bytes, Context } from "../core/types.ts";
import { ReplyError } from "../core/errors.ts";
import { helpSubcommand } from "../core/help.ts";

const command = commandFamily({ group: "server" });

const NOT_ALLOWED =
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", ' +
  "you can run it from a local connection, otherwise you need to set this option in the " +
  "configuration file, and then restart the server.";

const LOAD_FAILED = "ERR Error loading the extension. Please check the server logs.";

const HELP = [
  "LIST",
  "    Return a list of loaded modules.",
  "LOAD <path> [<arg> ...]",
  "    Load a module library from <path>, passing to it any optional arguments.",
  "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
  "    Load a module library from <path>, while passing it module configurations and optional arguments.",
  "UNLOAD <name>",
  "    Unload a module.",
];

/** Redis's islocalClient: a loopback peer. */
function isLocal(c: Context): boolean {
  const a = c.addr;
  const host = a.startsWith("[") ? a.slice(1, a.indexOf("]")) : a.slice(0, a.lastIndexOf(":"));
  return host === "127.0.0.1" || host === "::1" || a.startsWith("/");
}

/** Refuses the protected subcommands as Redis does without `enable-module-command`. */
function checkAllowed(c: Context): void {
  const config = c.server.config;
  const v = config.directive("enable-module-command") === undefined
    ? "no"
    : config.get("enable-module-command");
  if (v === "yes" || (v === "local" && isLocal(c))) return;
  throw new ReplyError(NOT_ALLOWED);
}

/**
 * Why a module at `path` does not load, as Redis's moduleLoad logs it
 * (the file's permissions and dlopen's words for a missing file).
 */
function loadFailure(path: string): string {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "cannot open shared object file: No such file or directory"
      : (e as Error).message;
    return `Module ${path} failed to load: ${path}: ${reason}`;
  }
  if (info.mode !== null && (info.mode & 0o111) === 0) {
    return `Module ${path} failed to load: It does not have execute permissions.`;
  }
  return `Module ${path} failed to load: Respite does not load Redis modules`;
}

function load(c: Context, path: Bytes): never {
  c.server.log("warning", loadFailure(path));
  throw new ReplyError(LOAD_FAILED);
}

/** MODULE LOADEX's options, as Redis's parseLoadexArguments reads them. */
function loadexOptionsError(argv: readonly Bytes[]): string | undefined {
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    if (a === "config") {
      if (i + 2 >= argv.length) return "CONFIG specified without name value pair";
      i += 2;
    } else if (a === "args") {
      return undefined;
    } else {
      return `Syntax Error from arguments to loadex around ${argv[i]}.`;
    }
  }
  return undefined;
}

/**
 * The MODULE plugin.
 *
 * @example
 * ```ts
 * import { startServer } from "../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const c = await Deno.connect({ port: s.port });
 * await c.write(new TextEncoder().encode("MODULE UNLOAD x\r\n"));
 * const buf = new Uint8Array(512);
 * const n = await c.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // "-ERR MODULE command not allowed. ..."
 * c.close();
 * await s.close();
 * ```
 */
export default definePlugin({
  name: "module",
  commands: [command({
    name: "module",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for module commands",
      since: "4.0.0",
      complexity: "Depends on subcommand.",
    },
    subcommands: [
      {
        name: "list",
        arity: 2,
        flags: ["admin", "noscript"],
        tips: ["nondeterministic_output_order"],
        docs: {
          summary: "List all modules loaded by the server",
          since: "4.0.0",
          complexity: "O(N) where N is the number of loaded modules.",
        },
        // Not protected: LIST answers whatever `enable-module-command` says.
        handler: (c) => c.reply.array(0),
      },
      helpSubcommand(HELP),
      {
        name: "loadex",
        arity: -3,
        flags: ["admin", "noscript", "no_async_loading"],
        docs: {
          summary: "Load a module with extended parameters",
          since: "7.0.0",
          complexity: "O(1)",
          arguments: [
            { name: "path", type: "string" },
            {
              name: "configs",
              type: "block",
              token: "CONFIG",
              flags: ["optional", "multiple", "multiple_token"],
              arguments: [{ name: "name", type: "string" }, { name: "value", type: "string" }],
            },
            {
              name: "args",
              type: "block",
              token: "ARGS",
              flags: ["optional", "multiple"],
              arguments: [{ name: "arg", type: "string" }],
            },
          ],
        },
        handler(c, argv) {
          checkAllowed(c);
          const err = loadexOptionsError(argv);
          if (err !== undefined) {
            c.server.log("notice", err);
            throw new ReplyError(LOAD_FAILED);
          }
          load(c, argv[2]!);
        },
      },
      {
        name: "load",
        arity: -3,
        flags: ["admin", "noscript", "no_async_loading"],
        docs: {
          summary: "Load a module",
          since: "4.0.0",
          complexity: "O(1)",
          arguments: [
            { name: "path", type: "string" },
            { name: "arg", type: "string", flags: ["optional", "multiple"] },
          ],
        },
        handler(c, argv) {
          checkAllowed(c);
          load(c, argv[2]!);
        },
      },
      {
        name: "unload",
        arity: 3,
        flags: ["admin", "noscript", "no_async_loading"],
        docs: {
          summary: "Unload a module",
          since: "4.0.0",
          complexity: "O(1)",
          arguments: [{ name: "name", type: "string" }],
        },
        handler(c) {
          checkAllowed(c);
          throw new ReplyError("ERR Error unloading module: no such module with that name");
        },
      },
    ],
  })],
});
