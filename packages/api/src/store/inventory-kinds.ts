import {
  canonicalJson,
  canonicalTexts,
  type InventoryCollector,
  type Report,
  type ReportAccount,
  type ReportFileMode,
  type ReportListening,
  type ReportPackage,
  type ReportService,
} from "@compliance/contract";
import type { ReportTexts } from "@compliance/contract/digest";
import type { Selectable } from "kysely";
import type { InventorySpansTable } from "./schema.ts";
import type { SpanKind } from "./span-kinds.ts";

// The inventory beyond processes, stored like processes: one row of inventory_spans per
// lifetime of an item. An item's identity is the whole item (its canonical JSON), so any
// change (a package upgraded, a service stopped, a parameter set) ends one lifetime and
// starts another. Each kind is described once here, for ingest, rebuild and diff.

export type InventorySpanRow = Selectable<InventorySpansTable>;

/** A setting of a map section (sysctl, sshd) as an item. */
export interface SettingItem {
  key: string;
  value: string;
}

export type InventoryKindName =
  | "package"
  | "listening"
  | "account"
  | "service"
  | "sysctl"
  | "sshd"
  | "file";

export interface InventoryKind<Item extends object = object>
  extends SpanKind<Item, InventorySpanRow> {
  kind: InventoryKindName;
  /** The collector that reports this kind, as named in a report's `errors`. */
  collector: InventoryCollector;
  /** Its bit in an execution's `sections`. */
  bit: number;
  /** Lists keep the order they were sent in; maps have none. */
  ordered: boolean;
  /** The kind's items in a report, or undefined when the agent did not collect them. */
  itemsOf(report: Report): Item[] | undefined;
  /** Puts rebuilt items back into a report. */
  putInto(report: Report, items: Item[]): void;
  /** The searchable columns of an item. */
  search(item: Item): { name: string; number: number | null; version: string | null };
}

/** An execution held a settings object (perhaps empty): its own bit. */
export const SETTINGS_BIT = 1 << 4;

const POSTGRES_TYPES = [
  ["host_id", "bigint"],
  ["first_pos", "bigint"],
  ["last_pos", "bigint"],
  ["kind", "text"],
  ["name", "text"],
  ["number", "bigint"],
  ["version", "text"],
  ["body", "text"],
] as const;

function kindOf<Item extends object>(
  spec: Pick<
    InventoryKind<Item>,
    "kind" | "collector" | "bit" | "ordered" | "itemsOf" | "putInto" | "search"
  >,
): InventoryKind<Item> {
  return {
    ...spec,
    table: "inventory_spans",
    postgresTypes: POSTGRES_TYPES,
    key: (item) => canonicalJson(item),
    keyOfRow: (row) => row.body,
    // The body is the item's canonical JSON: its key, written once.
    columnsOf: (item, key) => ({ kind: spec.kind, ...spec.search(item), body: key }),
  };
}

const settings = (report: Report) => {
  report.settings ??= {};
  return report.settings;
};
const toMap = (items: SettingItem[]) => Object.fromEntries(items.map((i) => [i.key, i.value]));
const fromMap = (map: Record<string, string> | undefined) =>
  map === undefined ? undefined : Object.entries(map).map(([key, value]) => ({ key, value }));

export const INVENTORY_KINDS: readonly InventoryKind[] = [
  kindOf<ReportPackage>({
    kind: "package",
    collector: "packages",
    bit: 1 << 0,
    ordered: true,
    itemsOf: (r) => r.packages,
    putInto: (r, items) => {
      r.packages = items;
    },
    search: (p) => ({ name: p.name, number: null, version: p.version }),
  }),
  kindOf<ReportListening>({
    kind: "listening",
    collector: "listening",
    bit: 1 << 1,
    ordered: true,
    itemsOf: (r) => r.listening,
    putInto: (r, items) => {
      r.listening = items;
    },
    search: (l) => ({ name: l.protocol, number: l.port, version: null }),
  }),
  kindOf<ReportAccount>({
    kind: "account",
    collector: "accounts",
    bit: 1 << 2,
    ordered: true,
    itemsOf: (r) => r.accounts,
    putInto: (r, items) => {
      r.accounts = items;
    },
    search: (a) => ({ name: a.name, number: a.uid, version: null }),
  }),
  kindOf<ReportService>({
    kind: "service",
    collector: "services",
    bit: 1 << 3,
    ordered: true,
    itemsOf: (r) => r.services,
    putInto: (r, items) => {
      r.services = items;
    },
    search: (s) => ({ name: s.name, number: null, version: s.state }),
  }),
  kindOf<SettingItem>({
    kind: "sysctl",
    collector: "sysctl",
    bit: 1 << 5,
    ordered: false,
    itemsOf: (r) => fromMap(r.settings?.sysctl),
    putInto: (r, items) => {
      settings(r).sysctl = toMap(items);
    },
    search: (i) => ({ name: i.key, number: null, version: i.value.slice(0, 255) }),
  }),
  kindOf<SettingItem>({
    kind: "sshd",
    collector: "sshd",
    bit: 1 << 6,
    ordered: false,
    itemsOf: (r) => fromMap(r.settings?.sshd),
    putInto: (r, items) => {
      settings(r).sshd = toMap(items);
    },
    search: (i) => ({ name: i.key, number: null, version: i.value.slice(0, 255) }),
  }),
  kindOf<ReportFileMode>({
    kind: "file",
    collector: "files",
    bit: 1 << 7,
    ordered: true,
    itemsOf: (r) => r.settings?.files,
    putInto: (r, items) => {
      settings(r).files = items;
    },
    search: (f) => ({ name: f.path, number: null, version: f.mode }),
  }),
];

export const INVENTORY_KIND_BY_NAME: ReadonlyMap<string, InventoryKind> = new Map(
  INVENTORY_KINDS.map((k) => [k.kind, k]),
);

/** The bits of the sections a report holds. */
export function sectionsOf(report: Report): number {
  let bits = report.settings !== undefined ? SETTINGS_BIT : 0;
  for (const k of INVENTORY_KINDS) if (k.itemsOf(report) !== undefined) bits |= k.bit;
  return bits;
}

/** An inventory item with its identity, in canonical order within its kind. */
export interface KeyedItem {
  key: string;
  item: object;
}

/**
 * The keys of a kind's items as sent (kind.itemsOf), in their order. A key is the item's
 * canonical JSON: the text a digest wrote of it, when it did, or all of the list's written
 * at once (the same text, faster than one by one).
 */
export function keysOf(items: readonly object[], texts?: ReportTexts): readonly string[] {
  const known = texts && Object.values(texts).find((t) => t?.list === items)?.items;
  return known ?? canonicalTexts(items);
}
