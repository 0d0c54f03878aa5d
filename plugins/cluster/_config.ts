/**
 * The cluster's directives (declared with the server's, in
 * core/server_config.ts), read as typed values. Most can change with
 * CONFIG SET, so each read goes to the store.
 *
 * @module
 */

import { join } from "../../core/path.ts";
import type { ServerApi } from "../../core/types.ts";
import { byteStringToUtf8 } from "../../core/resp/bytes.ts";

/** The bus port is the client port plus this when `cluster-port` is 0 (CLUSTER_PORT_INCR). */
export const CLUSTER_PORT_INCR = 10000;

/** Redis's refusal of a port whose bus port would pass 65535. */
export const PORT_TOO_HIGH =
  "Redis port number too high. Cluster communication port is 10,000 port " +
  "numbers higher than your Redis port. Your Redis port number must be 55535 or less.";

/**
 * Typed access to the `cluster-*` directives.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * import { ClusterSettings } from "./_config.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const cfg = new ClusterSettings(s.server);
 * console.log(cfg.nodeTimeout, cfg.busPort === s.port + 10000); // 15000 true
 * await s.close();
 * ```
 */
export class ClusterSettings {
  constructor(readonly server: ServerApi) {}

  #str(name: string): string {
    return byteStringToUtf8(this.server.config.get(name));
  }
  #num(name: string): number {
    return this.server.config.number(name);
  }
  #bool(name: string): boolean {
    return this.server.config.bool(name);
  }

  get enabled(): boolean {
    return this.#bool("cluster-enabled");
  }
  /** nodes.conf's path, relative to `dir` as Redis (which chdirs there) reads it. */
  get configFile(): string {
    return join(this.#str("dir"), this.#str("cluster-config-file"));
  }
  /** The port the bus listens on: `cluster-port`, or the client port + 10000. */
  get busPort(): number {
    const p = this.#num("cluster-port");
    return p !== 0 ? p : this.server.port + CLUSTER_PORT_INCR;
  }
  get nodeTimeout(): number {
    return this.#num("cluster-node-timeout");
  }
  /** `cluster-announce-ip`, "" when unset. */
  get announceIp(): string {
    return this.#str("cluster-announce-ip");
  }
  get announceHostname(): string {
    return this.#str("cluster-announce-hostname");
  }
  /** The client port other nodes and clients are told. */
  get announcedPort(): number {
    return this.#num("cluster-announce-port") || this.server.port;
  }
  /** The bus port other nodes are told. */
  get announcedBusPort(): number {
    return this.#num("cluster-announce-bus-port") || this.busPort;
  }
  get requireFullCoverage(): boolean {
    return this.#bool("cluster-require-full-coverage");
  }
  get allowReadsWhenDown(): boolean {
    return this.#bool("cluster-allow-reads-when-down");
  }
  get allowPubsubshardWhenDown(): boolean {
    return this.#bool("cluster-allow-pubsubshard-when-down");
  }
  get replicaValidityFactor(): number {
    return this.#num("cluster-replica-validity-factor");
  }
  get migrationBarrier(): number {
    return this.#num("cluster-migration-barrier");
  }
  get allowReplicaMigration(): boolean {
    return this.#bool("cluster-allow-replica-migration");
  }
  get replicaNoFailover(): boolean {
    return this.#bool("cluster-replica-no-failover");
  }
  /** `ip`, `hostname` or `unknown-endpoint`. */
  get preferredEndpointType(): string {
    return this.#str("cluster-preferred-endpoint-type");
  }
  /** Bytes; 0 for no limit. */
  get linkSendbufLimit(): number {
    return this.#num("cluster-link-sendbuf-limit");
  }
}
