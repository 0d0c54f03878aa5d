/**
 * The appender: propagated commands collect in a buffer, which is written
 * to the current incremental file before any reply leaves (Redis writes it
 * in `beforeSleep`), and fsynced by the `appendfsync` policy:
 *
 * - `always`: a client's output waits until everything written before it
 *   is on disk. Clients whose writes arrive while an fsync runs share the
 *   next one (group commit), so the server keeps serving meanwhile.
 * - `everysec`: an fsync at most once a second, from the cron.
 * - `no`: the kernel decides.
 *
 * @module
 */

import type { Bytes, LatencyMonitor } from "../../core/types.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import { encodeCommand } from "./_format.ts";

/** The `appendfsync` policies. */
export type FsyncPolicy = "always" | "everysec" | "no";

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** An OS error's reason as `strerror` words it (no Deno suffix). */
function reasonOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\(os error \d+\).*$/s, "");
}

/** Writes all of `data` synchronously. */
export function writeAllSync(f: Deno.FsFile, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += f.writeSync(data.subarray(off));
}

/** Appends commands to the current AOF file. */
export class AofWriter {
  policy: FsyncPolicy = "everysec";
  /** Commands not written yet (a byte string). */
  #buf = "";
  #file: Deno.FsFile | undefined;
  /** The database the file's last SELECT chose (-1: none yet). */
  #selected = -1;
  /** Bytes written this process lifetime, and how many of them are synced. */
  #written = 0;
  #synced = 0;
  #syncing = false;
  #waiters: Waiter[] = [];
  /** When the last fsync finished (clock ms). */
  lastFsync = 0;
  /** Bytes in the current incremental file (Redis's `aof_last_incr_size`). */
  incrSize = 0;
  /** Total AOF size, base included (Redis's `aof_current_size`). */
  currentSize = 0;
  #lastWriteOk = true;
  /** Told when {@link AofWriter.lastWriteOk} changes (the MISCONF check re-arms). */
  onStatusChange: (() => void) | undefined;
  /** Why the last write or fsync failed (`strerror`'s words), while it is not ok. */
  lastWriteError = "";
  /** When a write error was last logged (clock ms). */
  #lastErrorLog = 0;
  /** The latency monitor, if loaded: it hears of slow writes and fsyncs. */
  latency: (() => LatencyMonitor | undefined) | undefined;

  constructor(
    readonly now: () => number,
    readonly log: (level: "notice" | "warning", msg: string) => void,
  ) {}

  /** `aof_last_write_status`: whether the last write and fsync succeeded. */
  get lastWriteOk(): boolean {
    return this.#lastWriteOk;
  }

  set lastWriteOk(ok: boolean) {
    if (ok === this.#lastWriteOk) return;
    this.#lastWriteOk = ok;
    this.onStatusChange?.();
  }

  /** True while a file is open for appending. */
  get open(): boolean {
    return this.#file !== undefined;
  }

  /** Bytes buffered and not written yet (`aof_buffer_length`). */
  get buffered(): number {
    return this.#buf.length;
  }

  /** Appends a propagated command, preceded by SELECT when the database changes. */
  append(dbIndex: number, argv: readonly Bytes[]): void {
    if (dbIndex !== this.#selected) {
      this.#buf += encodeCommand(["SELECT", String(dbIndex)]);
      this.#selected = dbIndex;
    }
    this.#buf += encodeCommand(argv);
  }

  /**
   * Starts appending to `file` (of `size` bytes already): the previous file
   * is written out, synced and closed. The next command gets a SELECT.
   */
  switchTo(file: Deno.FsFile | undefined, size: number): void {
    const old = this.#file;
    if (old) {
      this.writeOut();
      try {
        old.syncDataSync();
      } catch (e) {
        this.log("warning", `Fail to fsync the AOF file: ${(e as Error).message}`);
      }
      this.#synced = this.#written;
      this.#settle();
      // An fsync may still run on it: close once it is done.
      if (this.#syncing) queueMicrotask(() => this.#closeLater(old));
      else old.close();
    }
    this.#buf = "";
    this.#file = file;
    this.#selected = -1;
    this.incrSize = size;
  }

  #closeLater(f: Deno.FsFile): void {
    if (this.#syncing) setTimeout(() => this.#closeLater(f), 5);
    else f.close();
  }

  /**
   * Writes the buffer to the file (no fsync). On failure what did not reach
   * the file stays buffered, after any part that did, so the next attempt
   * (the cron's, the shutdown's) completes the file and nothing is lost;
   * the error is returned.
   */
  writeOut(alwaysLog = false): unknown {
    if (this.#buf === "" || this.#file === undefined) return undefined;
    const data = stringToBytes(this.#buf);
    let off = 0;
    const latency = this.latency?.();
    const t0 = latency !== undefined && latency.threshold !== 0 ? performance.now() : -1;
    try {
      while (off < data.length) off += this.#file.writeSync(data.subarray(off));
    } catch (e) {
      if (t0 >= 0) this.#writeLatency(latency!, performance.now() - t0);
      this.#buf = bytesToString(data, off, data.length);
      this.#wrote(off);
      const now = this.now();
      // Retried every cron tick: logged at most every 30 s, as Redis does.
      if (alwaysLog || this.lastWriteOk || now - this.#lastErrorLog >= 30_000) {
        this.#lastErrorLog = now;
        this.log("warning", `Error writing to the AOF file: ${reasonOf(e)}`);
      }
      this.lastWriteOk = false;
      this.lastWriteError = reasonOf(e);
      for (const w of this.#waiters.splice(0)) w.reject(e);
      return e;
    }
    if (t0 >= 0) this.#writeLatency(latency!, performance.now() - t0);
    this.#buf = "";
    this.#wrote(off);
    if (!this.lastWriteOk) {
      this.lastWriteOk = true;
      this.log("warning", "AOF write error looks solved, Redis can write again.");
    }
    return undefined;
  }

  /** Redis's AOF write events: by what else was going on, and all of them. */
  #writeLatency(latency: LatencyMonitor, ms: number): void {
    latency.sample(this.#syncing ? "aof-write-pending-fsync" : "aof-write-alone", ms);
    latency.sample("aof-write", ms);
  }

  #wrote(n: number): void {
    this.#written += n;
    this.incrSize += n;
    this.currentSize += n;
  }

  /**
   * Before replies leave: writes the buffer; under `always`, returns a
   * promise that settles once it is on disk.
   */
  beforeFlush(): Promise<void> | undefined {
    if (this.#buf !== "" && this.writeOut() !== undefined && this.policy === "always") {
      // Not on disk: the reply must not leave (its client is closed).
      return Promise.reject(new Error("AOF write error"));
    }
    if (this.policy !== "always" || this.#synced >= this.#written || !this.#file) {
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ target: this.#written, resolve, reject });
      if (!this.#syncing) this.#startSync();
    });
  }

  /** The cron: writes the buffer and, under `everysec`, fsyncs once a second. */
  cron(now: number): void {
    this.writeOut();
    if (
      this.policy === "everysec" && !this.#syncing && this.#synced < this.#written &&
      now - this.lastFsync >= 1000
    ) this.#startSync();
  }

  /**
   * Writes and fsyncs now, the file staying open. Returns the reason when
   * the buffer could not be written out or the fsync failed (both logged).
   */
  syncNow(): string | undefined {
    // Logged even within the rate limit: the caller (a shutdown) acts on it.
    const err = this.writeOut(true);
    if (err !== undefined) return reasonOf(err);
    if (!this.#file) return undefined;
    try {
      this.#file.syncDataSync();
    } catch (e) {
      this.log("warning", `Fail to fsync the AOF file: ${reasonOf(e)}.`);
      return reasonOf(e);
    }
    this.#synced = this.#written;
    this.lastFsync = this.now();
    this.#settle();
    return undefined;
  }

  /** Closes the file after a final write and fsync (failures are logged). */
  close(): void {
    this.syncNow();
    this.switchTo(undefined, 0);
  }

  #startSync(): void {
    const file = this.#file;
    if (!file) return;
    const target = this.#written;
    this.#syncing = true;
    // Under `always` clients wait for this fsync: Redis's aof-fsync-always.
    const latency = this.policy === "always" ? this.latency?.() : undefined;
    const t0 = latency !== undefined && latency.threshold !== 0 ? performance.now() : -1;
    file.syncData().then(
      () => {
        if (t0 >= 0) latency!.sample("aof-fsync-always", performance.now() - t0);
        this.#synced = Math.max(this.#synced, target);
        this.lastFsync = this.now();
        this.#syncing = false;
        this.#settle();
      },
      (e) => {
        this.#syncing = false;
        this.lastWriteOk = false;
        this.lastWriteError = reasonOf(e);
        this.log("warning", `Fail to fsync the AOF file: ${reasonOf(e)}`);
        for (const w of this.#waiters.splice(0)) w.reject(e);
      },
    ).finally(() => {
      // Writes that came during this fsync wait for the next one.
      if (this.#waiters.length !== 0 && !this.#syncing) this.#startSync();
    });
  }

  #settle(): void {
    if (this.#waiters.length === 0) return;
    const rest: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.target <= this.#synced) w.resolve();
      else rest.push(w);
    }
    this.#waiters = rest;
  }
}
