/**
 * End-to-end BullMQ scenario. The same scenario runs against a real
 * redis-server (the oracle) and against Respite in-process, so a failure on
 * Respite alone points at a Redis behaviour BullMQ relies on (mostly Lua
 * scripting: every BullMQ state change is an EVALSHA).
 *
 * @module
 */

import { FlowProducer, type Job, Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { hasRedis, sleep, startRealRedis, startRespite } from "./_helpers.ts";
import { assertEquals, assertOk } from "./_assert.ts";

/** How long any single wait in the scenario may take before it fails. */
const WAIT_MS = 4000;

/** Polls `pred` until it holds; fails with `what` after {@link WAIT_MS}. */
async function until(what: string, pred: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits for `p`, but no longer than {@link WAIT_MS}. */
async function bounded(p: Promise<unknown> | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise((r) => timer = setTimeout(r, WAIT_MS))]);
  clearTimeout(timer);
}

/** A job's data: what the processor should do. */
interface Payload {
  n?: number;
  tag?: string;
}

/** The processor: dispatches on the job name. */
async function processor(job: Job<Payload>, started: string[]): Promise<unknown> {
  started.push(job.data.tag ? `${job.name}:${job.data.tag}` : job.name);
  switch (job.name) {
    case "square":
      return job.data.n! * job.data.n!;
    case "flaky":
      // Fails on the first attempt only: attemptsMade counts finished attempts.
      if (job.attemptsMade === 0) throw new Error("flaky first try");
      return "recovered";
    case "boom":
      throw new Error("boom");
    case "report": {
      await job.updateProgress(50);
      await job.log("halfway");
      await job.updateProgress({ step: "done", pct: 100 });
      await job.log("finished");
      return { ok: true };
    }
    case "prio":
      // Staggered finish times make getCompleted's order (by finishedOn) exact.
      await sleep({ a: 5, b: 20, c: 35 }[job.data.tag as "a" | "b" | "c"]);
      return job.data.tag;
    case "sum": {
      const values = await job.getChildrenValues<number>();
      return Object.values(values).reduce((a, b) => a + b, 0);
    }
    default:
      return job.name;
  }
}

/** Runs the whole scenario against a server listening on `port`. */
async function scenario(port: number): Promise<void> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const prefix = `bqt${crypto.randomUUID().slice(0, 8)}`;
  const name = "jobs";
  const opts = { connection, prefix };
  const queue = new Queue<Payload>(name, opts);
  const events = new QueueEvents(name, { ...opts, lastEventId: "0-0" });
  const flows = new FlowProducer(opts);
  const started: string[] = [];
  const done = new Map<string, "completed" | "failed">();
  const worker = new Worker<Payload>(name, (job) => processor(job, started), {
    ...opts,
    concurrency: 4,
    autorun: false,
  });
  const workerFailures: string[] = [];
  worker.on("completed", (job) => done.set(job.id!, "completed"));
  worker.on("failed", (job, err) => {
    workerFailures.push(`${job!.name}:${err.message}`);
    // A failure that will be retried is not final.
    if (job!.attemptsMade >= (job!.opts.attempts ?? 1)) done.set(job!.id!, "failed");
  });
  const seenCompleted = new Map<string, unknown>();
  const seenFailed = new Map<string, string>();
  const seenProgress: unknown[] = [];
  const seenActive: string[] = [];
  events.on("active", ({ jobId }) => seenActive.push(jobId));
  events.on("completed", ({ jobId, returnvalue }) => seenCompleted.set(jobId, returnvalue));
  events.on("failed", ({ jobId, failedReason }) => seenFailed.set(jobId, failedReason));
  events.on("progress", ({ data }) => seenProgress.push(data));
  const seenPauses: string[] = [];
  events.on("paused", () => seenPauses.push("paused"));
  events.on("resumed", () => seenPauses.push("resumed"));
  // Connection and script errors surface as "error" events, not rejections.
  const errors: string[] = [];
  const onError = (who: string) => (e: Error) => errors.push(`${who}: ${e.message}`);
  queue.on("error", onError("queue"));
  worker.on("error", onError("worker"));
  events.on("error", onError("events"));
  flows.on("error", onError("flows"));
  const inspect = new Redis({ host: "127.0.0.1", port, lazyConnect: true });
  let running: Promise<void> | undefined;
  try {
    await Promise.all([
      queue.waitUntilReady(),
      events.waitUntilReady(),
      flows.waitUntilReady(),
      worker.waitUntilReady(),
    ]);
    await inspect.connect();

    // Paused: everything added now waits, so the counts below are exact.
    await queue.pause();
    assertEquals(await queue.isPaused(), true);
    running = worker.run();

    const sq = await queue.add("square", { n: 3 });
    assertEquals(sq.id, "1");
    const bulk = await queue.addBulk([
      { name: "square", data: { n: 1 } },
      { name: "square", data: { n: 2 } },
      { name: "square", data: { n: 4 } },
    ]);
    assertEquals(bulk.map((j) => j.id), ["2", "3", "4"]);
    const flaky = await queue.add("flaky", {}, { attempts: 2 });
    const boom = await queue.add("boom", {}, { attempts: 1 });
    const report = await queue.add("report", {});
    const gone = await queue.add("square", { n: 7 }, { removeOnComplete: true });
    const prio = [
      await queue.add("prio", { tag: "c" }, { priority: 3 }),
      await queue.add("prio", { tag: "a" }, { priority: 1 }),
      await queue.add("prio", { tag: "b" }, { priority: 2 }),
    ];
    const delayed = await queue.add("square", { n: 10 }, { delay: 300 });
    assertEquals(await delayed.getState(), "delayed");
    assertEquals(await prio[0]!.getState(), "prioritized");
    assertEquals((await queue.getPrioritized()).map((j) => j.data.tag), ["a", "b", "c"]);
    assertEquals(
      await queue.getJobCounts("waiting", "prioritized", "delayed", "active"),
      { waiting: 8, prioritized: 3, delayed: 1, active: 0 },
    );
    await sleep(50);
    assertEquals(started, [], "a paused queue runs nothing");

    await queue.resume();
    assertEquals(await queue.isPaused(), false);
    const all = [sq, ...bulk, flaky, boom, report, gone, ...prio, delayed];
    await until("all jobs to finish", () => all.every((j) => done.has(j.id!)));

    // Prioritized jobs are moved to active lowest priority first. The events
    // stream records the server's order; the worker's start order can differ
    // slightly with concurrency > 1, as fetches race.
    await until("active events", () => prio.every((j) => seenActive.includes(j.id!)));
    assertEquals(seenActive.filter((id) => prio.some((j) => j.id === id)), [
      prio[1]!.id,
      prio[2]!.id,
      prio[0]!.id,
    ]);
    assertEquals(started.filter((n) => n.startsWith("prio")).sort(), [
      "prio:a",
      "prio:b",
      "prio:c",
    ]);

    // Return values and attempts, read back from the server.
    const fetch = async (j: Job) => (await queue.getJob(j.id!))!;
    assertEquals((await fetch(sq)).returnvalue, 9);
    assertEquals(
      await Promise.all(bulk.map(async (j) => (await fetch(j)).returnvalue)),
      [1, 4, 16],
    );
    const flakyDone = await fetch(flaky);
    assertEquals(flakyDone.returnvalue, "recovered");
    assertEquals(flakyDone.attemptsMade, 2);
    assertEquals(await flakyDone.getState(), "completed");
    const boomDone = await fetch(boom);
    assertEquals(boomDone.failedReason, "boom");
    assertEquals(boomDone.attemptsMade, 1);
    assertEquals(boomDone.returnvalue, null);
    assertEquals(boomDone.stacktrace?.length, 1);
    assertOk(boomDone.stacktrace![0]!.startsWith("Error: boom"));
    assertEquals(await boomDone.getState(), "failed");
    assertEquals(workerFailures.sort(), ["boom:boom", "flaky:flaky first try"]);

    // Progress and logs.
    const reportDone = await fetch(report);
    assertEquals(reportDone.progress, { step: "done", pct: 100 });
    assertEquals(reportDone.returnvalue, { ok: true });
    assertEquals(await queue.getJobLogs(report.id!), { logs: ["halfway", "finished"], count: 2 });
    assertEquals(await queue.getJobLogs(report.id!, 0, 0, false), {
      logs: ["finished"],
      count: 2,
    });

    // removeOnComplete: the job hash is gone and it is not in the completed set.
    assertEquals(await queue.getJob(gone.id!), undefined);

    // The delayed job ran no earlier than its delay.
    const delayedDone = await fetch(delayed);
    assertEquals(delayedDone.returnvalue, 100);
    assertOk(delayedDone.processedOn! - delayedDone.timestamp >= 300);

    assertEquals(
      await queue.getJobCounts("completed", "failed", "waiting", "active", "delayed"),
      { completed: 10, failed: 1, waiting: 0, active: 0, delayed: 0 },
    );
    assertEquals((await queue.getFailed()).map((j) => j.id), [boom.id]);
    // getCompleted is newest first (by finishedOn); the staggered prio jobs
    // finish in priority order.
    const completed = (await queue.getCompleted()).map((j) => j.id!);
    assertEquals(completed.length, 10);
    assertEquals(completed.filter((id) => prio.some((p) => p.id === id)), [
      prio[0]!.id,
      prio[2]!.id,
      prio[1]!.id,
    ]);
    assertEquals(
      [...completed].sort(),
      [sq, ...bulk, flaky, report, ...prio, delayed].map((j) => j.id!).sort(),
    );

    // QueueEvents saw the same outcome through the events stream.
    await until("queue events", () => seenCompleted.size === 11 && seenFailed.size === 1);
    assertEquals(seenCompleted.get(sq.id!), 9);
    assertEquals(seenCompleted.get(gone.id!), 49);
    assertEquals(seenCompleted.get(flaky.id!), "recovered");
    assertEquals([...seenFailed], [[boom.id, "boom"]]);
    assertEquals(seenProgress, [50, { step: "done", pct: 100 }]);

    // A flow: the parent runs once both children completed.
    await queue.pause();
    const flow = await flows.add({
      name: "sum",
      queueName: name,
      data: {},
      children: [
        { name: "square", queueName: name, data: { n: 5 } },
        { name: "square", queueName: name, data: { n: 6 } },
      ],
    });
    const parentId = flow.job.id!;
    assertEquals(await flow.job.getState(), "waiting-children");
    assertEquals(
      await flow.job.getDependenciesCount(),
      { processed: 0, unprocessed: 2, ignored: 0, failed: 0 },
    );
    await queue.resume();
    await until("the flow parent", () => done.get(parentId) === "completed");
    const parent = (await queue.getJob(parentId))!;
    assertEquals(parent.returnvalue, 61);
    const childKeys = flow.children!.map((c) => `${prefix}:${name}:${c.job.id}`).sort();
    const values = await parent.getChildrenValues<number>();
    assertEquals(Object.keys(values).sort(), childKeys);
    assertEquals(Object.values(values).sort(), [25, 36]);
    assertEquals(started.indexOf("sum"), started.length - 1, "the parent runs last");
    await until("pause events", () => seenPauses.length === 4);
    assertEquals(seenPauses, ["paused", "resumed", "paused", "resumed"]);

    // obliterate removes every key of the queue. The worker and the events
    // reader go first so they cannot recreate keys.
    await worker.close();
    await running;
    await events.close();
    await queue.obliterate({ force: true });
    assertEquals(await inspect.keys(`${prefix}:*`), []);
    assertEquals(errors, []);
  } finally {
    // Bounded, so a server that broke mid-scenario cannot hang the test.
    await bounded(Promise.all([worker.close(), events.close(), flows.close(), queue.close()]));
    await bounded(running?.catch(() => {}));
    inspect.disconnect();
  }
}

Deno.test({
  name: "bullmq: scenario against real redis-server",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRealRedis();
    try {
      await scenario(redis.port);
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name: "bullmq: scenario against Respite",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startRespite();
    try {
      await scenario(server.port);
    } finally {
      await server.close();
    }
  },
});
