/**
 * The server's listening sockets: TCP on every `bind` address at `port`,
 * TLS on `tls-port` at the same addresses, and the Unix socket
 * `unixsocket`. While the server runs, CONFIG SET of `port` and `bind`
 * rebinds, and of `tls-port` and the TLS files reloads TLS, as Redis's
 * `changeListenPort`, `changeBindAddr` and `applyTlsCfg` do: on a failure
 * the old sockets stay and CONFIG SET answers Redis's reason.
 *
 * @module
 */

import { ConfigError, type ConfigStore } from "./config.ts";
import type { LogLevel } from "./log.ts";
import { osReason } from "./conf_file.ts";
import { byteStringToUtf8 } from "./resp/bytes.ts";
import { listenTls, type TlsMaterial, tlsMaterial } from "./tls.ts";

/** What the listeners need from the server. */
export interface ListenerHost {
  readonly config: ConfigStore;
  /** Serves the connections a listener accepts (a Unix socket's with its path). */
  accept(l: Deno.Listener | Deno.TlsListener, unixPath?: string): void;
  log(level: LogLevel, msg: string): void;
}

type Socket = Deno.Listener | Deno.TlsListener;

/** Redis's reasons for a failed apply. */
const PORT_FAILED = "Unable to listen on this port. Check server logs.";
const BIND_FAILED = "Failed to bind to specified addresses.";
const TLS_FAILED = "Unable to update TLS configuration. Check server logs.";

/**
 * The listening sockets of one server.
 *
 * @example
 * ```ts
 * import { startServer } from "../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * console.log(s.server.listeners.port === s.port); // true
 * await s.close();
 * ```
 */
export class Listeners {
  /** The TCP port bound (the one picked when `port` is 0). */
  port = 0;
  /** The TLS port bound (0 when TLS is off). */
  tlsPort = 0;
  #tcp: Socket[] = [];
  #tls: Socket[] = [];
  #unix: { socket: Socket; path: string } | undefined;
  /** The `bind` addresses the sockets are on. */
  #addrs: string[] = [];
  #open = false;
  /** The certificate and key the TLS sockets serve. */
  #tlsMaterial: TlsMaterial | undefined;

  constructor(readonly host: ListenerHost) {
    const cfg = host.config;
    cfg.onApply(["port"], () => this.#applyPort());
    cfg.onApply(["bind"], () => this.#applyBind());
    cfg.onApply(["tls-port"], () => this.#applyTls(PORT_FAILED));
    // Redis's applyTlsCfg: every TLS setting but the port and tls-auth-clients.
    cfg.onApply(
      cfg.directives().map((d) => d.name).filter((n) =>
        n.startsWith("tls-") && n !== "tls-port" && n !== "tls-auth-clients"
      ),
      () => this.#applyTls(TLS_FAILED),
    );
  }

  /**
   * Opens every socket the configuration asks for. A required address or
   * the Unix socket failing closes what was opened and throws the error.
   */
  open(): void {
    const cfg = this.host.config;
    const addrs = bindAddrs(cfg.get("bind"));
    try {
      [this.#tcp, this.port] = this.#bindAll(addrs, cfg.number("port"), tcp);
      const material = tlsMaterial(cfg);
      this.#tlsMaterial = material;
      if (material !== undefined) {
        [this.#tls, this.tlsPort] = this.#bindAll(
          addrs,
          cfg.number("tls-port"),
          (h, p) => listenTls(h, p, material),
        );
      }
      this.#unix = this.#openUnix();
    } catch (e) {
      this.close();
      throw e;
    }
    this.#addrs = addrs;
    this.#open = true;
    // Port 0 picked one: CONFIG GET (and CONFIG REWRITE) show it.
    if (cfg.number("port") !== this.port) cfg.set("port", String(this.port), true);
    for (const l of [...this.#tcp, ...this.#tls]) this.host.accept(l);
    if (this.#unix) this.host.accept(this.#unix.socket, this.#unix.path);
  }

  /** Closes every socket (and removes the Unix socket's file, as Redis does). */
  close(): void {
    this.#open = false;
    closeAll(this.#tcp);
    closeAll(this.#tls);
    this.#tcp = [];
    this.#tls = [];
    if (this.#unix) {
      closeAll([this.#unix.socket]);
      this.host.log("notice", "Removing the unix socket file.");
      try {
        Deno.removeSync(this.#unix.path);
      } catch { /* already gone */ }
      this.#unix = undefined;
    }
  }

  /**
   * Opens a socket on each address (`-addr` is optional: it may fail) and
   * returns them with the port bound: port 0 picks one, which the next
   * addresses then share. A required address that fails closes the
   * sockets opened here and throws.
   */
  #bindAll(
    addrs: readonly string[],
    port: number,
    open: (hostname: string, port: number) => Socket,
    quiet = false,
  ): [Socket[], number] {
    const out: Socket[] = [];
    for (const raw of addrs) {
      const optional = raw.startsWith("-");
      const addr = optional ? raw.slice(1) : raw;
      const hostname = addr === "*" ? "0.0.0.0" : addr === "::*" ? "::" : addr;
      try {
        const l = open(hostname, port);
        if (port === 0) port = (l.addr as Deno.NetAddr).port;
        out.push(l);
      } catch (e) {
        if (optional) continue;
        if (!quiet || !(e instanceof Deno.errors.AddrInUse)) {
          this.host.log(
            "warning",
            `Warning: Could not create server TCP listening socket ${addr}:${port}: bind: ${
              osReason(e)
            }`,
          );
        }
        closeAll(out);
        throw e;
      }
    }
    return [out, port];
  }

  #openUnix(): { socket: Socket; path: string } | undefined {
    const cfg = this.host.config;
    const path = byteStringToUtf8(cfg.get("unixsocket"));
    if (path === "") return undefined;
    // A socket file left by a previous run is replaced, as Redis does.
    try {
      Deno.removeSync(path);
    } catch { /* not there */ }
    let socket: Socket;
    try {
      socket = Deno.listen({ transport: "unix", path });
    } catch (e) {
      this.host.log("warning", `Failed opening Unix socket: ${osReason(e)}`);
      throw e;
    }
    const perm = parseInt(cfg.get("unixsocketperm"), 8);
    if (perm !== 0) Deno.chmodSync(path, perm);
    return { socket, path };
  }

  /** `port` changed: listen on the new one first, then close the old. */
  #applyPort(): void {
    const cfg = this.host.config;
    if (!this.#open || cfg.number("port") === this.port) return;
    let sockets: Socket[], port: number;
    try {
      [sockets, port] = this.#bindAll(this.#addrs, cfg.number("port"), tcp);
    } catch {
      throw new ConfigError(PORT_FAILED);
    }
    if (cfg.number("port") !== port) cfg.set("port", String(port), true);
    closeAll(this.#tcp);
    this.#tcp = sockets;
    this.port = port;
    for (const l of sockets) this.host.accept(l);
  }

  /**
   * Opens sockets as {@link Listeners.#bindAll} does, once the sockets just
   * closed on those addresses are released: Deno frees a listener's port
   * only after its pending accept has unwound, a moment after `close()`.
   */
  async #rebindAll(
    addrs: readonly string[],
    port: number,
    open: (hostname: string, port: number) => Socket,
  ): Promise<[Socket[], number]> {
    for (let attempt = 0;; attempt++) {
      await new Promise((r) => setTimeout(r, attempt === 0 ? 0 : 5));
      try {
        return this.#bindAll(addrs, port, open, attempt < RELEASE_ATTEMPTS);
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse) || attempt >= RELEASE_ATTEMPTS) throw e;
      }
    }
  }

  /**
   * `bind` changed: the old sockets close first (the new addresses may
   * include them), and come back when a new address cannot be bound, as
   * Redis's `changeBindAddr` does.
   */
  async #applyBind(): Promise<void> {
    if (!this.#open) return;
    const addrs = bindAddrs(this.host.config.get("bind"));
    const old = this.#addrs;
    if (addrs.join(" ") === old.join(" ")) return;
    closeAll(this.#tcp);
    closeAll(this.#tls);
    this.#tcp = [];
    this.#tls = [];
    const reopen = async (list: readonly string[]) => {
      const [tcpSockets] = await this.#rebindAll(list, this.port, tcp);
      let tlsSockets: Socket[] = [];
      const material = this.#tlsMaterial;
      if (material !== undefined && this.tlsPort !== 0) {
        try {
          [tlsSockets] = await this.#rebindAll(
            list,
            this.tlsPort,
            (h, p) => listenTls(h, p, material),
          );
        } catch (e) {
          closeAll(tcpSockets);
          throw e;
        }
      }
      this.#tcp = tcpSockets;
      this.#tls = tlsSockets;
      for (const l of [...tcpSockets, ...tlsSockets]) this.host.accept(l);
    };
    try {
      await reopen(addrs);
      this.#addrs = addrs;
    } catch {
      this.host.log("warning", "Failed to bind, trying to restore old listening sockets.");
      try {
        await reopen(old);
      } catch { /* nothing left to listen on */ }
      throw new ConfigError(BIND_FAILED);
    }
  }

  /**
   * `tls-port` or a TLS file changed: read the TLS material again and
   * reopen the TLS sockets with it (none when `tls-port` is 0). When the
   * new sockets cannot be opened, the old ones come back.
   */
  async #applyTls(reason: string): Promise<void> {
    if (!this.#open) return;
    const cfg = this.host.config;
    // TLS is configured for the port, replication or the cluster bus.
    const needed = cfg.number("tls-port") !== 0 || cfg.bool("tls-replication") ||
      cfg.bool("tls-cluster");
    let material;
    try {
      material = needed ? tlsMaterial(cfg, true) : undefined;
    } catch (e) {
      this.host.log("warning", `Failed to configure TLS: ${(e as Error).message}`);
      throw new ConfigError(TLS_FAILED);
    }
    const port = cfg.number("tls-port");
    if (port === 0) material = undefined;
    const old = this.#tls, oldPort = this.tlsPort, oldMaterial = this.#tlsMaterial;
    if (material === oldMaterial && port === oldPort) return;
    // The same port is freed first; another one is opened before the old closes.
    const samePort = port === oldPort && port !== 0;
    if (samePort) closeAll(old);
    let sockets: Socket[] = [], bound = 0;
    if (material !== undefined) {
      const m = material;
      try {
        [sockets, bound] = samePort
          ? await this.#rebindAll(this.#addrs, port, (h, p) => listenTls(h, p, m))
          : this.#bindAll(this.#addrs, port, (h, p) => listenTls(h, p, m));
      } catch {
        if (samePort && oldMaterial !== undefined) {
          try {
            [this.#tls] = await this.#rebindAll(
              this.#addrs,
              oldPort,
              (h, p) => listenTls(h, p, oldMaterial),
            );
            for (const l of this.#tls) this.host.accept(l);
          } catch {
            this.#tls = [];
            this.tlsPort = 0;
          }
        }
        throw new ConfigError(reason);
      }
    }
    if (!samePort) closeAll(old);
    this.#tls = sockets;
    this.tlsPort = bound;
    this.#tlsMaterial = material;
    for (const l of sockets) this.host.accept(l);
  }
}

/** How many times a just-closed address is retried while Deno releases it. */
const RELEASE_ATTEMPTS = 20;

/** The `bind` value's addresses (`""` binds none). */
function bindAddrs(v: string): string[] {
  return v.split(" ").filter((a) => a !== "");
}

function tcp(hostname: string, port: number): Deno.Listener {
  return Deno.listen({ hostname, port, transport: "tcp" });
}

function closeAll(sockets: readonly Socket[]): void {
  for (const l of sockets) {
    try {
      l.close();
    } catch { /* already closed */ }
  }
}
