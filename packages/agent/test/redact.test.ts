import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  boundCmdline,
  formatCmdline,
  isSecretName,
  REDACTED,
  TRUNCATED_MARKER,
} from "../src/redact.ts";
import { shellCommands, shellQuoted } from "../src/shell-words.ts";
import { LEAK_GROUPS, LEAKS, type Leak, LOOK_ALIKES } from "./redact-corpus.ts";

const R = REDACTED;

describe("command line redaction", () => {
  const cases: [what: string, args: string[], expected: string][] = [
    ["--password=value", ["mysqld", "--password=hunter2"], `mysqld --password=${R}`],
    [
      "--password value",
      ["app", "--password", "hunter2", "--port", "80"],
      `app --password ${R} --port 80`,
    ],
    ["single-dash long flag", ["java", "-password", "s3"], `java -password ${R}`],
    [
      "--db-password and --api-key",
      ["svc", "--db-password=a", "--api-key", "b"],
      `svc --db-password=${R} --api-key ${R}`,
    ],
    [
      "--token= and --secret",
      ["agent", "--token=abc", "--client-secret", "xyz"],
      `agent --token=${R} --client-secret ${R}`,
    ],
    [
      "token= inside an argument",
      ["sh", "-c", "curl https://x/api?token=abc&page=2"],
      `sh -c curl https://x/api?token=${R}&page=2`,
    ],
    ["secret= bare", ["tool", "secret=abc", "mode=fast"], `tool secret=${R} mode=fast`],
    [
      "PGPASSWORD= env assignment",
      ["env", "PGPASSWORD=pw", "psql", "-h", "db"],
      `env PGPASSWORD=${R} psql -h db`,
    ],
    [
      "env assignments inside sh -c",
      ["sh", "-c", "MYSQL_PWD=x AWS_SECRET_ACCESS_KEY=y run"],
      `sh -c MYSQL_PWD=${R} AWS_SECRET_ACCESS_KEY=${R} run`,
    ],
    [
      "URL with user:pass@",
      ["pg_dump", "postgres://app:s3cr3t@db:5432/prod"],
      `pg_dump postgres://app:${R}@db:5432/prod`,
    ],
    ["URL password holding @", ["x", "--dsn=mysql://u:p@ss@db/x"], `x --dsn=mysql://u:${R}@db/x`],
    [
      "URL without password kept",
      ["git", "clone", "https://github.com/a/b.git"],
      "git clone https://github.com/a/b.git",
    ],
    [
      "mysql -psecret",
      ["/usr/bin/mysql", "-u", "root", "-phunter2", "db"],
      `/usr/bin/mysql -u root -p${R} db`,
    ],
    [
      "mysql -p alone prompts: nothing to hide",
      ["mysql", "-u", "root", "-p", "db"],
      "mysql -u root -p db",
    ],
    ["sshpass -p secret", ["sshpass", "-p", "hunter2", "ssh", "host"], `sshpass -p ${R} ssh host`],
    ["redis-cli -a secret", ["redis-cli", "-a", "pw", "ping"], `redis-cli -a ${R} ping`],
    ["ssh -p is a port", ["ssh", "-p", "2222", "host"], "ssh -p 2222 host"],
    ["curl -u user:pass", ["curl", "-u", "bob:pw", "https://x"], `curl -u bob:${R} https://x`],
    [
      "Authorization header",
      ["curl", "-H", "Authorization: Bearer abc.def", "https://x"],
      `curl -H Authorization: Bearer ${R} https://x`,
    ],
    [
      "API key header",
      ["curl", "-H", "X-Api-Key: abc", "https://x"],
      `curl -H X-Api-Key: ${R} https://x`,
    ],
    [
      "JVM property",
      ["java", "-Djavax.net.ssl.keyStorePassword=changeit", "-jar", "a.jar"],
      `java -Djavax.net.ssl.keyStorePassword=${R} -jar a.jar`,
    ],
    [
      "conninfo string",
      ["psql", "host=db password=pw dbname=x"],
      `psql host=db password=${R} dbname=x`,
    ],
    [
      "mount options",
      ["mount", "-o", "username=bob,password=pw,vers=3", "//s/x", "/mnt"],
      `mount -o username=bob,password=${R},vers=3 //s/x /mnt`,
    ],
    [
      "the agent's own secret",
      ["node", "agent.js", "run", "--enroll-secret", "s"],
      `node agent.js run --enroll-secret ${R}`,
    ],
    [
      "a file holding the secret is not the secret",
      ["app", "--password-file", "/run/secrets/pw"],
      "app --password-file /run/secrets/pw",
    ],
    [
      "--password-stdin takes no value",
      ["docker", "login", "--password-stdin", "-u", "bob"],
      "docker login --password-stdin -u bob",
    ],
    [
      "look-alikes are kept",
      ["llm", "--max-tokens=100", "--tokenizer", "bert", "--bypass=1", "--auth-required"],
      "llm --max-tokens=100 --tokenizer bert --bypass=1 --auth-required",
    ],
    ["PWD is a directory", ["env", "PWD=/home/x", "ls"], "env PWD=/home/x ls"],
  ];
  for (const [what, args, expected] of cases) {
    test(what, () => assert.equal(formatCmdline(args, 4096), expected));
  }

  test("secret names", () => {
    for (const name of [
      "password",
      "--password",
      "PGPASSWORD",
      "client_secret",
      "auth-token",
      "apikey",
      "api_key",
      "pass",
      "MYSQL_PWD",
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
    for (const name of [
      "secretKey",
      "accessToken",
      "--oauth2-bearer",
      "X-Auth-Token",
      "Cookie",
      "storepass",
      "SSHPASS",
      "vault_secret_id",
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
    for (const name of [
      "--token-count",
      "--authorization-mode",
      "--no-password-prompt",
      "--enable-auth",
      "--credential-helper",
      "PasswordAuthentication",
      "pid",
      "max-tokens",
      "passwordless",
      "bypass",
      "secret-file",
      "path",
      "PWD",
    ]) {
      assert.equal(isSecretName(name), false, name);
    }
  });
});

describe("command line redaction: a corpus of secrets and look-alikes", () => {
  test("the corpus is large and every case distinct", () => {
    const distinct = (lines: readonly (readonly string[])[]) =>
      new Set(lines.map((args) => JSON.stringify(args))).size;
    assert.ok(LEAKS.length >= 100, `${LEAKS.length} secret shapes`);
    assert.equal(distinct(LEAKS.map((c) => c.args)), LEAKS.length);
    assert.ok(LOOK_ALIKES.length >= 50, `${LOOK_ALIKES.length} look-alikes`);
    assert.equal(distinct(LOOK_ALIKES), LOOK_ALIKES.length);
    const secrets = LEAKS.flatMap((c) => c.secrets);
    assert.equal(new Set(secrets).size, secrets.length, "every secret unique");
  });

  /** What is wrong with the redaction of one case, if anything. */
  const problemsOf = ({ args, secrets, keep }: Leak): string[] => {
    const out = formatCmdline(args, 4096);
    const problems = secrets
      .filter((secret) => out.includes(secret))
      .map((secret) => `${secret} leaked`);
    if (!out.includes(REDACTED)) problems.push("nothing redacted");
    if (!out.startsWith(args[0]!)) problems.push("the program is gone");
    problems.push(...keep.filter((part) => !out.includes(part)).map((part) => `${part} is gone`));
    return problems.map((problem) => `${JSON.stringify(args)} → ${out}: ${problem}`);
  };

  // One test per group, each case checked and every failure listed: thousands of tiny
  // tests would only make the report longer.
  for (const [group, leaks] of Object.entries(LEAK_GROUPS)) {
    test(`secrets removed, the rest kept: ${group} (${leaks.length} shapes)`, () => {
      assert.deepEqual(leaks.flatMap(problemsOf), []);
    });
  }

  test(`look-alikes kept exactly as they are (${LOOK_ALIKES.length})`, () => {
    const changed = LOOK_ALIKES.map((args) => [args.join(" "), formatCmdline(args, 4096)]).filter(
      ([input, output]) => input !== output,
    );
    assert.deepEqual(changed, []);
  });
});

describe("shell words", () => {
  test("quotes and escapes removed, commands split at ; && | $( and new lines, positions kept", () => {
    const script = `A=1 mysql -p'x y' "a\\"b" c\\ d; echo $(id -u) && ls | wc -l # gone\nexit`;
    const commands = shellCommands(script);
    assert.deepEqual(
      commands.map((words) => words.map((w) => w.value)),
      [
        ["A=1", "mysql", "-px y", 'a"b', "c d"],
        ["echo"],
        ["id", "-u"],
        ["ls"],
        ["wc", "-l"],
        ["exit"],
      ],
    );
    const quoted = commands[0]![3]!;
    assert.equal(script.slice(quoted.start, quoted.end), '"a\\"b"');
    assert.equal(quoted.quote, '"');
  });

  test("a replacement is quoted the way the word was", () => {
    assert.equal(shellQuoted("it's", "'"), "'it'\\''s'");
    assert.equal(shellQuoted('say "$x"', '"'), '"say \\"\\$x\\""');
    assert.equal(shellQuoted("plain", ""), "plain");
  });
});

describe("command line bound", () => {
  test("short lines are untouched", () => {
    assert.equal(boundCmdline("abc", 10), "abc");
  });

  test("long lines are cut to the bound with a marker", () => {
    const long = "x".repeat(10_000);
    const cut = boundCmdline(long, 4096);
    assert.equal(cut.length, 4096);
    assert.ok(cut.endsWith(TRUNCATED_MARKER));
  });

  test("a surrogate pair is not split", () => {
    const text = "a".repeat(4096 - TRUNCATED_MARKER.length - 1) + "😀".repeat(10);
    const cut = boundCmdline(text, 4096);
    assert.ok(cut.length <= 4096);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut), "no lone high surrogate");
    assert.ok(cut.endsWith(`a${TRUNCATED_MARKER}`));
  });

  test("redaction happens before the cut: a secret at the edge never leaks", () => {
    const args = ["app", "a".repeat(4080), "--password=topsecretvalue"];
    assert.ok(!formatCmdline(args, 4096).includes("topsecret"));
  });
});
