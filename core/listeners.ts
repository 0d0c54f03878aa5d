/**
 * The server's listening sockets: TCP on every `bind` address at `port`,
 * TLS on `tls-port` at the same addresses, and the Unix socket
 * `unixsocket`. While the server runs, CONFIG SET of `port` and `bind`
 * rebinds, and of `tls-port` and the TLS settings reloads TLS, as Redis's
 * `changeListenPort`, `changeBindAddr` and `applyTlsCfg` do: on a failure
 * the old sockets stay and CONFIG SET answers Redis's reason.
 *
 * New sockets are opened before the old ones close where they can be.
 * Where an address must be freed first (a wildcard giving way to a
 * specific address, new certificates on the same TLS port), the change
 * waits for Deno to release the old socket, which it does only once its
 * pending accept has unwound, a moment after `close()`.
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

/** Sockets by the `bind` address (as written) they listen on. */
type Sockets = Map<string, Socket>;

type Opener = (hostname: string, port: number) => Socket;

/** Redis's reasons for a failed apply. */
const PORT_FAILED = "Unable to listen on this port. Check server logs.";
const BIND_FAILED = "Failed to bind to specified addresses.";
const TLS_FAILED = "Unable to update TLS configuration. Check server logs.";

/** How many times a just-closed address is retried while Deno releases it. */
const RELEASE_ATTEMPTS = 40;

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
  #tcp: Sockets = new Map();
  #tls: Sockets = new Map();
  #unix: { socket: Socket; path: string } | undefined;
  /** The `bind` addresses in force. */
  #addrs: string[] = [];
  #open = false;
  /** The certificate and key the TLS sockets serve. */
  #tlsMaterial: TlsMaterial | undefined;

  constructor(readonly host: ListenerHost) {
    const cfg = host.config;
    cfg.onApply(["port"], () => this.#applyPort());
    cfg.onApply(["bind"], (canWait) => this.#applyBind(canWait));
    cfg.onApply(["tls-port"], (canWait) => this.#applyTls(PORT_FAILED, canWait));
    // Redis's applyTlsCfg: every TLS setting but the port and tls-auth-clients.
    cfg.onApply(
      cfg.directives().map((d) => d.name).filter((n) =>
        n.startsWith("tls-") && n !== "tls-port" && n !== "tls-auth-clients"
      ),
      (canWait) => this.#applyTls(TLS_FAILED, canWait),
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
        [this.#tls, this.tlsPort] = this.#bindAll(addrs, cfg.number("tls-port"), tls(material));
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
    this.#accept(this.#tcp);
    this.#accept(this.#tls);
    if (this.#unix) this.host.accept(this.#unix.socket, this.#unix.path);
  }

  /** Closes every socket (and removes the Unix socket's file, as Redis does). */
  close(): void {
    this.#open = false;
    closeAll(this.#tcp);
    closeAll(this.#tls);
    if (this.#unix) {
      closeAll(new Map([["", this.#unix.socket]]));
      this.host.log("notice", "Removing the unix socket file.");
      try {
        Deno.removeSync(this.#unix.path);
      } catch { /* already gone */ }
      this.#unix = undefined;
    }
  }

  #accept(sockets: Sockets): void {
    for (const l of sockets.values()) this.host.accept(l);
  }

  /**
   * Opens a socket on each address (`-addr` is optional: it may fail) and
   * returns them with the port bound: port 0 picks one, which the next
   * addresses then share. A required address that fails closes the
   * sockets opened here and throws; `quiet` leaves an address in use
   * unlogged (it is retried).
   */
  #bindAll(addrs: readonly string[], port: number, open: Opener, quiet = false): [Sockets, number] {
    const out: Sockets = new Map();
    for (const raw of addrs) {
      const optional = raw.startsWith("-");
      const addr = optional ? raw.slice(1) : raw;
      const hostname = addr === "*" ? "0.0.0.0" : addr === "::*" ? "::" : addr;
      try {
        const l = open(hostname, port);
        if (port === 0) port = (l.addr as Deno.NetAddr).port;
        out.set(raw, l);
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

  /** {@link Listeners.#bindAll}, retried while just-closed sockets are released. */
  async #rebindAll(addrs: readonly string[], port: number, open: Opener): Promise<Sockets> {
    for (let attempt = 0;; attempt++) {
      await new Promise((r) => setTimeout(r, attempt === 0 ? 0 : 5));
      try {
        return this.#bindAll(addrs, port, open, attempt < RELEASE_ATTEMPTS)[0];
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse) || attempt >= RELEASE_ATTEMPTS) throw e;
      }
    }
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
    let sockets: Sockets, port: number;
    try {
      [sockets, port] = this.#bindAll(this.#addrs, cfg.number("port"), tcp);
    } catch {
      throw new ConfigError(PORT_FAILED);
    }
    if (cfg.number("port") !== port) cfg.set("port", String(port), true);
    closeAll(this.#tcp);
    this.#tcp = sockets;
    this.port = port;
    this.#accept(sockets);
  }

  /**
   * `bind` changed: the new addresses are bound first and the dropped ones
   * closed after, so a failure leaves everything as it was. An address in
   * use by one being dropped (`*` giving way to `127.0.0.1`) waits for it
   * to be released; if it then fails, the dropped ones come back.
   */
  #applyBind(canWait: boolean): void | Promise<void> {
    if (!this.#open) return;
    const addrs = bindAddrs(this.host.config.get("bind"));
    const old = this.#addrs;
    const added = addrs.filter((a) => !old.includes(a));
    const dropped = old.filter((a) => !addrs.includes(a));
    if (added.length === 0 && dropped.length === 0) return;
    const material = this.tlsPort !== 0 ? this.#tlsMaterial : undefined;
    const done = (tcpSockets: Sockets, tlsSockets: Sockets) => {
      for (const a of dropped) {
        closeAll(new Map([[a, this.#tcp.get(a)], [a + "/tls", this.#tls.get(a)]]));
        this.#tcp.delete(a);
        this.#tls.delete(a);
      }
      for (const [a, l] of tcpSockets) this.#tcp.set(a, l);
      for (const [a, l] of tlsSockets) this.#tls.set(a, l);
      this.#addrs = addrs;
      this.#accept(tcpSockets);
      this.#accept(tlsSockets);
    };
    let tcpSockets: Sockets = new Map();
    try {
      [tcpSockets] = this.#bindAll(added, this.port, tcp, true);
      const tlsSockets = material ? this.#bindAll(added, this.tlsPort, tls(material), true)[0] : [];
      done(tcpSockets, new Map(tlsSockets));
      return;
    } catch (e) {
      closeAll(tcpSockets);
      if (!(e instanceof Deno.errors.AddrInUse) || dropped.length === 0 || !canWait) {
        throw new ConfigError(BIND_FAILED);
      }
    }
    // An added address clashes with a dropped one: free those first.
    return (async () => {
      const keep = (a: string) => !dropped.includes(a);
      const closing = new Map([...this.#tcp].filter(([a]) => !keep(a)));
      const closingTls = new Map([...this.#tls].filter(([a]) => !keep(a)));
      closeAll(closing);
      closeAll(closingTls);
      for (const a of dropped) {
        this.#tcp.delete(a);
        this.#tls.delete(a);
      }
      const open = async (list: readonly string[]): Promise<[Sockets, Sockets]> => {
        const t = await this.#rebindAll(list, this.port, tcp);
        try {
          return [
            t,
            material ? await this.#rebindAll(list, this.tlsPort, tls(material)) : new Map(),
          ];
        } catch (e) {
          closeAll(t);
          throw e;
        }
      };
      try {
        const [t, s] = await open(added);
        this.#addrs = addrs;
        for (const [a, l] of t) this.#tcp.set(a, l);
        for (const [a, l] of s) this.#tls.set(a, l);
        this.#accept(t);
        this.#accept(s);
      } catch {
        this.host.log("warning", "Failed to bind, trying to restore old listening sockets.");
        try {
          const [t, s] = await open(dropped);
          for (const [a, l] of t) this.#tcp.set(a, l);
          for (const [a, l] of s) this.#tls.set(a, l);
          this.#accept(t);
          this.#accept(s);
        } catch { /* those addresses are gone */ }
        throw new ConfigError(BIND_FAILED);
      }
    })();
  }

  /**
   * `tls-port` or a TLS setting changed: read the TLS material again and
   * reopen the TLS sockets with it (none when `tls-port` is 0). A new port
   * is opened before the old one closes; new files on the same port wait
   * for it to be released. When the new sockets cannot be opened, the old
   * ones come back.
   */
  #applyTls(reason: string, canWait: boolean): void | Promise<void> {
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
    const swap = (sockets: Sockets, bound: number) => {
      this.#tls = sockets;
      this.tlsPort = bound;
      this.#tlsMaterial = material;
      this.#accept(sockets);
    };
    if (port === oldPort && sameMaterial(material, oldMaterial)) {
      this.#tlsMaterial = material;
      return;
    }
    if (port !== oldPort || oldPort === 0) {
      let sockets: Sockets = new Map(), bound = 0;
      if (material !== undefined) {
        try {
          [sockets, bound] = this.#bindAll(this.#addrs, port, tls(material));
        } catch {
          throw new ConfigError(reason);
        }
      }
      closeAll(old);
      swap(sockets, bound);
      return;
    }
    // New files on the same port: it must be freed first.
    if (!canWait) throw new ConfigError(reason);
    closeAll(old);
    const m = material;
    return (async () => {
      try {
        swap(m ? await this.#rebindAll(this.#addrs, port, tls(m)) : new Map(), m ? port : 0);
      } catch {
        if (oldMaterial !== undefined) {
          try {
            const back = await this.#rebindAll(this.#addrs, oldPort, tls(oldMaterial));
            this.#tls = back;
            this.#accept(back);
          } catch {
            this.#tls = new Map();
            this.tlsPort = 0;
          }
        }
        throw new ConfigError(reason);
      }
    })();
  }
}

function sameMaterial(a: TlsMaterial | undefined, b: TlsMaterial | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.cert === b.cert && a.key === b.key);
}

/** The `bind` value's addresses (`""` binds none). */
function bindAddrs(v: string): string[] {
  return v.split(" ").filter((a) => a !== "");
}

function tcp(hostname: string, port: number): Deno.Listener {
  return Deno.listen({ hostname, port, transport: "tcp" });
}

function tls(material: TlsMaterial): Opener {
  return (hostname, port) => listenTls(hostname, port, material);
}

function closeAll(sockets: ReadonlyMap<string, Socket | undefined>): void {
  for (const l of sockets.values()) {
    try {
      l?.close();
    } catch { /* already closed */ }
  }
}
