import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { publicKeyPinOf } from "../src/tls.ts";
import { ENROLL_SECRET, FlakyProxy, RealApi, tempDir } from "./harness.ts";

import { captureIo } from "./helpers.ts";

/** A CA and a server certificate for 127.0.0.1 signed by it, made with openssl. */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Compliance Test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  // An unrelated key, for a pin that must not match.
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "other.key",
    "-out",
    "other.pem",
    "-days",
    "2",
    "-subj",
    "/CN=other",
  );
  return {
    ca: join(dir, "ca.pem"),
    key: readFileSync(join(dir, "server.key"), "utf8"),
    cert: readFileSync(join(dir, "server.pem"), "utf8"),
    other: readFileSync(join(dir, "other.pem"), "utf8"),
  };
}

describe("https:// to the API: CA file and pinning", () => {
  let dir: string;
  let api: RealApi;
  let proxy: FlakyProxy;
  let certs: ReturnType<typeof makeCertificates>;

  before(async () => {
    dir = tempDir("agent-tls-");
    certs = makeCertificates(dir);
    api = await new RealApi().start();
    // The real API behind a TLS front, as behind a reverse proxy.
    proxy = await new FlakyProxy(() => api.url, { key: certs.key, cert: certs.cert }).start();
  });
  after(async () => {
    await proxy.stop();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const stateDir = tempDir("agent-tls-state-");
    const out = captureIo({ HOME: dir, COMPLIANCE_ENROLL_SECRET: ENROLL_SECRET, ...env });
    try {
      const code = await runCli(
        [
          "run",
          "--once",
          "--server",
          proxy.url,
          "--state-dir",
          stateDir,
          "--cpu-window",
          "0",
          ...args,
        ],
        { ...out.io, configDir: dir },
      );
      const spoolDir = join(stateDir, "spool");
      const spooled = existsSync(spoolDir)
        ? readdirSync(spoolDir).filter((n) => n.endsWith(".json"))
        : [];
      return { code, stdout: out.stdout(), stderr: out.stderr(), spooled };
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      // Each run is this machine installed afresh: its key is revoked, so the next run's
      // enrollment with the secret alone is not refused as a takeover.
      await api.revokeKeys();
    }
  };

  test("the CA that signed the certificate, from --ca-file: stored", async () => {
    const result = await run(["--ca-file", certs.ca]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^stored report [0-9a-f-]{36} for host \d+ \(enrolled\)\n$/);
  });

  test("without the CA: exit 3, a TLS message that says what to set, the report kept", async () => {
    const result = await run([]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /TLS: cannot trust https:\/\/127\.0\.0\.1:\d+\/api\/v1\/enroll: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    assert.match(result.stderr, /api\.ca_file \(--ca-file\)/);
    assert.equal(result.spooled.length, 1, "the report waits in the spool");
  });

  test("a pin of the server's public key (and the CA from the environment): stored", async () => {
    const pin = publicKeyPinOf(certs.cert);
    assert.match(pin, /^sha256\/\/[A-Za-z0-9+/]{43}=$/);
    const result = await run(["--pin", pin], { COMPLIANCE_CA_FILE: certs.ca });
    assert.equal(result.code, 0, result.stderr);
  });

  test("a pin of the certificate's SHA-256 fingerprint, as openssl prints it: stored", async () => {
    const fingerprint = new X509Certificate(certs.cert).fingerprint256; // AB:CD:...
    const result = await run([
      "--ca-file",
      certs.ca,
      "--pin",
      `${publicKeyPinOf(certs.other)},${fingerprint}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
  });

  test("a wrong pin: refused even though the CA is trusted, exit 3", async () => {
    const result = await run(["--ca-file", certs.ca, "--pin", publicKeyPinOf(certs.other)]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /ERR_CERT_PIN_MISMATCH: the API's certificate does not match the configured pin \(its public key is sha256\/\/[A-Za-z0-9+/]{43}=\)/,
    );
    assert.equal(result.spooled.length, 1);
  });

  test("bad TLS settings stop the start with exit 2, naming the key and where it came from", async () => {
    const missing = await run(["--ca-file", join(dir, "nope.pem")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--ca-file: cannot read .*nope\.pem \(ENOENT\)/);

    writeFileSync(join(dir, "config.ini"), `[api]\nca_file = server.key\n`);
    const notCert = await run([]);
    assert.equal(notCert.code, 2);
    assert.match(
      notCert.stderr,
      /api\.ca_file \(.*config\.ini:2\): .*server\.key holds no PEM certificate/,
    );
    writeFileSync(join(dir, "config.ini"), `[api]\nca_file = ca.pem\npin = sha256//abc\n`);
    const badPin = await run([]);
    assert.equal(badPin.code, 2);
    assert.match(badPin.stderr, /api\.pin \(.*config\.ini:3\) must be sha256 pins/);
    rmSync(join(dir, "config.ini"));
  });
});
