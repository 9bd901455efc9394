import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { DEFAULT_SENSITIVE_FILES } from "../src/collectors/files.ts";
import { type AgentConfig, type ConfigFlags, loadConfig } from "../src/config.ts";
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
      /config\.ini:2: unknown setting server\.url; the sections are \[api\], \[agent\], \[spool\] and \[collect\]/,
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

describe("switching inventory collectors off", () => {
  let dir: string;
  before(() => {
    dir = tempDir("agent-switches-");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const load = (
    name: string,
    text: string,
    env: Record<string, string> = {},
    flags: ConfigFlags = {},
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

  test("all on by default, every default sensitive file", () => {
    const config = load("config.ini", "[agent]\ninterval = 5m\n");
    assert.deepEqual(config.collectorsOff, []);
    assert.deepEqual(config.sensitiveFiles, DEFAULT_SENSITIVE_FILES);
  });

  test("file keys, then variables, then flags; the sensitive files as a list", () => {
    const text = [
      "[collect]",
      "packages = false",
      "sshd = off",
      "services = yes",
      "sensitive_files = /etc/shadow, /etc/passwd,/etc/shadow",
    ].join("\n");
    const fromFile = load("config.ini", text);
    assert.deepEqual(fromFile.collectorsOff, ["packages", "sshd"]);
    assert.deepEqual(fromFile.sensitiveFiles, ["/etc/shadow", "/etc/passwd"]);
    const withEnv = load("config.ini", text, {
      COMPLIANCE_COLLECT_SSHD: "true",
      COMPLIANCE_COLLECT_LISTENING: "0",
      COMPLIANCE_SENSITIVE_FILES: "/etc/crontab",
    });
    assert.deepEqual(withEnv.collectorsOff, ["packages", "listening"]);
    assert.deepEqual(withEnv.sensitiveFiles, ["/etc/crontab"]);
    const withFlags = load(
      "config.ini",
      text,
      {},
      {
        collect: { accounts: false, files: false },
        sensitiveFiles: "",
      },
    );
    assert.deepEqual(withFlags.collectorsOff, ["packages", "accounts", "sshd", "files"]);
    assert.deepEqual(withFlags.sensitiveFiles, []);
  });

  test("JSON has the same section", () => {
    const config = load("config.json", '{"collect": {"services": false, "sysctl": "no"}}');
    assert.deepEqual(config.collectorsOff, ["services", "sysctl"]);
  });

  test("a bad value names the key with its file and line; relative paths are refused", () => {
    assert.throws(
      () => load("config.ini", "[collect]\n\npackages = maybe\n"),
      /collect\.packages \(.*config\.ini:3\) must be true or false/,
    );
    assert.throws(
      () => load("config.ini", "[collect]\nsensitive_files = /etc/passwd, etc/shadow\n"),
      /collect\.sensitive_files \(.*config\.ini:2\) must be absolute paths separated by commas, not "etc\/shadow"/,
    );
    assert.throws(
      () => load("config.ini", "[collect]\nprocesses = false\n"),
      /unknown setting collect\.processes; \[collect\] takes packages, listening, accounts, services, sysctl, sshd, files, sensitive_files/,
    );
  });

  test("collect --no-<name> leaves those sections out; --pretty prints the others", async () => {
    const out = captureIo({ HOME: dir });
    const code = await runCli(
      ["collect", "--pretty", "--cpu-window", "0", "--no-packages", "--no-sysctl", "--no-services"],
      { ...out.io, configDir: dir },
    );
    assert.equal(code, 0, out.stderr());
    const report = JSON.parse(out.stdout());
    assert.equal(report.packages, undefined);
    assert.equal(report.services, undefined);
    assert.equal(report.settings.sysctl, undefined);
    assert.ok(report.listening.length > 0 && report.accounts.length > 0);
    assert.ok(Array.isArray(report.settings.files));
    const collectors = (report.errors as { collector: string }[]).map((e) => e.collector);
    assert.ok(!collectors.includes("services") && !collectors.includes("packages"));
  });
});
