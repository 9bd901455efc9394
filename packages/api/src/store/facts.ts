import { createHash } from "node:crypto";
import type { FactChange, Report } from "@compliance/contract";

/**
 * What an execution stores besides its lists, as the agent sent it: one row per distinct
 * set per host, which executions point at.
 */
export interface Facts {
  host: { hostname: string; primary_ip?: string; ip_addresses: string[] };
  os: Report["os"];
  cpu: { model: string; vendor: string; cores: number };
  memory: { total_bytes: number };
  agent: { version: string };
}

export function factsOf(report: Report): Facts {
  const host: Facts["host"] = {
    hostname: report.host.hostname,
    ip_addresses: report.host.ip_addresses,
  };
  if (report.host.primary_ip !== undefined) host.primary_ip = report.host.primary_ip;
  const { platform, name, version, kernel, arch } = report.os;
  return {
    host,
    // In a fixed order, so the same facts sent in another key order hash the same.
    os: { platform, name, version, kernel, arch },
    cpu: { model: report.cpu.model, vendor: report.cpu.vendor, cores: report.cpu.cores },
    memory: { total_bytes: report.memory.total_bytes },
    agent: { version: report.agent.version },
  };
}

/** The stored text of a facts set and its hash (the facts are deduplicated by it). */
export function factsBody(facts: Facts): { body: string; hash: string } {
  const body = JSON.stringify(facts);
  return { body, hash: createHash("sha256").update(body).digest("hex") };
}

/** Each fact compared by the diff, by dotted field name. */
const FACT_FIELDS: [string, (f: Facts) => unknown][] = [
  ["host.hostname", (f) => f.host.hostname],
  ["host.primary_ip", (f) => f.host.primary_ip ?? null],
  ["host.ip_addresses", (f) => f.host.ip_addresses],
  ["os.platform", (f) => f.os.platform],
  ["os.name", (f) => f.os.name],
  ["os.version", (f) => f.os.version],
  ["os.kernel", (f) => f.os.kernel],
  ["os.arch", (f) => f.os.arch],
  ["cpu.model", (f) => f.cpu.model],
  ["cpu.vendor", (f) => f.cpu.vendor],
  ["cpu.cores", (f) => f.cpu.cores],
  ["memory.total_bytes", (f) => f.memory.total_bytes],
  ["agent.version", (f) => f.agent.version],
];

/** The facts that differ between two executions. */
export function factChanges(before: Facts, after: Facts): FactChange[] {
  const out: FactChange[] = [];
  for (const [field, get] of FACT_FIELDS) {
    const a = get(before);
    const b = get(after);
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field, before: a, after: b });
  }
  return out;
}
