import { GROUP_KEYS, type Policy } from "@compliance/contract";
import type { HistoryNeeds, InventoryKindName } from "../store/store.ts";

/** What each condition kind reads of an execution besides its facts. */
const READS: Record<string, { inventory?: InventoryKindName; processes?: true; sessions?: true }> =
  {
    process: { processes: true },
    session: { sessions: true },
    package: { inventory: "package" },
    listening: { inventory: "listening" },
    account: { inventory: "account" },
    service: { inventory: "service" },
    sysctl: { inventory: "sysctl" },
    sshd: { inventory: "sshd" },
    file: { inventory: "file" },
  };

/** Fields of a process condition that need each execution's CPU % and RSS. */
const METRIC_FIELDS = ["cpu_percent", "rss_bytes"];
/** Fields of a host condition that move at every execution, not with its facts. */
const PER_EXECUTION_HOST_FIELDS = ["cpu_usage_percent", "memory_available_bytes"];

/**
 * What a policy reads of an execution, so that evaluating it over a host's whole history
 * rebuilds only that, and only re-evaluates executions where it changed. A policy with a
 * freshness condition depends on every execution's time as well.
 */
export function needsOf(policy: Policy): HistoryNeeds & { everyExecution: boolean } {
  const needs = {
    processes: false,
    metrics: false,
    sessions: false,
    inventory: new Set<InventoryKindName>(),
    everyExecution: false,
  };
  const visit = (node: unknown): void => {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if ((GROUP_KEYS as readonly string[]).includes(key)) {
        for (const child of value as unknown[]) visit(child);
        continue;
      }
      const reads = READS[key];
      if (reads?.processes) needs.processes = true;
      if (reads?.sessions) needs.sessions = true;
      if (reads?.inventory) needs.inventory.add(reads.inventory);
      if (key === "process" && METRIC_FIELDS.some((f) => f in (value as object))) {
        needs.metrics = true;
      }
      if (key === "freshness") needs.everyExecution = true;
      if (key === "host" && PER_EXECUTION_HOST_FIELDS.some((f) => f in (value as object))) {
        needs.everyExecution = true;
      }
    }
  };
  visit(policy.check);
  return { ...needs, inventory: [...needs.inventory] };
}

/** Whether a policy reads the execution before the one evaluated (freshness does). */
export function readsPreviousExecution(policy: Policy): boolean {
  const visit = (node: unknown): boolean =>
    Object.entries(node as Record<string, unknown>).some(([key, value]) =>
      (GROUP_KEYS as readonly string[]).includes(key)
        ? (value as unknown[]).some(visit)
        : key === "freshness",
    );
  return visit(policy.check);
}
