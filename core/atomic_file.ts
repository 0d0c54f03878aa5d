/**
 * Files written atomically: a temporary file in the same directory,
 * fsynced, renamed over the target, then the directory fsynced. A crash at
 * any point leaves either the old file or the new one (RDB files, the
 * cluster's nodes.conf).
 *
 * @module
 */

import { dirname, join } from "./path.ts";

/**
 * Writes `data` to `path` atomically: a temporary file in the same
 * directory, fsync, rename over `path`, fsync of the directory. A crash at
 * any point leaves either the old file or the new one.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const f = await AtomicFile.open(path);
  try {
    for (let off = 0; off < data.length; off += 1 << 22) {
      await f.write(data.subarray(off, off + (1 << 22)));
    }
  } catch (e) {
    await f.abort();
    throw e;
  }
  await f.commit();
}

/**
 * A file written in chunks, atomically: the chunks go to a temporary file
 * in the same directory, which {@link AtomicFile.commit} fsyncs and renames
 * over the target (then fsyncs the directory). Until then, and after
 * {@link AtomicFile.abort} or a crash, the target is untouched.
 */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly tmp: string,
    readonly file: Deno.FsFile,
  ) {}

  static async open(path: string): Promise<AtomicFile> {
    const tmp = join(dirname(path), `temp-${Deno.pid}-${++tempSeq}.rdb`);
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    return new AtomicFile(path, tmp, f);
  }

  async write(chunk: Uint8Array): Promise<void> {
    for (let off = 0; off < chunk.length;) off += await this.file.write(chunk.subarray(off));
  }

  async commit(): Promise<void> {
    try {
      try {
        await this.file.sync();
      } finally {
        this.file.close();
      }
      await Deno.rename(this.tmp, this.path);
    } catch (e) {
      await Deno.remove(this.tmp).catch(() => {});
      throw e;
    }
    try {
      const d = await Deno.open(dirname(this.path), { read: true });
      try {
        await d.sync();
      } finally {
        d.close();
      }
    } catch { /* some platforms cannot fsync a directory */ }
  }

  async abort(): Promise<void> {
    try {
      this.file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.tmp).catch(() => {});
  }

  // The same, blocking (SAVE, SHUTDOWN).

  static openSync(path: string): AtomicFile {
    const tmp = join(dirname(path), `temp-${Deno.pid}-${++tempSeq}.rdb`);
    return new AtomicFile(
      path,
      tmp,
      Deno.openSync(tmp, { write: true, create: true, truncate: true }),
    );
  }

  writeSync(chunk: Uint8Array): void {
    for (let off = 0; off < chunk.length;) off += this.file.writeSync(chunk.subarray(off));
  }

  commitSync(): void {
    try {
      try {
        this.file.syncSync();
      } finally {
        this.file.close();
      }
      Deno.renameSync(this.tmp, this.path);
    } catch (e) {
      try {
        Deno.removeSync(this.tmp);
      } catch { /* gone */ }
      throw e;
    }
    try {
      const d = Deno.openSync(dirname(this.path), { read: true });
      try {
        d.syncSync();
      } finally {
        d.close();
      }
    } catch { /* some platforms cannot fsync a directory */ }
  }

  abortSync(): void {
    try {
      this.file.close();
    } catch { /* already closed */ }
    try {
      Deno.removeSync(this.tmp);
    } catch { /* gone */ }
  }
}

/**
 * Numbers temporary file names: process-wide on purpose, since two servers
 * of one process may save into the same directory at once.
 */
let tempSeq = 0;

/**
 * The same as {@link writeFileAtomic}, blocking (a save the reply waits for).
 *
 * @example
 * ```ts
 * import { writeFileAtomicSync } from "./atomic_file.ts";
 * const dir = Deno.makeTempDirSync();
 * writeFileAtomicSync(`${dir}/nodes.conf`, new TextEncoder().encode("vars currentEpoch 0\n"));
 * console.log(Deno.readTextFileSync(`${dir}/nodes.conf`)); // "vars currentEpoch 0\n"
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const f = AtomicFile.openSync(path);
  try {
    f.writeSync(data);
  } catch (e) {
    f.abortSync();
    throw e;
  }
  f.commitSync();
}
