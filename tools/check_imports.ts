/**
 * The import rules of the source tree, checked by `deno task check`:
 *
 * - `core/` imports nothing from `commands/` or `plugins/`: the core knows
 *   neither families nor subsystems.
 * - A plugin is a folder with a `mod.ts` (its private files start with
 *   `_`) or a single file. A plugin imports no other plugin's private file,
 *   and another plugin's `mod.ts` only with `import type` (its public types;
 *   what it offers at run time goes through services). The list of
 *   built-ins, `plugins/builtins.ts`, imports every plugin.
 * - Built-ins import `definePlugin` and types from `core/`, never `mod.ts`
 *   (which loads them); `plugins/examples/` shows the public API and may.
 * - No cycle among runtime imports.
 *
 * Usage: `deno run --allow-read tools/check_imports.ts [root]` (default:
 * the repository). Prints each violation and exits 1 when there is one.
 *
 * @module
 */

import { dirname, join, normalize } from "node:path";

/** A broken rule: the importing file, the import and why. */
export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** One import of a file, resolved to a path relative to the root. */
interface Edge {
  specifier: string;
  target: string;
  typeOnly: boolean;
}

const IMPORT = new RegExp(
  String
    .raw`(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?["']([^"']+)["']` +
    String.raw`|\bimport\(\s*["']([^"']+)["']\s*\)`,
  "g",
);

/** The relative imports of a source text (comments and strings left out). */
export function importsOf(source: string): { specifier: string; typeOnly: boolean }[] {
  const code = stripComments(source);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4]!;
    if (!spec.startsWith(".")) continue;
    out.push({ specifier: spec, typeOnly: m[2] !== undefined });
  }
  return out;
}

/** Removes comments, keeping line structure (so doc examples do not count). */
function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`])\/\/[^\n]*/g, "$1");
}

/** The plugin a path belongs to (`commands/zsets`, `plugins/notifications.ts`), or undefined. */
export function unitOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] !== "commands" && parts[0] !== "plugins") return undefined;
  if (parts.length === 2) return path;
  if (parts[1] === "examples") return parts.slice(0, 3).join("/");
  return parts.slice(0, 2).join("/");
}

function isPrivate(path: string): boolean {
  const base = path.split("/").pop()!;
  return base.startsWith("_");
}

/** Every `.ts` file under `dir`, relative to `root`. */
function* walk(root: string, dir: string): Generator<string> {
  for (const e of Deno.readDirSync(join(root, dir))) {
    const p = dir === "" ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      yield* walk(root, p);
    } else if (e.name.endsWith(".ts")) {
      yield p;
    }
  }
}

/**
 * Checks the tree at `root` (its `core/`, `commands/`, `plugins/` and
 * `mod.ts`) and returns every violation.
 *
 * @example
 * ```ts
 * import { fileURLToPath } from "node:url";
 * import { checkImports } from "./check_imports.ts";
 * // A tree where a built-in imports mod.ts:
 * const root = fileURLToPath(new URL("../tests/fixtures/imports/mod/", import.meta.url));
 * for (const v of checkImports(root)) console.log(`${v.file}: ${v.rule}`);
 * ```
 */
export function checkImports(root: string): Violation[] {
  const files = ["core", "commands", "plugins"]
    .filter((d) => {
      try {
        return Deno.statSync(join(root, d)).isDirectory;
      } catch {
        return false;
      }
    })
    .flatMap((d) => [...walk(root, d)]);
  // The public entry point takes part in cycles (mod.ts -> built-ins -> mod.ts).
  try {
    if (Deno.statSync(join(root, "mod.ts")).isFile) files.push("mod.ts");
  } catch { /* a tree without one */ }
  const graph = new Map<string, Edge[]>();
  for (const file of files) {
    const edges: Edge[] = [];
    for (const i of importsOf(Deno.readTextFileSync(join(root, file)))) {
      const target = normalize(join(dirname(file), i.specifier));
      edges.push({ specifier: i.specifier, target, typeOnly: i.typeOnly });
    }
    graph.set(file, edges);
  }
  const out: Violation[] = [];
  for (const [file, edges] of graph) {
    const from = unitOf(file);
    const example = from?.startsWith("plugins/examples") ?? false;
    for (const e of edges) {
      const v = (rule: string) => out.push({ file, specifier: e.specifier, rule });
      if (file.startsWith("core/")) {
        if (e.target.startsWith("commands/") || e.target.startsWith("plugins/")) {
          v("core imports a family or a subsystem");
        }
        continue;
      }
      if (from === undefined) continue;
      if (e.target === "mod.ts" && !example) {
        v("a built-in imports mod.ts (import definePlugin and types from core/)");
        continue;
      }
      const to = unitOf(e.target);
      if (to === undefined || to === from || file === "plugins/builtins.ts") continue;
      if (isPrivate(e.target)) {
        v(`imports a private file of ${to}`);
      } else if (!e.typeOnly) {
        v(`imports ${to} at run time (use import type, or a service)`);
      }
    }
  }
  out.push(...cycles(graph));
  return out;
}

/** Runtime import cycles, one violation per cycle found. */
function cycles(graph: Map<string, Edge[]>): Violation[] {
  const out: Violation[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const e of graph.get(f) ?? []) {
      if (e.typeOnly || !graph.has(e.target)) continue;
      const s = state.get(e.target);
      if (s === 1) {
        const cycle = stack.slice(stack.indexOf(e.target)).concat(e.target);
        out.push({
          file: f,
          specifier: e.specifier,
          rule: `runtime import cycle: ${cycle.join(" -> ")}`,
        });
      } else if (s === undefined) {
        visit(e.target);
      }
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return out;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname;
  const found = checkImports(root);
  for (const v of found) console.error(`${v.file}: "${v.specifier}": ${v.rule}`);
  if (found.length !== 0) {
    console.error(`${found.length} import rule violation${found.length === 1 ? "" : "s"}`);
    Deno.exit(1);
  }
}
