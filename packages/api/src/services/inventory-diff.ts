import {
  canonicalJson,
  type InventoryDiff,
  type Report,
  type ReportAccount,
  type ReportFileMode,
  type ReportListening,
  type ReportPackage,
  type ReportService,
} from "@compliance/contract";

// What changed in the inventory between two executions, from their sections as sent. A
// section that either side did not collect is unknown: nothing is said to have changed.

type Sections = Pick<Report, "packages" | "listening" | "accounts" | "services" | "settings">;

const byKey = <T>(items: readonly T[], key: (item: T) => string) =>
  new Map(items.map((item) => [key(item), item]));

/** Items only on one side, by their whole identity. */
function added<T>(from: readonly T[], to: readonly T[]): T[] {
  const before = new Set(from.map(canonicalJson));
  return to.filter((item) => !before.has(canonicalJson(item)));
}

/**
 * Items keyed by `key` on both sides but different (changed), and those keyed on one side
 * only (added, removed).
 */
function compareBy<T>(from: readonly T[], to: readonly T[], key: (item: T) => string) {
  const a = byKey(from, key);
  const b = byKey(to, key);
  const changed: { before: T; after: T }[] = [];
  for (const [k, after] of b) {
    const before = a.get(k);
    if (before && canonicalJson(before) !== canonicalJson(after)) changed.push({ before, after });
  }
  return {
    added: [...b].filter(([k]) => !a.has(k)).map(([, v]) => v),
    removed: [...a].filter(([k]) => !b.has(k)).map(([, v]) => v),
    changed,
  };
}

/**
 * Packages installed, removed and upgraded. A package whose name, architecture and source
 * stay and whose version moves is upgraded (or downgraded); when one name has several
 * versions at once (kernels), versions only appear and disappear.
 */
function packagesDiff(from: ReportPackage[], to: ReportPackage[]) {
  const identity = (p: ReportPackage) => canonicalJson([p.source, p.name, p.arch ?? null]);
  const removed = added(to, from);
  const installed = added(from, to);
  const count = (items: ReportPackage[]) => {
    const n = new Map<string, number>();
    for (const p of items) n.set(identity(p), (n.get(identity(p)) ?? 0) + 1);
    return n;
  };
  const [outs, ins, before, after] = [count(removed), count(installed), count(from), count(to)];
  const single = (k: string) =>
    outs.get(k) === 1 && ins.get(k) === 1 && before.get(k) === 1 && after.get(k) === 1;
  const upgraded = installed
    .filter((p) => single(identity(p)))
    .map((p) => ({ before: removed.find((r) => identity(r) === identity(p))!, after: p }));
  const moved = new Set(upgraded.map((u) => identity(u.after)));
  return {
    installed: installed.filter((p) => !moved.has(identity(p))),
    removed: removed.filter((p) => !moved.has(identity(p))),
    upgraded,
  };
}

/** Settings changed: each parameter, option or file whose value differs. */
function settingsChanges(from: Report["settings"] & object, to: Report["settings"] & object) {
  const changes: NonNullable<InventoryDiff["settings"]>["changed"] = [];
  for (const section of ["sysctl", "sshd"] as const) {
    const a = from[section];
    const b = to[section];
    if (!a || !b) continue;
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[key] !== b[key]) {
        changes.push({ section, key, before: a[key] ?? null, after: b[key] ?? null });
      }
    }
  }
  if (from.files && to.files) {
    const text = (f: ReportFileMode | undefined) => (f ? `${f.mode} ${f.uid}:${f.gid}` : null);
    const a = byKey(from.files, (f) => f.path);
    const b = byKey(to.files, (f) => f.path);
    for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const before = text(a.get(path));
      const after = text(b.get(path));
      if (before !== after) changes.push({ section: "files", key: path, before, after });
    }
  }
  return changes;
}

export function inventoryDiff(from: Sections, to: Sections): InventoryDiff {
  const known = <T>(a: T | undefined, b: T | undefined): [T, T] | null =>
    a !== undefined && b !== undefined ? [a, b] : null;
  const packages = known(from.packages, to.packages);
  const listening = known(from.listening, to.listening);
  const accounts = known(from.accounts, to.accounts);
  const services = known(from.services, to.services);
  const settings = known(from.settings, to.settings);
  const accountChanges = accounts
    ? compareBy(accounts[0], accounts[1], (a: ReportAccount) => a.name)
    : null;
  const serviceChanges = services
    ? compareBy(services[0], services[1], (s: ReportService) => s.name)
    : null;
  return {
    packages: packages
      ? { known: true, ...packagesDiff(packages[0], packages[1]) }
      : { known: false, installed: [], removed: [], upgraded: [] },
    listening: listening
      ? {
          known: true,
          opened: added<ReportListening>(listening[0], listening[1]),
          closed: added<ReportListening>(listening[1], listening[0]),
        }
      : { known: false, opened: [], closed: [] },
    accounts: accountChanges
      ? { known: true, ...accountChanges }
      : { known: false, added: [], removed: [], changed: [] },
    services: serviceChanges
      ? { known: true, ...serviceChanges }
      : { known: false, added: [], removed: [], changed: [] },
    settings: settings
      ? {
          known: true,
          changed: settingsChanges(settings[0], settings[1]),
          unknown: (["sysctl", "sshd", "files"] as const).filter(
            (part) => settings[0][part] === undefined || settings[1][part] === undefined,
          ),
        }
      : { known: false, changed: [], unknown: ["sysctl", "sshd", "files"] },
  };
}
