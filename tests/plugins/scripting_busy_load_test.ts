/**
 * Fifty clients write while one runs an endless script: they get BUSY
 * while it runs, SCRIPT KILL ends it within a second, every client then
 * works again, and no acknowledged write is lost (each client's counter
 * holds exactly the increments it was answered). Against Respite, and
 * against redis-server 7.0 for the same outcome.
 */

import { assertEquals, assertOk } from "../_assert.ts";
import {
  hasRedis,
  type Proc,
  RawClient,
  type Reply,
  sleep,
  startRealRedis,
  startRespiteProc,
} from "../_helpers.ts";

const CLIENTS = 50;

/** A writer: INCR of its own key, again and again, counting the answers. */
class Writer {
  acked = 0;
  busy = 0;
  /** Increments answered after the kill. */
  ackedAfterKill = 0;
  other: Reply[] = [];
  #stop = false;
  #done: Promise<void>;

  constructor(readonly c: RawClient, readonly key: string, readonly killed: () => boolean) {
    this.#done = this.#loop();
  }

  async #loop(): Promise<void> {
    while (!this.#stop) {
      const r = await this.c.call("INCR", this.key);
      if (typeof r === "number") {
        this.acked++;
        if (this.killed()) this.ackedAfterKill++;
      } else if (
        typeof r === "object" && r !== null && "error" in r && r.error.startsWith("BUSY")
      ) {
        this.busy++;
      } else {
        this.other.push(r);
      }
    }
  }

  stop(): Promise<void> {
    this.#stop = true;
    return this.#done;
  }
}

/** Waits for `cond`, polling, at most `ms`; returns whether it held. */
async function within(ms: number, cond: () => boolean): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function scenario(proc: Proc): Promise<Record<string, unknown>> {
  const control = await RawClient.connect(proc.port);
  const scripter = await RawClient.connect(proc.port);
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () => RawClient.connect(proc.port)),
  );
  let killed = false;
  const writers = clients.map((c, i) => new Writer(c, `counter:${i}`, () => killed));
  try {
    await control.call("CONFIG", "SET", "busy-reply-threshold", "100");
    const warm = await within(5000, () => writers.every((w) => w.acked > 0));
    await scripter.write(new TextEncoder().encode(
      "*3\r\n$4\r\nEVAL\r\n$39\r\nlocal i = 0 while true do i = i + 1 end\r\n$1\r\n0\r\n",
    ));
    const allBusy = await within(10000, () => writers.every((w) => w.busy > 0));
    // A second of all of them knocking at a busy server.
    await sleep(1000);
    const t0 = performance.now();
    const kill = await control.call("SCRIPT", "KILL");
    killed = true;
    const reply = (await scripter.read(5000)).value;
    const killMs = performance.now() - t0;
    const recovered = await within(10000, () => writers.every((w) => w.ackedAfterKill > 0));
    await Promise.all(writers.map((w) => w.stop()));
    const counts = await control.call("MGET", ...writers.map((w) => w.key));
    const lost = writers.filter((w, i) => Number((counts as Reply[])[i]) !== w.acked);
    return {
      warm,
      allBusy,
      kill,
      reply: typeof reply === "object" && reply !== null && "error" in reply
        ? reply.error.split(" script:")[0]
        : reply,
      killedWithinASecond: killMs < 1000,
      recovered,
      lost: lost.map((w) => w.key),
      unexpected: writers.flatMap((w) => w.other),
    };
  } finally {
    for (const c of [control, scripter, ...clients]) c.close();
  }
}

Deno.test({
  name: "load: 50 writers around an endless script, SCRIPT KILL, nothing lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const outcomes: Record<string, unknown>[] = [];
    for (const kind of hasRedis ? ["respite", "redis"] as const : ["respite"] as const) {
      const proc = kind === "respite" ? await startRespiteProc() : await startRealRedis();
      try {
        outcomes.push(await scenario(proc));
      } finally {
        await proc.stop();
      }
    }
    assertEquals(outcomes[0], {
      warm: true,
      allBusy: true,
      kill: "OK",
      reply: "ERR Script killed by user with SCRIPT KILL...",
      killedWithinASecond: true,
      recovered: true,
      lost: [],
      unexpected: [],
    });
    if (outcomes.length === 2) assertEquals(outcomes[0], outcomes[1]);
    assertOk(outcomes.length === (hasRedis ? 2 : 1));
  },
});
