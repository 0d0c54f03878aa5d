/**
 * An idle server's memory: starts `main.ts` as `deno task start` does (no
 * clients, `--save ""`, an empty temporary `--dir`), reads its VmRSS four
 * seconds after the port opens and again two seconds after one PING, and
 * splits the first figure by mapping (`/proc/<pid>/smaps`): the `deno`
 * binary's code and read-only data (its pages that ran or were read), the
 * anonymous mappings (V8's heap pages, thread stacks) and the C heap
 * (`[heap]`: Deno's and V8's malloc). `--floor` runs `bench/io_floor.ts`
 * instead, a Deno process that only listens: what any Deno server costs.
 * Medians of `--runs` runs (the file-backed part moves by 1-2 MB between
 * runs on a busy machine).
 *
 * ```sh
 * deno run -A bench/idle_rss.ts --runs 5
 * deno run -A bench/idle_rss.ts --runs 5 --floor
 * deno run -A bench/idle_rss.ts --v8-flags=--max-semi-space-size=8,--jitless
 * deno run -A bench/idle_rss.ts --code-cache
 * ```
 *
 * @module
 */

const args = Deno.args;
const opt = (name: string, dflt: string) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  if (a !== undefined) return a.slice(name.length + 3);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const runs = Number(opt("runs", "5"));
const v8Flags = opt("v8-flags", "--max-semi-space-size=8");
// `deno task start` runs without V8's code cache (its file, mapped, is
// 2.5 MiB of RSS): `--code-cache` measures it with.
const codeCache = args.includes("--code-cache");
const floor = args.includes("--floor");
const root = new URL("..", import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of a process, in KiB. */
function vmRss(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+)/);
  return Number(m?.[1] ?? 0);
}

/** Resident KiB by kind of mapping. */
function byMapping(pid: number): Record<string, number> {
  const out: Record<string, number> = { code: 0, rodata: 0, anon: 0, malloc: 0, other: 0 };
  let kind = "other";
  for (const line of Deno.readTextFileSync(`/proc/${pid}/smaps`).split("\n")) {
    const head = line.match(/^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/);
    if (head !== null) {
      const [, perms, name] = head;
      if (name === "[heap]") kind = "malloc";
      else if (name === "") kind = "anon";
      else if (name === Deno.execPath() || name!.endsWith("/deno")) {
        kind = perms!.includes("x") ? "code" : perms!.startsWith("r-") ? "rodata" : "other";
      } else kind = "other";
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+)/);
    if (rss !== null) out[kind]! += Number(rss[1]);
  }
  return out;
}

async function ping(port: number): Promise<void> {
  const c = await Deno.connect({ port, hostname: "127.0.0.1" });
  await c.write(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"));
  await c.read(new Uint8Array(64));
  c.close();
}

async function portOpen(port: number): Promise<boolean> {
  const tcp = await Deno.readTextFile("/proc/net/tcp");
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return tcp.split("\n").some((l) => l.includes(`:${hex} `) && / 0A /.test(l));
}

async function once(): Promise<Record<string, number>> {
  const port = 20000 + Math.floor(Math.random() * 9000);
  const dir = await Deno.makeTempDir();
  const entry = floor ? ["bench/io_floor.ts", String(port)] : [
    "main.ts",
    ...["--port", String(port), "--save", "", "--dir", dir],
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      ...(codeCache ? [] : ["--no-code-cache"]),
      `--v8-flags=${v8Flags}`,
      ...entry,
    ],
    cwd: root,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // The port is watched, not connected to: a connection is a client.
    for (let i = 0; i < 200 && !(await portOpen(port)); i++) await sleep(50);
    await sleep(4000);
    const start = vmRss(child.pid);
    const parts = byMapping(child.pid);
    await ping(port);
    await sleep(2000);
    return { start, ping: vmRss(child.pid), ...parts };
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

const samples: Record<string, number>[] = [];
for (let i = 0; i < runs; i++) samples.push(await once());
const median = (k: string) => {
  const v = samples.map((s) => s[k]!).sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)]!;
};
const mib = (kib: number) => (kib / 1024).toFixed(1);
console.log(
  `${floor ? "bench/io_floor.ts" : "main.ts"}, ${
    codeCache ? "" : "--no-code-cache "
  }--v8-flags=${v8Flags}, ${runs} runs`,
);
console.log(
  `VmRSS after start-up: ${mib(median("start"))} MiB (runs: ${
    samples.map((s) => mib(s.start!)).join(", ")
  })`,
);
console.log(`VmRSS after one PING: ${mib(median("ping"))} MiB`);
for (const k of ["code", "rodata", "anon", "malloc", "other"]) {
  console.log(`  ${k.padEnd(7)} ${mib(median(k)).padStart(5)} MiB`);
}
