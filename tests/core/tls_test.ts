/**
 * TLS: a self-signed certificate made here with `openssl`, the server
 * started with `tls-port`, and redis-cli `--tls --cacert` talking to it.
 * `tls-auth-clients yes` (Redis's default) is refused at start-up, since
 * Deno's TLS listener cannot verify client certificates.
 *
 * Needs `openssl` and `redis-cli` on PATH; skipped otherwise.
 *
 * @module
 */

import { ConfigError } from "../../core/config.ts";
import { TLS_AUTH_UNSUPPORTED } from "../../core/tls.ts";
import { assertEquals, assertOk } from "../_assert.ts";
import { freePort, RawClient, startRespite } from "../_helpers.ts";

function has(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const hasOpenssl = has("openssl", ["version"]);
const hasCli = has("redis-cli", ["--version"]);

/** Makes a self-signed certificate for 127.0.0.1 in a temp dir. */
async function makeCert(): Promise<{ dir: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "respite-tls-" });
  const cert = `${dir}/cert.pem`, key = `${dir}/key.pem`;
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return { dir, cert, key };
}

async function cli(args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", { args, stdout: "piped", stderr: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test({
  name: "tls: redis-cli --tls --cacert talks to tls-port; the plain port still works",
  ignore: !hasOpenssl || !hasCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { dir, cert, key } = await makeCert();
    const tlsPort = freePort();
    const s = await startRespite({
      config: {
        "tls-port": String(tlsPort),
        "tls-cert-file": cert,
        "tls-key-file": key,
        "tls-ca-cert-file": cert,
        "tls-auth-clients": "no",
      },
    });
    try {
      assertEquals(s.server.tlsPort, tlsPort);
      const base = ["--tls", "--cacert", cert, "-h", "127.0.0.1", "-p", String(tlsPort)];
      assertEquals(await cli([...base, "SET", "greeting", "über"]), "OK\n");
      assertEquals(await cli([...base, "GET", "greeting"]), "über\n");
      assertEquals(await cli([...base, "RPUSH", "l", "a", "b", "c"]), "3\n");
      assertEquals(await cli([...base, "LRANGE", "l", "0", "-1"]), "a\nb\nc\n");
      // A big reply crosses many TLS records.
      await cli([...base, "SET", "big", "x".repeat(100_000)]);
      assertEquals(await cli([...base, "STRLEN", "big"]), "100000\n");
      assertEquals(await cli([...base, "CONFIG", "GET", "tls-port"]), `tls-port\n${tlsPort}\n`);
      // Without --tls the handshake fails: nothing is served in clear text.
      const plain = await RawClient.connect(tlsPort);
      await plain.write("PING\r\n");
      assertOk(await plain.closedWithin(3000));
      plain.close();
      // Without the CA the certificate is not trusted.
      const untrusted = await cli(["--tls", "-p", String(tlsPort), "PING"]);
      assertOk(!untrusted.includes("PONG"), untrusted);
      const c = await RawClient.connect(s.port);
      assertEquals(await c.call("GET", "greeting"), "\xc3\xbcber");
      c.close();
    } finally {
      await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "tls: tls-auth-clients yes or optional is refused at start-up; a missing file too",
  ignore: !hasOpenssl,
  async fn() {
    const { dir, cert, key } = await makeCert();
    try {
      for (const auth of ["yes", "optional"]) {
        let err: unknown;
        try {
          const s = await startRespite({
            port: freePort(),
            config: {
              "tls-port": String(freePort()),
              "tls-cert-file": cert,
              "tls-key-file": key,
              "tls-auth-clients": auth,
            },
          });
          await s.close();
        } catch (e) {
          err = e;
        }
        assertOk(err instanceof ConfigError);
        assertEquals((err as Error).message, TLS_AUTH_UNSUPPORTED);
      }
      let err: unknown;
      try {
        await startRespite({
          config: {
            "tls-port": String(freePort()),
            "tls-cert-file": `${dir}/nope.pem`,
            "tls-key-file": key,
            "tls-auth-clients": "no",
          },
        });
      } catch (e) {
        err = e;
      }
      assertOk(err instanceof ConfigError);
      assertOk(
        (err as Error).message.startsWith(`TLS: failed to read tls-cert-file '${dir}/nope.pem'`),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "tls: main.ts exits with a clear message for tls-auth-clients yes",
  ignore: !hasOpenssl,
  async fn() {
    const { dir, cert, key } = await makeCert();
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../../main.ts", import.meta.url).pathname,
          "--port",
          String(freePort()),
          "--tls-port",
          String(freePort()),
          "--tls-cert-file",
          cert,
          "--tls-key-file",
          key,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 1);
      const text = new TextDecoder().decode(out.stdout);
      assertOk(text.includes(`Fatal: ${TLS_AUTH_UNSUPPORTED}`), text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
