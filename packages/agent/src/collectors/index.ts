import { accountsCollector } from "./accounts.ts";
import { cpuCollector } from "./cpu.ts";
import { filesCollector } from "./files.ts";
import { hostnameCollector } from "./hostname.ts";
import { identifierCollector } from "./identifier.ts";
import { listeningCollector } from "./listening.ts";
import { memoryCollector } from "./memory.ts";
import { networkCollector } from "./network.ts";
import { osCollector } from "./os.ts";
import { packagesCollector } from "./packages.ts";
import { processesCollector } from "./processes.ts";
import { servicesCollector } from "./services.ts";
import { sessionsCollector } from "./sessions.ts";
import { sshdCollector } from "./sshd.ts";
import { sysctlCollector } from "./sysctl.ts";
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
  // The inventory sections (the contract's INVENTORY_COLLECTORS); each can be switched off.
  packages: packagesCollector,
  listening: listeningCollector,
  accounts: accountsCollector,
  services: servicesCollector,
  sysctl: sysctlCollector,
  sshd: sshdCollector,
  files: filesCollector,
});
