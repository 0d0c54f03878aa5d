/**
 * A minimal Respite launcher for the benchmark driver: starts the server
 * from `mod.ts` in this process, on the port given, with redis-server-style
 * `--name value` arguments as config directives.
 *
 * The driver uses `main.ts` when it exists; this file keeps the benchmark
 * independent of the CLI (and was its stand-in before the CLI existed).
 *
 * @example
 * ```sh
 * deno run --allow-net --allow-read --allow-write bench/respite_server.ts --port 7000 --save ""
 * ```
 *
 * @module
 */

import { startServer } from "../mod.ts";

/**
 * Directives that only matter when a persistence plugin declares them; if
 * the server does not know them, they are dropped rather than fatal.
 */
const OPTIONAL = new Set(["save", "appendonly"]);

/** Parses `--name value` pairs into config directives. */
export function parseArgs(args: readonly string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}`);
    const value = args[i + 1];
    if (value === undefined) throw new Error(`missing value for ${a}`);
    config[a.slice(2)] = value;
    i++;
  }
  return config;
}

async function main(): Promise<void> {
  const config = parseArgs(Deno.args);
  let server;
  try {
    server = await startServer({ config, logger: () => {}, ownsProcess: true });
  } catch (e) {
    // An unknown optional directive (no persistence plugin loaded): retry without them.
    if (!(e instanceof Error) || !/unknown option/i.test(e.message)) throw e;
    const rest = Object.fromEntries(Object.entries(config).filter(([k]) => !OPTIONAL.has(k)));
    server = await startServer({ config: rest, logger: () => {}, ownsProcess: true });
  }
  console.log(`respite listening on ${server.port}`);
  await server.finished;
}

if (import.meta.main) await main();
