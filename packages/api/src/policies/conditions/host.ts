import type { Report } from "@compliance/contract";
import type { PreparedContext } from "../context.ts";
import { parseIp } from "../ip.ts";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

/** A field read from one collector's part of the report: unknown when that collector failed. */
const from =
  <T>(collector: string, read: (report: Report) => T) =>
  (report: Report, context: PreparedContext): T | undefined =>
    context.failed([collector]) ? undefined : read(report);

const hostname = from("hostname", (r) => r.host.hostname || undefined);
const cpu = from("cpu", (r) => r.cpu);
const memory = from("memory", (r) => r.memory);

/**
 * Facts of the host: name, addresses, CPU and memory. Each field depends on its own
 * collector; `address` holds when any of the host's addresses is in the given ranges, and is
 * tested one address at a time.
 */
export const hostCondition: ConditionDefinition<"host"> = {
  compile: (fields, path) => {
    const { address, ...facts } = fields;
    const single = compileFacts(facts, path);
    if (address === undefined) return single;
    // The address is a question about the list of the host's addresses: both must hold.
    const perAddress = compileAddresses({ address }, path);
    return (context) => {
      const a = single(context);
      if (a.value === false) return a;
      const b = perAddress(context);
      return b.value === false || a.value === true ? b : a;
    };
  },
};

const compileFacts = itemCondition<Report>({
  noun: ["host", "hosts"],
  collectors: [],
  items: (report) => [report],
  fields: {
    hostname: { type: "text", get: (r, c) => hostname(r, c) },
    cores: { type: "number", get: (r, c) => cpu(r, c)?.cores },
    cpu_model: { type: "text", get: (r, c) => cpu(r, c)?.model },
    cpu_vendor: { type: "text", get: (r, c) => cpu(r, c)?.vendor },
    cpu_usage_percent: { type: "number", get: (r, c) => cpu(r, c)?.usage_percent },
    memory_bytes: { type: "number", get: (r, c) => memory(r, c)?.total_bytes },
    memory_available_bytes: { type: "number", get: (r, c) => memory(r, c)?.available_bytes },
  },
  evidence: (r) => ({
    hostname: r.host.hostname,
    cores: r.cpu.cores,
    cpu_model: r.cpu.model,
    memory_bytes: r.memory.total_bytes,
    memory_available_bytes: r.memory.available_bytes,
  }),
});

const compileAddresses = itemCondition<string>({
  noun: ["host address", "host addresses"],
  collectors: ["network"],
  items: (report) => report.host.ip_addresses,
  fields: { address: { type: "address", get: (text) => parseIp(text) } },
  evidence: (text) => ({ address: text }),
});
