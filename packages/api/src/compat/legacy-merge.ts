import type { Report, ReportProcess, ReportSession } from "@compliance/contract";
import type { Collector } from "./legacy-report.ts";

/**
 * Several seeds may report one address (one machine), each sending a different part of its
 * state: seed 000 sends processes without users, seed 001 with users; 001 sends no host
 * name, 000 does. Compared with each other, their reports would look like everything
 * changed at every check-in. So a legacy report takes, from the execution before it, what
 * its seed does not send: an empty text (host name, OS and CPU fields), a list it did not
 * send at all, a process's user or name (same pid, same name or user), the pids of a user's
 * sessions. Measurements (CPU and memory use) are never carried: they belong to one moment.
 */
export function carryOver(report: Report, base: Report | null): Report {
  if (!base || base.host.identifier !== report.host.identifier) return report;
  const out = structuredClone(report);
  const lacks = (c: Collector) => out.errors?.some((e) => e.collector === c) ?? false;
  const has = (c: Collector) => !(base.errors?.some((e) => e.collector === c) ?? false);
  const known = (c: Collector) => {
    out.errors = out.errors?.filter((e) => e.collector !== c);
  };

  if (out.host.hostname === "" && base.host.hostname !== "" && has("hostname")) {
    out.host.hostname = base.host.hostname;
    known("hostname");
  }
  const primary = out.host.primary_ip;
  if (out.host.ip_addresses.length === 1 && primary && base.host.ip_addresses.includes(primary)) {
    out.host.ip_addresses = [primary, ...base.host.ip_addresses.filter((ip) => ip !== primary)];
  }
  for (const key of ["platform", "name", "version", "kernel", "arch"] as const) {
    if (out.os[key] === "" && base.os[key] !== "") out.os[key] = base.os[key];
  }
  if (out.os.name !== "" || out.os.version !== "") known("os");
  if (out.cpu.model === "") out.cpu.model = base.cpu.model;
  if (out.cpu.vendor === "") out.cpu.vendor = base.cpu.vendor;
  if (out.cpu.cores === 0) out.cpu.cores = base.cpu.cores;

  if (lacks("processes") && has("processes")) {
    out.processes = base.processes;
    known("processes");
  } else {
    out.processes = out.processes.map((p) => processWith(p, base.processes));
  }
  if (lacks("sessions") && has("sessions")) {
    out.sessions = base.sessions;
    known("sessions");
  } else {
    out.sessions = sessionsWith(out.sessions, base.sessions);
  }
  out.agent = { ...out.agent, version: versionOf(out.agent.version, base.agent.version) };
  return out;
}

/** A process with the user or name its seed did not send, from the same process before. */
function processWith(p: ReportProcess, before: ReportProcess[]): ReportProcess {
  if (p.user !== "" && p.name !== "") return p;
  const same = before.find(
    (b) =>
      b.pid === p.pid &&
      (p.name === "" || b.name === p.name) &&
      (p.user === "" || b.user === p.user),
  );
  if (!same) return p;
  return { ...p, name: p.name || same.name, user: p.user || same.user };
}

/** Sessions with no pid take the pids the user's sessions had before (another seed sent them). */
function sessionsWith(sessions: ReportSession[], before: ReportSession[]): ReportSession[] {
  const out: ReportSession[] = [];
  const seen = new Set<string>();
  const add = (s: ReportSession) => {
    const key = JSON.stringify([s.user, s.terminal, s.pid ?? null]);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  };
  for (const s of sessions) {
    const earlier = s.pid === undefined ? before.filter((b) => b.user === s.user) : [];
    if (earlier.length > 0) for (const b of earlier) add(b);
    else add(s);
  }
  return out;
}

/** `legacy-000+001`: the seeds that report a host, in order, so taking turns changes nothing. */
function versionOf(mine: string, before: string): string {
  const seeds = (v: string) => (v.startsWith("legacy-") ? v.slice(7).split("+") : []);
  const all = [...new Set([...seeds(before), ...seeds(mine)])].sort();
  return all.length > 0 && seeds(mine).length > 0 ? `legacy-${all.join("+")}` : mine;
}
