/**
 * The import checker on small trees (tests/fixtures/imports/<case>), each
 * breaking one rule: it must report exactly those imports. Whether the
 * project's own tree keeps the rules is `deno task check`'s part.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { checkImports, importsOf, type Violation } from "../../tools/check_imports.ts";
import { assertEquals, assertMatch } from "../_assert.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/imports/", import.meta.url));
const TOOL = fileURLToPath(new URL("../../tools/check_imports.ts", import.meta.url));

/** The violations found in a fixture tree, in a stable order. */
function check(tree: string): Violation[] {
  return checkImports(FIXTURES + tree).sort((a, b) =>
    a.file === b.file ? (a.specifier < b.specifier ? -1 : 1) : a.file < b.file ? -1 : 1
  );
}

const runtimeRule = (unit: string) => `imports ${unit} at run time (use import type, or a service)`;
const modRule = "a built-in imports mod.ts (import definePlugin and types from core/)";

Deno.test("check imports: what the rules allow passes", () => {
  // A plugin's own private files, core at run time, another plugin's
  // public types (also re-exported), a type-only import back to mod.ts,
  // builtins.ts importing every plugin, an example importing mod.ts.
  assertEquals(check("clean"), []);
});

Deno.test("check imports: another plugin's private file, at run time or for types", () => {
  assertEquals(check("private"), [
    {
      file: "commands/b/mod.ts",
      specifier: "../a/_impl.ts",
      rule: "imports a private file of commands/a",
    },
    {
      file: "plugins/q/mod.ts",
      specifier: "../../commands/a/_impl.ts",
      rule: "imports a private file of commands/a",
    },
  ]);
});

Deno.test("check imports: another plugin at run time (import, re-export, dynamic import)", () => {
  // plugins/x/_types.ts imports the same plugin with `import type`: allowed.
  assertEquals(check("runtime"), [
    { file: "plugins/x/mod.ts", specifier: "../y/mod.ts", rule: runtimeRule("plugins/y") },
    { file: "plugins/z.ts", specifier: "../commands/w.ts", rule: runtimeRule("commands/w.ts") },
    { file: "plugins/z.ts", specifier: "./y/mod.ts", rule: runtimeRule("plugins/y") },
  ]);
});

Deno.test("check imports: core imports a family or a subsystem, even for types", () => {
  const rule = "core imports a family or a subsystem";
  assertEquals(check("core"), [
    { file: "core/server.ts", specifier: "../commands/a/mod.ts", rule },
    { file: "core/server.ts", specifier: "../plugins/p.ts", rule },
  ]);
});

Deno.test("check imports: a built-in imports mod.ts; an example may", () => {
  assertEquals(check("mod"), [
    { file: "commands/b/mod.ts", specifier: "../../mod.ts", rule: modRule },
    { file: "plugins/single.ts", specifier: "../mod.ts", rule: modRule },
  ]);
});

Deno.test("check imports: a runtime cycle is reported once; a type-only one is none", () => {
  assertEquals(check("cycle"), [{
    file: "commands/a/mod.ts",
    specifier: "./_x.ts",
    rule:
      "runtime import cycle: commands/a/_x.ts -> commands/a/_y.ts -> commands/a/mod.ts -> commands/a/_x.ts",
  }]);
});

Deno.test("check imports: the imports a source text has", () => {
  const source = [
    "/**",
    " * @example",
    " * ```ts",
    ' * import { inDocs } from "../docs_only.ts";',
    " * ```",
    " */",
    'import { a, b } from "./a.ts";',
    "import {",
    "  type C,",
    "  d,",
    '} from "./multi_line.ts";',
    'import type { E } from "../e.ts";',
    'export type { F } from "./f.ts";',
    'export * from "./g.ts";',
    'import "./side_effect.ts";',
    'import { npm } from "npm:fengari@0.1.5";',
    '// import { commented } from "./commented.ts";',
    'const url = "https://example.invalid/x.ts";',
    'const m = await import("./dynamic.ts");',
  ].join("\n");
  assertEquals(importsOf(source), [
    { specifier: "./a.ts", typeOnly: false },
    // One `type` inside the braces still loads the module.
    { specifier: "./multi_line.ts", typeOnly: false },
    { specifier: "../e.ts", typeOnly: true },
    { specifier: "./f.ts", typeOnly: true },
    { specifier: "./g.ts", typeOnly: false },
    { specifier: "./side_effect.ts", typeOnly: false },
    { specifier: "./dynamic.ts", typeOnly: false },
  ]);
});

Deno.test("check imports: the command prints each violation and exits 1, or exits 0", async () => {
  const run = async (tree: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", TOOL, FIXTURES + tree],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, text: new TextDecoder().decode(out.stderr) };
  };
  const bad = await run("mod");
  assertEquals(bad.code, 1);
  assertEquals(bad.text.trim().split("\n"), [
    `commands/b/mod.ts: "../../mod.ts": ${modRule}`,
    `plugins/single.ts: "../mod.ts": ${modRule}`,
    "2 import rule violations",
  ]);
  const good = await run("clean");
  assertEquals(good.code, 0);
  assertMatch(good.text, /^$/);
});
