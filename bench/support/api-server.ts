// A real API process for benchmarks: the app of `buildApp` on the given database, plus
// POST /bench/noop, which validates the same report body and answers the same shape
// without storing anything: the framework's own ceiling for that request.

import { createWriteStream } from "node:fs";
import { ReportAcceptedSchema, ReportSchema } from "@compliance/contract";
import { buildApp } from "../../packages/api/src/app.ts";
import { hashSecret } from "../../packages/api/src/auth.ts";
import { loadConfig } from "../../packages/api/src/config.ts";
import { createLoggers } from "../../packages/api/src/logging.ts";
import { openStore } from "../../packages/api/src/store/sql-store.ts";
import { BENCH_ADMIN, BENCH_SECRET } from "./secrets.ts";

const url = process.argv[2] ?? "sqlite::memory:";
const config = loadConfig(process.env);
const store = openStore({
  url,
  poolSize: config.databasePoolSize,
  sqliteSynchronous: config.sqliteSynchronous,
});
await store.migrate();
// BENCH_LOG_LEVEL=info writes the request log (to /dev/null), to measure what it costs.
const logLevel = process.env.BENCH_LOG_LEVEL;
const app = await buildApp({
  store,
  config,
  ...(logLevel
    ? { loggerInstance: createLoggers(logLevel, createWriteStream("/dev/null")).log }
    : {}),
  secrets: { adminTokenHash: hashSecret(BENCH_ADMIN), enrollSecretHash: hashSecret(BENCH_SECRET) },
});
app.post(
  "/bench/noop",
  { schema: { body: ReportSchema, response: { 201: ReportAcceptedSchema } } },
  async (request, reply) => {
    reply.code(201);
    return {
      status: "stored" as const,
      report_id: request.body.report_id,
      host_id: 0,
      received_at: new Date().toISOString(),
    };
  },
);
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`,
);
process.on("SIGTERM", async () => {
  await app.close();
  await store.close();
  process.exit(0);
});
