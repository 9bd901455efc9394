import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { type RunningServer, startServer } from "../../src/server.ts";

export const ADMIN = "hardening-admin-token-0123456789";
export const SECRET = "hardening-enroll-secret-0123456789";

export interface StartedServer {
  server: RunningServer;
  dir: string;
  /** What the server printed for the operator. */
  printed: string[];
  /** Its log lines (JSON). */
  logs: string[];
  port: number;
  close(): Promise<void>;
}

/**
 * A real API listening on a free loopback port, on a fresh SQLite file in a directory of
 * its own, with known secrets; `env` adds or overrides settings.
 */
export async function startHttpServer(
  env: Record<string, string> = {},
  options: { consoleDir?: string | null; secrets?: boolean } = {},
): Promise<StartedServer> {
  const dir = mkdtempSync(join(tmpdir(), "compliance-http-"));
  const printed: string[] = [];
  const logs: string[] = [];
  const server = await startServer(
    loadConfig({
      PORT: "0",
      COMPLIANCE_DATA_DIR: join(dir, "data"),
      ...(options.secrets === false
        ? {}
        : { COMPLIANCE_ADMIN_TOKEN: ADMIN, COMPLIANCE_ENROLL_SECRET: SECRET }),
      COMPLIANCE_STARTER_POLICIES: "0",
      LOG_LEVEL: "warn",
      ...env,
    }),
    {
      consoleDir: options.consoleDir ?? null,
      print: (line) => printed.push(line),
      logStream: { write: (line: string) => logs.push(line) },
    },
  );
  return {
    server,
    dir,
    printed,
    logs,
    port: Number(new URL(server.url).port),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Enrolls a host over HTTP; returns its node key. */
export async function enrollHost(url: string, identifier: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enroll_secret: SECRET, host_identifier: identifier }),
  });
  if (r.status !== 200) throw new Error(`enroll answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { node_key: string }).node_key;
}

/** POSTs a JSON text as it is. */
export function postText(
  url: string,
  text: string,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  return fetch(url, { method: "POST", headers, body: text });
}

/** A raw TCP connection to the server, with everything it received so far. */
export interface RawConnection {
  socket: Socket;
  received(): string;
  /** Resolves when the server has closed the connection (or it failed). */
  closed: Promise<void>;
  /** Sends a request and resolves with the answer's status line once one has arrived. */
  request(text: string): Promise<string>;
}

export function openRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    let waiting: { from: number; done: (line: string) => void } | null = null;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (waiting) {
        const answer = data.slice(waiting.from);
        const end = answer.indexOf("\r\n\r\n");
        const length = /content-length:\s*(\d+)/i.exec(answer)?.[1];
        if (end !== -1 && length !== undefined && answer.length >= end + 4 + Number(length)) {
          const w = waiting;
          waiting = null;
          w.done(answer.slice(0, answer.indexOf("\r\n")));
        }
      }
    });
    const closed = new Promise<void>((done) => {
      socket.on("close", () => done());
      socket.on("error", () => done());
    });
    socket.once("connect", () =>
      resolve({
        socket,
        received: () => data,
        closed,
        request: (text) =>
          new Promise((done) => {
            waiting = { from: data.length, done };
            socket.write(text);
          }),
      }),
    );
    socket.once("error", reject);
  });
}
