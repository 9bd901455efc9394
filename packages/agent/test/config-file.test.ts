import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { type AgentConfig, loadConfig } from "../src/config.ts";
import { parseIni, parseJsonConfig } from "../src/config-file.ts";
import { ConfigError } from "../src/errors.ts";
import { tempDir } from "./harness.ts";
import { captureIo } from "./helpers.ts";

describe("the configuration file, the environment and flags", () => {
  let dir: string;
  before(() => {
    dir = tempDir("agent-config-");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `name` in a fresh directory and loads the configuration with it as the default file. */
  const load = (
    name: string,
    text: string,
    env: Record<string, string> = {},
    flags: Record<string, string | boolean> = {},
  ): AgentConfig => {
    const configDir = mkdtempSync(join(dir, "case-"));
    writeFileSync(join(configDir, name), text);
    return loadConfig({
      flags,
      env: { HOME: "/home/ana", ...env },
      uid: 1000,
      cwd: "/work",
      configDir,
    });
  };

  test("the seed agent's config.ini: [api] ip and puerto", () => {
    const config = load("config.ini", "[api]\nip=10.0.0.5\npuerto=8000\n");
    assert.equal(config.serverUrl, "http://10.0.0.5:8000/");
    assert.match(config.configFile ?? "", /config\.ini$/);
    assert.equal(load("config.ini", "[api]\nip = 10.0.0.5\n").serverUrl, "http://10.0.0.5:8080/");
  });

  test("an INI file with every section; relative paths are taken from the file's directory", () => {
    const config = load(
      "config.ini",
      [
        "# Compliance agent",
        "[api]",
        "url = https://compliance.example/base",
        'enroll_secret = "s3cret value"',
        "timeout = 10s",
        "",
        "; the service",
        "[agent]",
        "interval = 2m",
        "jitter = 15s",
        "state_dir = state",
        "cpu_window = 0",
        "cmdline = no",
        "log_level = WARN",
        "retry_initial = 2s",
        "retry_max = 10m",
        "[spool]",
        "max_reports = 50",
        "max_bytes = 20MiB",
      ].join("\n"),
    );
    assert.equal(config.serverUrl, "https://compliance.example/base");
    assert.equal(config.enrollSecret, "s3cret value");
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.intervalMs, 120_000);
    assert.equal(config.jitterMs, 15_000);
    assert.equal(config.stateDir, join(config.configFile!, "..", "state"));
    assert.equal(config.cpuWindowMs, 0);
    assert.equal(config.cmdline, false);
    assert.equal(config.logLevel, "warn");
    assert.equal(config.retryInitialMs, 2000);
    assert.equal(config.retryMaxMs, 600_000);
    assert.equal(config.spoolMaxReports, 50);
    assert.equal(config.spoolMaxBytes, 20 * 1024 * 1024);
  });

  test("the JSON form holds the same sections and keys", () => {
    const config = load(
      "config.json",
      JSON.stringify({
        api: { url: "http://api:8080", enroll_secret: "j" },
        agent: { interval: 60, cmdline: false },
        spool: { max_reports: 7 },
      }),
    );
    assert.equal(config.serverUrl, "http://api:8080/");
    assert.equal(config.intervalMs, 60_000, "a bare number of seconds");
    assert.equal(config.jitterMs, 6_000, "a tenth of the interval by default");
    assert.equal(config.cmdline, false);
    assert.equal(config.spoolMaxReports, 7);
  });

  test("precedence: flags over the environment over the file over defaults", () => {
    const file = "[api]\nurl = http://file:1\nenroll_secret = file\n[agent]\ninterval = 10m\n";
    const fromFile = load("config.ini", file);
    assert.equal(fromFile.intervalMs, 600_000);
    assert.equal(fromFile.serverUrl, "http://file:1/");
    const fromEnv = load("config.ini", file, {
      COMPLIANCE_INTERVAL: "2m",
      URL_API: "http://env:2",
      TOKEN: "env",
    });
    assert.equal(fromEnv.intervalMs, 120_000);
    assert.equal(fromEnv.serverUrl, "http://env:2/");
    assert.equal(fromEnv.enrollSecret, "env");
    const fromFlags = load(
      "config.ini",
      file,
      { COMPLIANCE_INTERVAL: "2m", URL_API: "http://env:2" },
      { interval: "30s", server: "http://flag:3" },
    );
    assert.equal(fromFlags.intervalMs, 30_000);
    assert.equal(fromFlags.serverUrl, "http://flag:3/");
  });

  test("the older agents' variables: API_KEY and TOKEN stand for the enroll secret, COMPLIANCE_AGENT_INTERVAL for the interval", () => {
    assert.equal(load("config.ini", "", { TOKEN: "t" }).enrollSecret, "t");
    assert.equal(load("config.ini", "", { TOKEN: "t", API_KEY: "k" }).enrollSecret, "k");
    assert.equal(
      load("config.ini", "", { TOKEN: "t", API_KEY: "k", COMPLIANCE_ENROLL_SECRET: "c" })
        .enrollSecret,
      "c",
    );
    assert.equal(load("config.ini", "", { COMPLIANCE_AGENT_INTERVAL: "90" }).intervalMs, 90_000);
    assert.equal(
      load("config.ini", "", { API_IP: "10.1.1.1", API_PORT: "5000" }).serverUrl,
      "http://10.1.1.1:5000/",
    );
  });

  test("parsers keep the line of every value", () => {
    const ini = parseIni("[API]\n\nURL = x\n", "/c.ini");
    assert.deepEqual(ini.values.get("api.url"), { value: "x", line: 3 });
    const json = parseJsonConfig(
      '{\n  "api": {\n    "url": "x",\n    "port": 80\n  }\n}',
      "/c.json",
    );
    assert.deepEqual(json.values.get("api.url"), { value: "x", line: 3 });
    assert.deepEqual(json.values.get("api.port"), { value: 80, line: 4 });
  });

  const bad: [
    what: string,
    name: string,
    text: string,
    env: Record<string, string>,
    args: string[],
    message: RegExp,
  ][] = [
    [
      "a bad value in an INI file",
      "config.ini",
      "[agent]\ninterval = soon\n",
      {},
      [],
      /agent\.interval \(.*config\.ini:2\) must be a duration from 10ms to 168h .* not "soon"/,
    ],
    [
      "an unknown key",
      "config.ini",
      "[agent]\n\nintervall = 5m\n",
      {},
      [],
      /config\.ini:3: unknown setting agent\.intervall; \[agent\] takes interval, jitter, state_dir/,
    ],
    [
      "an unknown section",
      "config.ini",
      "[server]\nurl = x\n",
      {},
      [],
      /config\.ini:2: unknown setting server\.url; the sections are \[api\], \[agent\] and \[spool\]/,
    ],
    [
      "a key outside any section",
      "config.ini",
      "url = http://x\n",
      {},
      [],
      /config\.ini:1: url is outside any section/,
    ],
    [
      "a key set twice",
      "config.ini",
      "[api]\nurl = a\nurl = b\n",
      {},
      [],
      /config\.ini:3: api\.url is set twice \(first on line 2\)/,
    ],
    [
      "a line that is no setting",
      "config.ini",
      "[api]\njust words\n",
      {},
      [],
      /config\.ini:2: expected "key = value"/,
    ],
    [
      "broken JSON",
      "config.json",
      '{\n  "api": {\n    "url": "x",\n  }\n}',
      {},
      [],
      /config\.json:4: not valid JSON/,
    ],
    [
      "a bad value in a JSON file",
      "config.json",
      '{\n  "spool": {\n    "max_reports": "many"\n  }\n}',
      {},
      [],
      /spool\.max_reports \(.*config\.json:3\) must be a whole number from 1 to 1000000, not "many"/,
    ],
    [
      "a JSON section that is no object",
      "config.json",
      '{"api": "http://x"}',
      {},
      [],
      /config\.json:1: api must be an object/,
    ],
    [
      "a bad URL in the file",
      "config.ini",
      "[api]\nurl = api.local\n",
      {},
      [],
      /api\.url \(.*config\.ini:2\) is not a URL/,
    ],
    [
      "a port without ip in the file",
      "config.ini",
      "[api]\npuerto = 80\n",
      {},
      [],
      /api\.puerto \(.*config\.ini:2\) is set but api\.ip is not/,
    ],
    [
      "a bad variable",
      "config.ini",
      "",
      { COMPLIANCE_INTERVAL: "soon" },
      [],
      /COMPLIANCE_INTERVAL must be a duration/,
    ],
    [
      "a bad boolean variable",
      "config.ini",
      "",
      { COMPLIANCE_CMDLINE: "maybe" },
      [],
      /COMPLIANCE_CMDLINE must be true or false/,
    ],
    [
      "a bad flag",
      "config.ini",
      "",
      {},
      ["run", "--once", "--spool-max-bytes", "12"],
      /--spool-max-bytes must be a size of at least 65536 bytes/,
    ],
    [
      "a jitter longer than the interval",
      "config.ini",
      "",
      {},
      ["run", "--interval", "1m", "--jitter", "2m"],
      /--jitter must be a duration from 0ms to 1m/,
    ],
    [
      "a bad log level",
      "config.ini",
      "[agent]\nlog_level = loud\n",
      {},
      [],
      /agent\.log_level \(.*config\.ini:2\) must be one of error, warn, info, debug/,
    ],
  ];
  for (const [what, name, text, env, args, message] of bad) {
    test(`${what}: exit 2 and a message naming it`, async () => {
      const configDir = mkdtempSync(join(dir, "bad-"));
      writeFileSync(join(configDir, name), text);
      const out = captureIo({ HOME: dir, ...env });
      const argv = args[0] === "run" ? args : ["collect", "--cpu-window", "0", ...args];
      const code = await runCli(argv, { ...out.io, configDir });
      assert.equal(code, 2, out.stderr());
      assert.match(out.stderr(), message);
      assert.equal(out.stderr().trimEnd().split("\n").length, 1, "one line");
      assert.equal(out.stdout(), "");
    });
  }

  test("--config names the file; a missing one is an error, both defaults at once too", async () => {
    const configDir = mkdtempSync(join(dir, "explicit-"));
    const file = join(configDir, "agent.conf");
    writeFileSync(file, "[agent]\ncmdline = false\n");
    const config = loadConfig({ flags: { config: file }, env: {}, uid: 0, cwd: "/" });
    assert.equal(config.cmdline, false);
    assert.equal(config.configFile, file);
    assert.equal(
      loadConfig({ flags: {}, env: { COMPLIANCE_CONFIG: file }, uid: 0, cwd: "/" }).configFile,
      file,
    );
    assert.throws(
      () =>
        loadConfig({ flags: { config: join(configDir, "none.ini") }, env: {}, uid: 0, cwd: "/" }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /cannot read the configuration file .*none\.ini \(ENOENT\)/.test(e.message),
    );
    mkdirSync(join(configDir, "both"));
    writeFileSync(join(configDir, "both", "config.ini"), "");
    writeFileSync(join(configDir, "both", "config.json"), "{}");
    assert.throws(
      () =>
        loadConfig({ flags: {}, env: {}, uid: 0, cwd: "/", configDir: join(configDir, "both") }),
      /both .*config\.json and .*config\.ini exist/,
    );
  });
});
