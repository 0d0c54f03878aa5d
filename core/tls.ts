/**
 * TLS: the `tls-*` directives and the listener they configure.
 *
 * Clients connect to `tls-port` (on every `bind` address) with TLS and then
 * speak RESP as on the plain port. Deno's TLS listener (`Deno.listenTls`,
 * rustls underneath) takes a certificate chain and a key but cannot ask a
 * client for its certificate nor verify one against a CA, so client
 * authentication is not available: `tls-auth-clients` must be `no` (Redis's
 * default is `yes`, so a TLS configuration has to say so). `yes` and
 * `optional` are refused at start-up with a clear message rather than
 * silently accepting unauthenticated clients. `tls-ca-cert-file` is
 * accepted (and checked to be readable) for configuration compatibility.
 *
 * @module
 */

import { type ConfigDirective, ConfigError, type ConfigStore } from "./config.ts";
import { byteStringToUtf8 } from "./resp/bytes.ts";

/** The `tls-*` directives Respite implements. */
export const tlsDirectives: readonly ConfigDirective[] = [
  { name: "tls-port", type: "int", default: "0", min: 0, max: 65535 },
  { name: "tls-cert-file", type: "string", default: "", emptyIsNull: true },
  { name: "tls-key-file", type: "string", default: "", emptyIsNull: true },
  { name: "tls-ca-cert-file", type: "string", default: "", emptyIsNull: true },
  { name: "tls-auth-clients", type: "enum", default: "yes", values: ["no", "yes", "optional"] },
];

/** Why `tls-auth-clients` other than `no` is refused. */
export const TLS_AUTH_UNSUPPORTED =
  "tls-auth-clients yes/optional is not supported: Deno's TLS listener cannot request or verify client certificates. Set 'tls-auth-clients no' to accept TLS clients without certificates";

/** The PEM material a TLS listener needs. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

function readPem(what: string, path: string): string {
  if (path === "") throw new ConfigError(`TLS: ${what} is not set`);
  try {
    return Deno.readTextFileSync(byteStringToUtf8(path));
  } catch (e) {
    throw new ConfigError(
      `TLS: failed to read ${what} '${path}': ${e instanceof Error ? e.message : e}`,
    );
  }
}

/**
 * Reads and checks the TLS configuration; undefined when `tls-port` is 0
 * (unless `required`: TLS is configured for another use). Throws a
 * {@link ConfigError} with the reason when it cannot be served.
 *
 * @example
 * ```ts
 * import { ConfigStore } from "./config.ts";
 * import { tlsDirectives, tlsMaterial } from "./tls.ts";
 * const cfg = new ConfigStore();
 * for (const d of tlsDirectives) cfg.declare(d);
 * console.log(tlsMaterial(cfg)); // undefined: tls-port is 0
 * ```
 */
export function tlsMaterial(config: ConfigStore, required = false): TlsMaterial | undefined {
  if (!required && config.number("tls-port") === 0) return undefined;
  if (config.get("tls-auth-clients") !== "no") throw new ConfigError(TLS_AUTH_UNSUPPORTED);
  const cert = readPem("tls-cert-file", config.get("tls-cert-file"));
  const key = readPem("tls-key-file", config.get("tls-key-file"));
  const ca = config.get("tls-ca-cert-file");
  if (ca !== "") readPem("tls-ca-cert-file", ca);
  return { cert, key };
}

/** Opens a TLS listener on `hostname:port` with the configured material. */
export function listenTls(hostname: string, port: number, m: TlsMaterial): Deno.TlsListener {
  return Deno.listenTls({ hostname, port, cert: m.cert, key: m.key, transport: "tcp" });
}
