import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { DEFAULT_SENSITIVE_FILES } from "../src/collectors/files.ts";
import { type ConfigInput, resolveConfig, serverUrlFromEnv } from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";
import { defaultStateDir } from "../src/state.ts";
import { captureIo } from "./helpers.ts";

const input = (over: Partial<ConfigInput> = {}): ConfigInput => ({
  flags: {},
  env: { HOME: "/home/ana" },
  uid: 1000,
  cwd: "/work",
  ...over,
});

describe("configuration", () => {
  test("defaults", () => {
    assert.deepEqual(resolveConfig(input()), {
      serverUrl: undefined,
      enrollSecret: undefined,
      stateDir: "/home/ana/.local/state/compliance-agent",
      timeoutMs: 30_000,
      cpuWindowMs: 250,
      cmdline: true,
      intervalMs: 300_000,
      jitterMs: 30_000,
      ca: undefined,
      caFile: undefined,
      pins: [],
      logLevel: "info",
      spoolMaxReports: 1000,
      spoolMaxBytes: 100 * 1024 * 1024,
      retryInitialMs: 1000,
      retryMaxMs: 300_000,
      collectorsOff: [],
      sensitiveFiles: DEFAULT_SENSITIVE_FILES,
      configFile: undefined,
    });
  });

  test("flags win over the environment", () => {
    const config = resolveConfig(
      input({
        flags: {
          server: "https://flag.example",
          enrollSecret: "f",
          stateDir: "/flag",
          timeout: "5",
          cpuWindow: "0",
        },
        env: {
          COMPLIANCE_SERVER_URL: "https://env.example",
          COMPLIANCE_ENROLL_SECRET: "e",
          COMPLIANCE_STATE_DIR: "/env",
          COMPLIANCE_TIMEOUT_MS: "9",
          COMPLIANCE_CPU_WINDOW_MS: "9",
        },
      }),
    );
    assert.equal(config.serverUrl, "https://flag.example/");
    assert.equal(config.enrollSecret, "f");
    assert.equal(config.stateDir, "/flag");
    assert.equal(config.timeoutMs, 5);
    assert.equal(config.cpuWindowMs, 0);
  });

  test("the environment when no flag says otherwise; the result is frozen", () => {
    const config = resolveConfig(
      input({
        env: {
          COMPLIANCE_SERVER_URL: "http://api:8080/base/",
          COMPLIANCE_ENROLL_SECRET: "e",
          COMPLIANCE_STATE_DIR: "state",
          COMPLIANCE_TIMEOUT_MS: "1500",
        },
      }),
    );
    assert.equal(config.serverUrl, "http://api:8080/base/");
    assert.equal(config.enrollSecret, "e");
    assert.equal(config.stateDir, "/work/state", "relative to the working directory");
    assert.equal(config.timeoutMs, 1500);
    assert.ok(Object.isFrozen(config));
  });

  test("the older agents' URL_API, then API_IP and API_PORT", () => {
    assert.deepEqual(serverUrlFromEnv({ URL_API: "http://old:5000", API_IP: "x" }), {
      value: "http://old:5000",
      source: "URL_API",
    });
    assert.equal(
      serverUrlFromEnv({ API_IP: "10.0.0.5", API_PORT: "8000" })?.value,
      "http://10.0.0.5:8000",
    );
    assert.equal(serverUrlFromEnv({ API_IP: "10.0.0.5" })?.value, "http://10.0.0.5:8080");
    assert.equal(
      serverUrlFromEnv({ API_IP: "fd00::5", API_PORT: "80" })?.value,
      "http://[fd00::5]:80",
    );
    assert.equal(
      serverUrlFromEnv({ COMPLIANCE_SERVER_URL: "http://new", URL_API: "http://old" })?.source,
      "COMPLIANCE_SERVER_URL",
    );
    assert.equal(serverUrlFromEnv({}), undefined);
    assert.equal(
      resolveConfig(input({ env: { HOME: "/h", API_IP: "10.0.0.5", API_PORT: "8000" } })).serverUrl,
      "http://10.0.0.5:8000/",
    );
  });

  const bad: [what: string, over: Partial<ConfigInput>, names: RegExp][] = [
    [
      "a server URL that is no URL",
      { env: { HOME: "/h", COMPLIANCE_SERVER_URL: "api.local" } },
      /COMPLIANCE_SERVER_URL is not a URL/,
    ],
    ["a non-HTTP URL", { flags: { server: "ftp://api" } }, /--server must be an http/],
    [
      "a URL with a query",
      { env: { HOME: "/h", URL_API: "http://a/?x=1" } },
      /URL_API must be the API's base URL/,
    ],
    [
      "a bad API_PORT",
      { env: { HOME: "/h", API_IP: "10.0.0.1", API_PORT: "http" } },
      /API_PORT must be a port number/,
    ],
    [
      "API_PORT without API_IP",
      { env: { HOME: "/h", API_PORT: "80" } },
      /API_PORT is set but API_IP is not/,
    ],
    ["a bad timeout", { flags: { timeout: "soon" } }, /--timeout must be a duration/],
    [
      "a bad timeout variable",
      { env: { HOME: "/h", COMPLIANCE_TIMEOUT_MS: "0" } },
      /COMPLIANCE_TIMEOUT_MS must be/,
    ],
    ["a negative CPU window", { flags: { cpuWindow: "-5" } }, /--cpu-window must be/],
    ["an empty state directory flag", { flags: { stateDir: " " } }, /--state-dir is empty/],
  ];
  for (const [what, over, names] of bad) {
    test(`${what}: a ConfigError naming the flag or variable`, () => {
      assert.throws(
        () => resolveConfig(input(over)),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.exitCode, 2);
          assert.match(error.message, names);
          return true;
        },
      );
    });
  }
});

describe("default state directory", () => {
  test("none without HOME: collect still works, run says what to set", async () => {
    assert.equal(resolveConfig(input({ env: {} })).stateDir, undefined);
    const out = captureIo({ COMPLIANCE_SERVER_URL: "http://127.0.0.1:1" });
    const code = await runCli(["run", "--once"], { ...out.io, uid: 1000 });
    assert.equal(code, 2);
    assert.match(out.stderr(), /HOME is not set; set COMPLIANCE_STATE_DIR or --state-dir/);
  });

  test("root: a system directory", () => {
    assert.equal(defaultStateDir({ HOME: "/root" }, 0), "/var/lib/compliance-agent");
  });
  test("others: XDG_STATE_HOME, else ~/.local/state; a relative XDG value is ignored", () => {
    assert.equal(
      defaultStateDir({ HOME: "/home/a", XDG_STATE_HOME: "/x" }, 1000),
      "/x/compliance-agent",
    );
    assert.equal(
      defaultStateDir({ HOME: "/home/a", XDG_STATE_HOME: "rel" }, 1000),
      "/home/a/.local/state/compliance-agent",
    );
    assert.equal(
      defaultStateDir({ HOME: "/home/a" }, undefined),
      "/home/a/.local/state/compliance-agent",
    );
  });
});
