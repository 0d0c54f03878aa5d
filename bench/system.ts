/**
 * What the benchmark reads from the machine: per-process CPU time and RSS
 * from /proc, and a description of the host for the report.
 *
 * @module
 */

/**
 * Reads a /proc file. Deno wants --allow-all for /proc, which the bench task
 * does not grant, so without it the file is read by `cat` (--allow-run).
 */
export function readProc(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable) && !(e instanceof Deno.errors.PermissionDenied)) {
      throw e;
    }
    const out = new Deno.Command("cat", { args: [path], stderr: "null" }).outputSync();
    if (!out.success) throw new Error(`cannot read ${path}`);
    return new TextDecoder().decode(out.stdout);
  }
}

/** Clock ticks per second for /proc/<pid>/stat (`getconf CLK_TCK`). */
export const CLK_TCK: number = (() => {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).outputSync();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, all threads) a process has used, in
 * microseconds, or undefined when /proc is not readable.
 */
export function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks / CLK_TCK) * 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size now and at its peak, in bytes, from /proc/<pid>/status. */
export function memory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readProc(`/proc/${pid}/status`);
    const kb = (field: string) => {
      const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
      return m ? Number(m[1]) * 1024 : NaN;
    };
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Runs a command and returns its trimmed stdout, or "unknown". */
export function commandOutput(cmd: string, args: readonly string[]): string {
  try {
    const out = new Deno.Command(cmd, { args: [...args], stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch {
    return "unknown";
  }
}

/** The host, as the report describes it. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  deno: string;
  redisServer: string;
  redisBenchmark: string;
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  try {
    const m = readProc("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1]!.trim();
  } catch { /* not Linux */ }
  let os = `${Deno.build.os} ${Deno.osRelease()}`;
  try {
    const m = Deno.readTextFileSync("/etc/os-release").match(/^PRETTY_NAME="?([^"\n]*)"?$/m);
    if (m) os = `${m[1]}, kernel ${Deno.osRelease()}`;
  } catch { /* no os-release */ }
  const total = Deno.systemMemoryInfo().total;
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memory: `${(total / 2 ** 30).toFixed(1)} GiB`,
    os,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    redisServer: commandOutput("redis-server", ["--version"]),
    redisBenchmark: commandOutput("redis-benchmark", ["--version"]),
  };
}
