/**
 * Plugin value types: registration checks, volatile types, the module RDB
 * encoding (ids, opcodes, loads that misread their data, unknown types),
 * AOF rewrites that skip volatile keys, and `memoryUsage` in `maxmemory`
 * accounting.
 */

import {
  type DataObject,
  definePlugin,
  keys,
  type ModuleTypeRdb,
  type Plugin,
  type RdbSaveIO,
  type ServerHandle,
  type ValueType,
  ValueTypes,
} from "../../mod.ts";
import { Keyspace } from "../../core/keyspace.ts";
import { datasetAsCommands } from "../../plugins/aof/_rewrite.ts";
import { valueBytes } from "../../plugins/eviction/_size.ts";
import { moduleTypeId, moduleTypeName } from "../../plugins/rdb/_module.ts";
import counter, { Counter, counterType } from "../../plugins/examples/counter.ts";
import { startRespite } from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk, assertRejects, assertThrows } from "../_assert.ts";
import { call, info } from "../_replication.ts";
import { waitRewrite } from "../_aof.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A value holding one byte string, of any type name. */
class Box implements DataObject {
  constructor(readonly type: string, public v: string) {}
  encoding(): string {
    return "raw";
  }
  clone(): Box {
    return new Box(this.type, this.v);
  }
}

/** A plugin storing `Box`es of `type` with `<prefix>.SET key value`. */
function boxPlugin(name: string, t: ValueType<Box>): Plugin {
  return definePlugin({
    name,
    types: [t],
    commands: [{
      name: `${name}.set`,
      arity: 3,
      flags: ["write", "denyoom"],
      keySpecs: [keys.one(1, ["OW", "UPDATE"])],
      handler(c, argv) {
        c.db.set(argv[1]!, new Box(t.name, argv[2]!));
        c.changed(argv[1]!, `${name}.set`, "g");
        c.reply.ok();
      },
    }],
  });
}

const scratch = boxPlugin("scratch", { name: "scratch", volatile: true });

Deno.test("value types: module type ids are Redis's moduleTypeEncodeId", () => {
  // 9 characters of 6 bits, then 10 bits of encoding version.
  assertEquals(moduleTypeId("AAAAAAAAB", 1), 1025n);
  assertEquals(moduleTypeId("_________", 1023), (1n << 64n) - 1n);
  assertEquals(moduleTypeName(moduleTypeId("CounterEx", 7)), "CounterEx");
  assertEquals(moduleTypeId("CounterEx", 7) & 1023n, 7n);
});

Deno.test("value types: registration refuses a type with no persistence", async () => {
  const types = new ValueTypes();
  assertThrows(() => types.register({ name: "blob" }), /value type 'blob' declares no persistence/);
  // The Map door checks the same.
  assertThrows(() => types.set("blob", { name: "blob" }), /declares no persistence/);
  assertThrows(
    () => types.register({ name: "v", volatile: true, rdb: counterType.rdb! } as ValueType),
    /cannot be both volatile and persisted/,
  );
  const rdb = { encver: 0, save() {}, load: () => new Counter(1) };
  assertThrows(
    () => types.register({ name: "x", rdb: { ...rdb, name: "short" } }),
    /module type name 'short' must be 9 characters/,
  );
  assertThrows(
    () => types.register({ name: "x", rdb: { ...rdb, name: "has space" } }),
    /must be 9 characters/,
  );
  assertThrows(
    () => types.register({ name: "x", rdb: { ...rdb, name: "ninechars", encver: 1024 } }),
    /encoding version must be an integer from 0 to 1023/,
  );
  types.register({ name: "x", rdb: { ...rdb, name: "ninechars" } });
  assertThrows(
    () => types.register({ name: "y", rdb: { ...rdb, name: "ninechars" } }),
    /'ninechars' is already used by 'x'/,
  );
  assertThrows(() => types.register({ name: "x", volatile: true }), /already registered/);
  // Redis's own types are persisted natively: builders alone are enough.
  types.register({ name: "list", fromElements: () => new Counter(1) });

  // A server refuses to start with such a type, from `types` or `init`.
  await assertRejects(
    async () => await startRespite({ plugins: [{ name: "bad", types: [{ name: "blob" }] }] }),
    /plugin 'bad': value type 'blob' declares no persistence: give it rdb .* or mark it volatile/,
  );
  await assertRejects(
    async () =>
      await startRespite({
        plugins: [{ name: "bad2", init: () => ({ types: [{ name: "blob" }] }) }],
      }),
    /plugin 'bad2': value type 'blob' declares no persistence/,
  );
  await assertRejects(
    async () =>
      await startRespite({
        plugins: [{
          name: "bad3",
          init: (s) => void s.keyspace.types.set("blob", { name: "blob" }),
        }],
      }),
    /value type 'blob' declares no persistence/,
  );
});

Deno.test({
  name: "value types: a volatile type is left out of saves with one warning; DUMP refuses it",
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "respite-types-" });
    const logs: string[] = [];
    const start = () =>
      startRespite({
        plugins: [scratch, counter],
        config: { dir },
        logger: (l) => logs.push(l),
      });
    let s: ServerHandle | undefined = await start();
    try {
      assertEquals(await call(s.port, "SCRATCH.SET", "tmp", "a"), "OK");
      assertEquals(await call(s.port, "SCRATCH.SET", "tmp2", "b"), "OK");
      assertEquals(await call(s.port, "COUNTER.INCR", "kept", "2"), 2);
      assertEquals(await call(s.port, "TYPE", "tmp"), "scratch");
      assertEquals(await call(s.port, "SAVE"), "OK");
      const warnings = logs.filter((l) => l.includes("not persisted"));
      assertEquals(warnings.length, 1);
      assertMatch(warnings[0]!, / # 2 keys of the volatile type 'scratch' not persisted$/);
      assertEquals(await call(s.port, "DUMP", "tmp"), {
        error:
          "ERR values of the volatile type 'scratch' are not persisted and cannot be serialized",
      });
      assertEquals(await call(s.port, "BGSAVE"), "Background saving started");
      for (let i = 0; i < 100; i++) {
        if ((await info(s.port, "persistence")).get("rdb_bgsave_in_progress") === "0") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assertEquals((await info(s.port, "persistence")).get("rdb_last_bgsave_status"), "ok");
      assertEquals(logs.filter((l) => l.includes("not persisted")).length, 2);
      await s.close();
      s = await start();
      assertEquals(await call(s.port, "EXISTS", "tmp", "tmp2"), 0);
      assertEquals(await call(s.port, "COUNTER.GET", "kept"), 2);
    } finally {
      await s?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "value types: a value of an unregistered type fails SAVE and DUMP with a clear error",
  ...opts,
  async fn() {
    const ghost = definePlugin({
      name: "ghost",
      commands: [{
        name: "ghost.set",
        arity: 2,
        flags: ["write"],
        keySpecs: [keys.one(1, ["OW", "UPDATE"])],
        handler(c, argv) {
          c.db.set(argv[1]!, new Box("ghost", ""));
          c.reply.ok();
        },
      }],
    });
    const logs: string[] = [];
    const s = await startRespite({ plugins: [ghost], logger: (l) => logs.push(l) });
    try {
      await call(s.port, "GHOST.SET", "g");
      const why = "no value type 'ghost' is registered, so its values cannot be serialized " +
        "(a plugin declares the types it stores in `types`)";
      assertEquals(await call(s.port, "DUMP", "g"), { error: `ERR ${why}` });
      // As Redis's SAVE on failure: a bare ERR, the reason in the log.
      assertEquals(await call(s.port, "SAVE"), { error: "ERR" });
      assertOk(logs.some((l) => l.endsWith(`# Failed saving the DB: ${why}`)), logs.join("\n"));
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "value types: an AOF rewrite leaves volatile keys out, with one warning",
  ...opts,
  async fn() {
    const ks = new Keyspace({ databases: 1 });
    ks.types.register({ name: "scratch", volatile: true });
    ks.types.register(counterType);
    ks.db(0).set("tmp", new Box("scratch", "x"));
    ks.db(0).set("c", new Counter(4));
    ks.db(0).setExpire("tmp", Date.now() + 100000);
    const warnings: string[] = [];
    const out = datasetAsCommands(ks, undefined, [], (m) => warnings.push(m));
    assertEquals(
      out,
      "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$12\r\nCOUNTER.INCR\r\n$1\r\nc\r\n$1\r\n4\r\n",
    );
    assertEquals(warnings, ["1 key of the volatile type 'scratch' not persisted"]);

    // And through BGREWRITEAOF, then a restart from the AOF.
    const dir = Deno.makeTempDirSync({ prefix: "respite-types-" });
    const config = { dir, appendonly: "yes", "aof-use-rdb-preamble": "no" };
    const logs: string[] = [];
    let s: ServerHandle | undefined = await startRespite({
      plugins: [scratch],
      config,
      logger: (l) => logs.push(l),
    });
    try {
      await call(s.port, "SCRATCH.SET", "tmp", "a");
      await call(s.port, "SET", "str", "v");
      await call(s.port, "BGREWRITEAOF");
      await waitRewrite(s.port);
      assertEquals((await info(s.port, "persistence")).get("aof_last_bgrewrite_status"), "ok");
      assertOk(
        logs.some((l) => l.endsWith("# 1 key of the volatile type 'scratch' not persisted")),
      );
      await s.close();
      s = await startRespite({ plugins: [scratch], config });
      assertEquals(await call(s.port, "EXISTS", "tmp"), 0);
      assertEquals(await call(s.port, "GET", "str"), "v");
    } finally {
      await s?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A type saving every field kind; its `load` may misread on purpose. */
function fieldsType(rdb: ModuleTypeRdb<Box>): ValueType<Box> {
  return { name: "fields", rdb };
}

const fieldsRdb = {
  name: "FieldsT-1",
  encver: 5,
  save(b: Box, io: RdbSaveIO) {
    io.saveSigned(-1);
    io.saveUnsigned(2n ** 64n - 2n);
    io.saveFloat(1.5);
    io.saveDouble(-0.25);
    io.saveString(b.v);
  },
};

Deno.test({
  name: "value types: every field kind round-trips, in Redis's module opcodes",
  ...opts,
  async fn() {
    let seenEncver = -1;
    const read: unknown[] = [];
    const fields = boxPlugin(
      "fields",
      fieldsType({
        ...fieldsRdb,
        load(io, encver) {
          seenEncver = encver;
          read.push(io.loadSigned(), io.loadUnsignedBig(), io.loadFloat(), io.loadDouble());
          return new Box("fields", io.loadString());
        },
      }),
    );
    const s = await startRespite({ plugins: [fields] });
    try {
      await call(s.port, "FIELDS.SET", "k", "\x00\xffbytes");
      const payload = String(await call(s.port, "DUMP", "k"));
      const body = payload.slice(0, -10);
      const id = moduleTypeId("FieldsT-1", 5);
      let idBytes = "";
      for (let i = 56n; i >= 0n; i -= 8n) idBytes += String.fromCharCode(Number((id >> i) & 255n));
      assertEquals(
        body,
        "\x07" + "\x81" + idBytes +
          // saveSigned(-1): the unsigned opcode (2), then 2^64-1 as a 64-bit length.
          "\x02\x81\xff\xff\xff\xff\xff\xff\xff\xff" +
          "\x02\x81\xff\xff\xff\xff\xff\xff\xff\xfe" +
          // saveFloat(1.5): opcode 3, 4 bytes little-endian.
          "\x03\x00\x00\xc0\x3f" +
          // saveDouble(-0.25): opcode 4, 8 bytes little-endian.
          "\x04\x00\x00\x00\x00\x00\x00\xd0\xbf" +
          // saveString: opcode 5, an RDB string; then EOF (0).
          "\x05\x07\x00\xffbytes" + "\x00",
      );
      assertEquals(await call(s.port, "RESTORE", "k2", "0", payload), "OK");
      assertEquals(seenEncver, 5);
      assertEquals(read, [-1, 2n ** 64n - 2n, 1.5, -0.25]);
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "value types: a load that misreads its data, or an unknown type, fails cleanly",
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "respite-types-" });
    const saving = boxPlugin("fields", fieldsType({ ...fieldsRdb, load: () => new Box("x", "") }));
    let s: ServerHandle | undefined = await startRespite({ plugins: [saving, counter] });
    const config = { dir };
    try {
      await call(s.port, "FIELDS.SET", "k", "v");
      const payload = String(await call(s.port, "DUMP", "k"));
      await s.close();
      s = await startRespite({ plugins: [saving], config });
      await call(s.port, "FIELDS.SET", "k", "v");
      assertEquals(await call(s.port, "SAVE"), "OK");
      await s.close();
      s = undefined;

      const cases: [string, ModuleTypeRdb<Box>, RegExp][] = [
        [
          "reads a string first",
          { ...fieldsRdb, load: (io) => new Box("fields", io.loadString()) },
          /Module type 'FieldsT-1' value: the load method reads a string where the data holds an unsigned integer at offset \d+/,
        ],
        [
          "reads one field too many",
          {
            ...fieldsRdb,
            load(io) {
              io.loadSigned();
              io.loadUnsignedBig();
              io.loadFloat();
              io.loadDouble();
              io.loadString();
              io.loadString();
              return new Box("fields", "");
            },
          },
          /the load method reads a string where the data holds the end of the value/,
        ],
        [
          "stops early",
          { ...fieldsRdb, load: (io) => new Box("fields", String(io.loadSigned())) },
          /module type 'FieldsT-1' that is not terminated by the proper module value EOF marker/,
        ],
        [
          "reads a number too large",
          {
            ...fieldsRdb,
            load: (io) => (io.loadSigned(), new Box("fields", String(io.loadUnsigned()))),
          },
          /18446744073709551614 does not fit a number/,
        ],
        [
          "refuses the value",
          { ...fieldsRdb, load: (io) => io.fail("no thanks") },
          /Module type 'FieldsT-1' value: no thanks/,
        ],
        [
          "throws",
          {
            ...fieldsRdb,
            load: () => {
              throw new Error("oops");
            },
          },
          /the load method failed: oops/,
        ],
      ];
      for (const [what, rdb, re] of cases) {
        const p = boxPlugin("fields", fieldsType(rdb));
        await assertRejects(
          async () => await startRespite({ plugins: [p], config }),
          new RegExp(`Fatal error loading the DB .*${re.source}`),
        ).catch((e) => {
          throw new Error(`${what}: ${e}`);
        });
        // RESTORE answers Redis's error for data that does not load.
        s = await startRespite({ plugins: [p] });
        assertEquals(await call(s.port, "RESTORE", "k", "0", payload), {
          error: "ERR Bad data format",
        });
        await s.close();
        s = undefined;
      }
      // No type for the module id: the load names the 9-character type.
      await assertRejects(
        async () => await startRespite({ plugins: [counter], config }),
        /The RDB file contains module data I can't load: no matching module type 'FieldsT-1' at offset \d+/,
      );
    } finally {
      await s?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "value types: memoryUsage sizes values for maxmemory",
  ...opts,
  async fn() {
    const types = new ValueTypes();
    types.register(counterType);
    assertEquals(valueBytes(new Counter(5), types), 32);
    assertOk(valueBytes(new Counter(5)) !== 32, "without the types: the generic estimate");

    const MB = 1 << 20;
    const heavy = boxPlugin("heavy", {
      name: "heavy",
      volatile: true,
      memoryUsage: (b) => Number(b.v) * MB,
    });
    const s = await startRespite({
      plugins: [heavy],
      config: { maxmemory: "100mb", "maxmemory-policy": "noeviction" },
    });
    try {
      const dataset = async () => Number((await info(s.port, "memory")).get("used_memory_dataset"));
      const before = await dataset();
      await call(s.port, "HEAVY.SET", "a", "10");
      const after = await dataset();
      assertOk(after - before >= 10 * MB && after - before < 10 * MB + 1024, `${before} ${after}`);
      // Past maxmemory, writes are refused.
      await call(s.port, "HEAVY.SET", "b", "95");
      assertMatch(
        JSON.stringify(await call(s.port, "HEAVY.SET", "c", "1")),
        /OOM command not allowed/,
      );
    } finally {
      await s.close();
    }
  },
});
