/**
 * BullMQ's throughput against one server: adds `-n` jobs to a fresh queue
 * (`--window` `Queue.add` calls in flight at a time, each one EVALSHA of
 * BullMQ's addStandardJob script), then starts a Worker with
 * `--concurrency` and a processor that returns at once, and times until
 * every job has completed (moveToActive and moveToFinished scripts, the
 * worker's own round trips). Prints one JSON line: jobs added per second
 * and jobs processed per second. `--warmup N` first runs the same with N
 * jobs on another queue, unmeasured (it lets V8 compile both sides' paths).
 *
 * Uses the pinned `npm:bullmq` of deno.json with a plain `{host, port}`
 * connection (bullmq 6.7.0; 6.7.6 needs an ioredis instance under Deno).
 *
 * @example
 * ```sh
 * deno run --allow-net --allow-env --allow-read --allow-sys bench/bullmq_load.ts \
 *   -p 6379 -n 10000
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";

/** What one run measured. */
export interface BullmqResult {
  jobs: number;
  addedPerSec: number;
  processedPerSec: number;
  /** Errors reported by the queue or the worker (a run with any is void). */
  errors: number;
  firstError: string | undefined;
}

/** Options of one run. */
export interface BullmqOptions {
  host: string;
  port: number;
  jobs: number;
  /** `Queue.add` calls in flight while adding. */
  window: number;
  /** The worker's concurrency. */
  concurrency: number;
}

/** Adds and then processes the jobs; resolves with the rates. */
export async function runBullmq(o: BullmqOptions): Promise<BullmqResult> {
  const connection = { host: o.host, port: o.port, maxRetriesPerRequest: null };
  const prefix = `bench${crypto.randomUUID().slice(0, 8)}`;
  const name = "jobs";
  const errors: string[] = [];
  const onError = (who: string) => (e: Error) => errors.push(`${who}: ${e.message}`);
  const queue = new Queue(name, { connection, prefix });
  queue.on("error", onError("queue"));
  let worker: Worker | undefined;
  try {
    await queue.waitUntilReady();
    const data = { payload: "x".repeat(32) };
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: o.window }, async () => {
      while (next < o.jobs) {
        next++;
        await queue.add("job", data);
      }
    }));
    const added = performance.now() - t0;

    let completed = 0;
    let failed = 0;
    let finish: () => void = () => {};
    const allDone = new Promise<void>((r) => finish = r);
    worker = new Worker(name, () => Promise.resolve(1), {
      connection,
      prefix,
      concurrency: o.concurrency,
      autorun: false,
    });
    worker.on("error", onError("worker"));
    worker.on("completed", () => {
      if (++completed + failed >= o.jobs) finish();
    });
    worker.on("failed", (_job, e) => {
      errors.push(`job: ${e.message}`);
      if (completed + ++failed >= o.jobs) finish();
    });
    await worker.waitUntilReady();
    const t1 = performance.now();
    const running = worker.run();
    await allDone;
    const processed = performance.now() - t1;
    await worker.close();
    await running;
    return {
      jobs: o.jobs,
      addedPerSec: o.jobs / (added / 1000),
      processedPerSec: completed / (processed / 1000),
      errors: errors.length,
      firstError: errors[0],
    };
  } finally {
    await worker?.close().catch(() => {});
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close().catch(() => {});
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      h: { type: "string", default: "127.0.0.1" },
      p: { type: "string", default: "6379" },
      n: { type: "string", default: "10000" },
      window: { type: "string", default: "50" },
      concurrency: { type: "string", default: "50" },
      warmup: { type: "string", default: "0" },
    },
  });
  const o = {
    host: values.h,
    port: Number(values.p),
    jobs: Number(values.n),
    window: Number(values.window),
    concurrency: Number(values.concurrency),
  };
  const warmup = Number(values.warmup);
  if (warmup > 0) await runBullmq({ ...o, jobs: warmup });
  const r = await runBullmq(o);
  console.log(JSON.stringify(r));
  // ioredis may keep timers alive after close.
  Deno.exit(r.errors ? 1 : 0);
}

if (import.meta.main) await main();
