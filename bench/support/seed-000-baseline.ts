// The baseline of the check-in benchmark (bench/checkins.bench.ts): what seed 000's Flask
// API did with a check-in (see shared/seeds/FORMATS.md), in plain node:http.
// POST /api/v1/compliance/system_info (or systeminfo) parses the JSON body and writes it to
// a JSON file of its own, named after the host's address and the time (plus a counter, so
// that two check-ins in one second are two files), and answers 201 {"status":"OK"}. No
// database, no validation, no authentication.
//
// Run as a process of its own: `node --import tsx seed-000-baseline.ts <directory>`; it
// prints `Seed 000 baseline on http://127.0.0.1:<port>` once it listens.
import { mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: seed-000-baseline.ts <directory for the files>");
mkdirSync(dir, { recursive: true });

const ROUTES = new Set(["/api/v1/compliance/system_info", "/api/v1/compliance/systeminfo"]);
let written = 0;

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** ip_YYYY_MM_DD_H_M_S, as seed 000 named its files. */
function fileName(ip: string, at: Date): string {
  const parts = [
    at.getUTCFullYear(),
    String(at.getUTCMonth() + 1).padStart(2, "0"),
    String(at.getUTCDate()).padStart(2, "0"),
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
  ];
  return `${ip.replace(/[^0-9A-Za-z.:]/g, "_")}_${parts.join("_")}_${++written}.json`;
}

const server = createServer((req, res) => {
  if (req.method !== "POST" || !ROUTES.has(req.url ?? "")) {
    answer(res, 404, { status_code: 404, message: "Not found" });
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    } catch {
      answer(res, 400, { status: "error", message: "the body is not JSON" });
      return;
    }
    // Seed 000's agent sent server_ip; our reports carry host.primary_ip.
    const host = body.host as { primary_ip?: unknown } | undefined;
    const ip = String(body.server_ip ?? host?.primary_ip ?? "unknown");
    writeFile(join(dir, fileName(ip, new Date())), JSON.stringify(body)).then(
      () => answer(res, 201, { status: "OK" }),
      (e: Error) => answer(res, 500, { status: "error", message: e.message }),
    );
  });
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`Seed 000 baseline on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
