import type { Diff, ReportAccount, ReportPackage, ReportService } from "@compliance/contract";
import type { ComponentChildren } from "preact";
import { type Col, CompactTable, type Count, Moved, Part, type Tone } from "./diff-parts.tsx";
import { ACCOUNTS, bootText, LISTENING, PACKAGES, SERVICES } from "./inventory-sections.tsx";

type SettingChange = NonNullable<Diff["settings"]>["changed"][number];

/** One kind of inventory change: its count for the summary, its table for the details. */
export interface InventoryPart extends Count {
  node: ComponentChildren;
}

const byName = <T,>(items: readonly T[], name: (item: T) => string) =>
  [...items].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));

/** Builds a part; its table is made here, where the type of its rows is known. */
function part<T>(
  [tone, one, many, verb, heading]: [Tone, string, string, string, string?],
  items: readonly T[],
  columns: readonly Col<T>[],
  rowKey: (item: T) => string,
): InventoryPart {
  const title = heading ?? `${many[0]!.toUpperCase()}${many.slice(1)} ${verb}`;
  return {
    tone,
    one,
    many,
    verb,
    n: items.length,
    node: items.length ? (
      <Part key={title} title={title} tone={tone} id={`diff-${many}-${verb}`}>
        <CompactTable columns={columns} items={items} rowKey={rowKey} />
      </Part>
    ) : null,
  };
}

/** Each field of an account that differs: "shell /bin/sh → /usr/sbin/nologin". */
function accountChanges(before: ReportAccount, after: ReportAccount) {
  const password = (a: ReportAccount) => a.password ?? "unknown";
  const fields = [
    ["uid", String(before.uid), String(after.uid)],
    ["gid", String(before.gid), String(after.gid)],
    ["home", before.home, after.home],
    ["shell", before.shell, after.shell],
    ["password", password(before), password(after)],
  ] as const;
  return fields
    .filter(([, a, b]) => a !== b)
    .map(([field, a, b]) => (
      <div key={field}>
        {field} <Moved before={a} after={b} />
      </div>
    ));
}

/**
 * What happened to a service, in words: started or stopped (or failed) from its state,
 * enabled or disabled from whether it starts at boot.
 */
export function serviceChange(before: ReportService, after: ReportService): string {
  const words: string[] = [];
  if (before.state !== after.state) {
    if (after.state === "active") words.push("started");
    else if (after.state === "failed") words.push("failed");
    else if (before.state === "active") words.push("stopped");
    else words.push(`now ${after.state}`);
  }
  if (before.enabled !== after.enabled) {
    words.push(after.enabled === undefined ? "no install state" : bootText(after.enabled));
  }
  return words.join(", ");
}

type Pair<T> = { before: T; after: T };
const strong = (text: string) => <span class="strong">{text}</span>;

const UPGRADE_COLUMNS: Col<Pair<ReportPackage>>[] = [
  { label: "Name", cell: (u) => strong(u.after.name) },
  {
    label: "Version",
    cell: (u) => (
      <span class="mono">
        <Moved before={u.before.version} after={u.after.version} />
      </span>
    ),
  },
  { label: "Architecture", optional: true, cell: (u) => u.after.arch ?? "—" },
  { label: "Source", optional: true, cell: (u) => u.after.source },
];

const ACCOUNT_CHANGE_COLUMNS: Col<Pair<ReportAccount>>[] = [
  { label: "Name", cell: (c) => strong(c.after.name) },
  { label: "What changed", cell: (c) => accountChanges(c.before, c.after) },
];

const SERVICE_CHANGE_COLUMNS: Col<Pair<ReportService>>[] = [
  { label: "Name", cell: (c) => strong(c.after.name) },
  { label: "Change", cell: (c) => serviceChange(c.before, c.after) },
  { label: "State", cell: (c) => <Moved before={c.before.state} after={c.after.state} /> },
  {
    label: "At boot",
    optional: true,
    cell: (c) => <Moved before={bootText(c.before.enabled)} after={bootText(c.after.enabled)} />,
  },
];

const SECTION_NAMES = { sysctl: "kernel parameter", sshd: "sshd option", files: "file mode" };

/** A setting's value on one side; null is "not set", or for a file, not there. */
function settingValue(change: SettingChange, value: string | null) {
  if (value !== null) return <span class="mono">{value}</span>;
  return <span class="muted">{change.section === "files" ? "absent" : "not set"}</span>;
}

const SETTING_COLUMNS: Col<SettingChange>[] = [
  { label: "Name", cell: (c) => <span class="mono strong">{c.key}</span> },
  { label: "Kind", optional: true, cell: (c) => SECTION_NAMES[c.section] },
  { label: "Before", cell: (c) => settingValue(c, c.before) },
  { label: "After", cell: (c) => settingValue(c, c.after) },
];

const pkgKey = PACKAGES.rowKey;
const pairKey =
  <T,>(key: (item: T) => string) =>
  (p: Pair<T>) =>
    key(p.after);

type Sections = Required<Pick<Diff, "packages" | "listening" | "accounts" | "services">>;

function packageParts({ installed, removed, upgraded }: Sections["packages"]) {
  const name = (p: ReportPackage) => p.name;
  const kind = ["package", "packages"] as const;
  return [
    part(["plus", ...kind, "installed"], byName(installed, name), PACKAGES.columns, pkgKey),
    part(["minus", ...kind, "removed"], byName(removed, name), PACKAGES.columns, pkgKey),
    // Another version, which the API does not order: one that went down is here too.
    part(
      ["change", ...kind, "upgraded", "Packages upgraded (or downgraded)"],
      byName(upgraded, (u) => u.after.name),
      UPGRADE_COLUMNS,
      pairKey(pkgKey),
    ),
  ];
}

function socketParts({ opened, closed }: Sections["listening"]) {
  const byPort = (items: typeof opened) => [...items].sort((a, b) => a.port - b.port);
  const { columns, rowKey } = LISTENING;
  return [
    part(["plus", "socket", "sockets", "opened"], byPort(opened), columns, rowKey),
    part(["minus", "socket", "sockets", "closed"], byPort(closed), columns, rowKey),
  ];
}

function accountParts({ added, removed, changed }: Sections["accounts"]) {
  const name = (a: ReportAccount) => a.name;
  const kind = ["account", "accounts"] as const;
  return [
    part(["plus", ...kind, "added"], byName(added, name), ACCOUNTS.columns, name),
    part(["minus", ...kind, "removed"], byName(removed, name), ACCOUNTS.columns, name),
    part(
      ["change", ...kind, "changed"],
      byName(changed, (c) => c.after.name),
      ACCOUNT_CHANGE_COLUMNS,
      pairKey(name),
    ),
  ];
}

function serviceParts({ added, removed, changed }: Sections["services"]) {
  const name = (s: ReportService) => s.name;
  const kind = ["service", "services"] as const;
  return [
    part(["plus", ...kind, "added"], byName(added, name), SERVICES.columns, name),
    part(["minus", ...kind, "removed"], byName(removed, name), SERVICES.columns, name),
    part(
      ["change", ...kind, "changed"],
      byName(changed, (c) => c.after.name),
      SERVICE_CHANGE_COLUMNS,
      pairKey(name),
    ),
  ];
}

/**
 * The inventory changes, for the sections both executions collected; a section either did
 * not collect has no part (see `unknownParts`). Items are sorted by name; sockets by port.
 */
export function inventoryParts(diff: Diff): InventoryPart[] {
  const { packages, listening, accounts, services, settings } = diff;
  return [
    ...(packages?.known ? packageParts(packages) : []),
    ...(listening?.known ? socketParts(listening) : []),
    ...(accounts?.known ? accountParts(accounts) : []),
    ...(services?.known ? serviceParts(services) : []),
    ...(settings?.known
      ? [
          part(
            ["change", "setting", "settings", "changed"],
            settings.changed,
            SETTING_COLUMNS,
            (c) => `${c.section} ${c.key}`,
          ),
        ]
      : []),
  ];
}

/** What one of the two executions did not collect: their changes are unknown. */
export function unknownParts(diff: Diff): string[] {
  const parts: [string, { known: boolean } | undefined][] = [
    ["sessions", diff.sessions],
    ["packages", diff.packages],
    ["listening sockets", diff.listening],
    ["accounts", diff.accounts],
    ["services", diff.services],
    ["settings", diff.settings],
  ];
  return parts.filter(([, p]) => p && !p.known).map(([name]) => name);
}
