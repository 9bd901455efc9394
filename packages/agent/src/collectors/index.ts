import { cpuCollector } from "./cpu.ts";
import { hostnameCollector } from "./hostname.ts";
import { identifierCollector } from "./identifier.ts";
import { memoryCollector } from "./memory.ts";
import { networkCollector } from "./network.ts";
import { osCollector } from "./os.ts";
import { processesCollector } from "./processes.ts";
import { sessionsCollector } from "./sessions.ts";
import type { Collector } from "./types.ts";

export type CollectorRegistry = Readonly<Record<string, Collector>>;

/**
 * Every collector by name. The name is what the report's `errors` entries say; a new
 * collector is a new file and one line here.
 */
export const COLLECTORS: CollectorRegistry = Object.freeze({
  identifier: identifierCollector,
  hostname: hostnameCollector,
  network: networkCollector,
  os: osCollector,
  cpu: cpuCollector,
  memory: memoryCollector,
  processes: processesCollector,
  sessions: sessionsCollector,
});
