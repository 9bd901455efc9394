import type {
  ReportAccount,
  ReportListening,
  ReportPackage,
  ReportService,
} from "@compliance/contract";
import { requestPath } from "../api.ts";
import type { SectionSpec } from "./inventory-panel.tsx";

const dash = <span class="muted">—</span>;

export const PACKAGES: SectionSpec<ReportPackage> = {
  id: "packages",
  label: "Packages",
  param: "pk",
  one: "package",
  many: "packages",
  placeholder: "Name or version",
  defaultSort: "name",
  none: "No package is installed: the agent listed the packages and found none.",
  notNone: "This does not mean that no package is installed.",
  columns: [
    { key: "name", label: "Name", cell: (p) => <span class="strong">{p.name}</span> },
    { key: "version", label: "Version", cell: (p) => <span class="mono">{p.version}</span> },
    { key: "arch", label: "Architecture", optional: true, cell: (p) => p.arch ?? dash },
    { key: "source", label: "Source", cell: (p) => p.source },
  ],
  rowKey: (p) => `${p.source} ${p.name} ${p.arch ?? ""} ${p.version}`,
  path: (id, query) => requestPath("hostPackages", { params: { id }, query }),
  load: (client, id, query, signal) =>
    client.get("hostPackages", { params: { id }, query }, signal),
};

export const LISTENING: SectionSpec<ReportListening> = {
  id: "listening",
  label: "Listening",
  param: "ls",
  one: "socket",
  many: "listening sockets",
  placeholder: "Protocol, address, port or process",
  defaultSort: "port",
  none: "Nothing is listening: the agent listed the sockets and found none.",
  notNone: "This does not mean that nothing is listening.",
  columns: [
    { key: "protocol", label: "Protocol", cell: (l) => l.protocol },
    { key: "address", label: "Address", cell: (l) => <span class="mono">{l.address}</span> },
    { key: "port", label: "Port", num: true, cell: (l) => <span class="mono">{l.port}</span> },
    {
      key: "process",
      label: "Process",
      // The agent sees the owner of a socket only when it may read that process.
      cell: (l) => (l.process ? <span class="strong">{l.process}</span> : dash),
    },
    { key: "pid", label: "PID", num: true, optional: true, cell: (l) => l.pid ?? dash },
  ],
  rowKey: (l) => `${l.protocol} ${l.address} ${l.port}`,
  path: (id, query) => requestPath("hostListening", { params: { id }, query }),
  load: (client, id, query, signal) =>
    client.get("hostListening", { params: { id }, query }, signal),
};

/** How a password reads, from the agent's summary of /etc/shadow (never the hash). */
function passwordOf(a: ReportAccount) {
  switch (a.password) {
    case "set":
      return "set";
    case "locked":
      return "locked";
    case "empty":
      return <span class="minus-text strong">empty: none needed</span>;
    case "none":
      return <span class="muted">no shadow entry</span>;
    default:
      return <span class="muted">unknown</span>;
  }
}

export const ACCOUNTS: SectionSpec<ReportAccount> = {
  id: "accounts",
  label: "Accounts",
  param: "ac",
  one: "account",
  many: "accounts",
  placeholder: "Name, home or shell",
  // root first, then system accounts, then people.
  defaultSort: "uid",
  none: "No account: the agent read the accounts and found none.",
  notNone: "This does not mean that the host has no accounts.",
  columns: [
    { key: "name", label: "Name", cell: (a) => <span class="strong">{a.name}</span> },
    { key: "uid", label: "UID", num: true, cell: (a) => a.uid },
    { key: "gid", label: "GID", num: true, optional: true, cell: (a) => a.gid },
    {
      key: "home",
      label: "Home",
      optional: true,
      cell: (a) => <span class="mono">{a.home || "—"}</span>,
    },
    { key: "shell", label: "Shell", cell: (a) => <span class="mono">{a.shell || "—"}</span> },
    { key: "password", label: "Password", cell: passwordOf },
  ],
  rowKey: (a) => a.name,
  path: (id, query) => requestPath("hostAccounts", { params: { id }, query }),
  load: (client, id, query, signal) =>
    client.get("hostAccounts", { params: { id }, query }, signal),
};

export function serviceState(state: string) {
  if (state === "active") return <span class="plus-text">active</span>;
  if (state === "failed") return <span class="minus-text strong">failed</span>;
  return state;
}

export function bootText(enabled: boolean | undefined): string {
  return enabled === undefined ? "—" : enabled ? "enabled" : "disabled";
}

export const SERVICES: SectionSpec<ReportService> = {
  id: "services",
  label: "Services",
  param: "sv",
  one: "service",
  many: "services",
  placeholder: "Name or state",
  defaultSort: "name",
  none: "No service: the agent listed the services and found none.",
  notNone: "This does not mean that no service runs.",
  columns: [
    { key: "name", label: "Name", cell: (s) => <span class="strong">{s.name}</span> },
    { key: "state", label: "State", cell: (s) => serviceState(s.state) },
    {
      key: "enabled",
      label: "At boot",
      // Absent for units without an install state (static units, started by others).
      cell: (s) => (s.enabled === undefined ? dash : bootText(s.enabled)),
    },
  ],
  rowKey: (s) => s.name,
  path: (id, query) => requestPath("hostServices", { params: { id }, query }),
  load: (client, id, query, signal) =>
    client.get("hostServices", { params: { id }, query }, signal),
};

export const SECTIONS = {
  packages: PACKAGES,
  listening: LISTENING,
  accounts: ACCOUNTS,
  services: SERVICES,
} as const;
export type SectionId = keyof typeof SECTIONS;
