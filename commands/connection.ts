/** Placeholder. @module */
import { definePlugin } from "../mod.ts";
export default definePlugin({
  name: "connection",
  commands: [{
    name: "ping",
    arity: -1,
    flags: ["fast"],
    handler(c, argv) {
      if (argv.length === 1) c.reply.simple("PONG");
      else c.reply.bulk(argv[1]!);
    },
  }, {
    name: "set",
    arity: -3,
    flags: ["write"],
    handler(c, argv) {
      c.db.set(argv[1]!, argv[2]!);
      c.changed(argv[1]!, "set", "$");
      c.reply.ok();
    },
  }, {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    handler(c, argv) {
      const v = c.db.getString(argv[1]!);
      if (v === undefined) c.reply.nullBulk();
      else c.reply.bulk(v);
    },
  }],
});
