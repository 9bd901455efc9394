// What the worst bodies the API accepts to read cost everyone else: /health latency while
// one client keeps posting them, against the same latency on a quiet server, and the API
// process's resident memory. The API runs in a child process (`compliance-api start`), so
// the client's own work is not measured with it.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROCESS_ENROLL_SECRET, startApiProcess } from "./support/api-process.ts";
import { fmt, percentile, table } from "./support/harness.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

// Run as `hardening.bench.ts --flood <url> <body file> <headers JSON> <seconds>`: posts the
// body over and over, then prints the answer times and the last answer as JSON. The flood
// runs in a process of its own, so its work never delays the /health client.
if (process.argv[2] === "--flood") {
  const [, , , target, file, headers, seconds] = process.argv;
  const body = readFileSync(file!);
  const times: number[] = [];
  let last = "";
  const end = performance.now() + Number(seconds) * 1000;
  while (performance.now() < end) {
    const began = performance.now();
    const r = await fetch(target!, { method: "POST", headers: JSON.parse(headers!), body });
    const answer = (await r.json()) as { error?: { code?: string } };
    times.push(performance.now() - began);
    last = `${r.status} ${answer.error?.code ?? ""}`;
  }
  process.stdout.write(JSON.stringify({ times, last }));
  process.exit(0);
}
const { url, child, dir, stop } = await startApiProcess({
  COMPLIANCE_LEGACY_INGEST: "1",
  COMPLIANCE_RATE_LIMIT_REPORTS: "0",
});
const ENROLL_SECRET = PROCESS_ENROLL_SECRET;

/** Resident and peak memory of the API process, in MB (Linux). */
function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

const enrolled = (await (
  await fetch(`${url}/api/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enroll_secret: ENROLL_SECRET, host_identifier: "bench" }),
  })
).json()) as { node_key: string };

const MB = 1024 * 1024;
/** Just under the 8 MiB report limit. */
const BODY = 8 * MB - 4096;
const payloads: { name: string; url: string; headers: Record<string, string>; body: string }[] = [
  {
    name: "report: one array of 4 million items",
    url: "/api/v1/reports",
    headers: { authorization: `Bearer ${enrolled.node_key}` },
    body: `{"host":{"ip_addresses":[${"0,".repeat(BODY / 2 - 40)}0]}}`,
  },
  {
    name: "report: 160 arrays of 25,000 items (each within the item limit)",
    url: "/api/v1/reports",
    headers: { authorization: `Bearer ${enrolled.node_key}` },
    body: `{"x":[${Array.from({ length: 160 }, () => `[${"0,".repeat(24_999)}0]`).join(",")}]}`,
  },
  {
    name: "legacy: nested 4 million levels",
    url: "/servers",
    headers: {},
    body: `${"[".repeat(BODY / 2)}${"]".repeat(BODY / 2)}`,
  },
  {
    name: "legacy: one array of 4 million items",
    url: "/",
    headers: {},
    body: `{"Processes":[${"0,".repeat(BODY / 2 - 40)}0]}`,
  },
];

async function healthLatencies(until: () => boolean): Promise<number[]> {
  const ms: number[] = [];
  while (!until()) {
    const began = performance.now();
    await (await fetch(`${url}/health`)).arrayBuffer();
    ms.push(performance.now() - began);
  }
  return ms;
}

const rows: (string | number)[][] = [];
// Warm up first, so the quiet baseline is not the JIT's first requests.
await healthLatencies(
  (
    (n) => () =>
      n-- <= 0
  )(500),
);
const quietEnd = performance.now() + SECONDS * 1000;
const quiet = await healthLatencies(() => performance.now() > quietEnd);
const quietP99 = percentile(quiet, 99);
const before = memory();
rows.push([
  "quiet server",
  "—",
  "—",
  "—",
  fmt(percentile(quiet, 50), 2),
  fmt(quietP99, 2),
  fmt(Math.max(...quiet), 1),
  "1.0×",
  fmt(before.rss, 0),
]);
for (const p of payloads) {
  const body = Buffer.from(p.body);
  const file = join(dir, "payload.json");
  writeFileSync(file, body);
  const end = performance.now() + SECONDS * 1000;
  const headers = JSON.stringify({ "content-type": "application/json", ...p.headers });
  const flooder = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      new URL(import.meta.url).pathname,
      "--flood",
      `${url}${p.url}`,
      file,
      headers,
      String(SECONDS),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  flooder.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const flood = new Promise<{ times: number[]; last: string }>((resolve) =>
    flooder.once("exit", () => resolve(JSON.parse(output))),
  );
  const under = await healthLatencies(() => performance.now() > end);
  const { times: rejections, last } = await flood;
  const p99 = percentile(under, 99);
  rows.push([
    p.name,
    `${fmt(body.length / MB, 1)} MB`,
    last,
    fmt(percentile(rejections, 50), 1),
    fmt(percentile(under, 50), 2),
    fmt(p99, 2),
    fmt(Math.max(...under), 1),
    `${fmt(p99 / quietP99, 1)}×`,
    fmt(memory().rss, 0),
  ]);
}
const after = memory();
console.log(
  table(
    [
      "while posting",
      "body",
      "answer",
      "answer ms p50",
      "/health ms p50",
      "p99",
      "max",
      "p99 / quiet",
      "API RSS MB",
    ],
    rows,
  ),
);
console.log(
  `\nAPI process: RSS ${fmt(before.rss, 0)} MB before, ${fmt(after.rss, 0)} MB after, peak ${fmt(after.peak, 0)} MB; ${SECONDS} s per row.`,
);
await stop();
