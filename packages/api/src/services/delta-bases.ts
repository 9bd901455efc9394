import type { Report } from "@compliance/contract";
import type { ReportTexts } from "@compliance/contract/digest";
import type { LatestSpans } from "../store/store.ts";
import {
  type Base,
  type PackedBase,
  packBase,
  packedBytes,
  unpackBase,
  unpackSpans,
} from "./packed-base.ts";

export type { Base } from "./packed-base.ts";

/** One host's base in one of the two forms, and what it takes. */
interface Entry<T> {
  reportId: string;
  value: T;
  bytes: number;
  /** When it was last used or set (ms, the cache's clock). */
  usedAt: number;
}

/** Entries of one form, least recently used first. */
class Tier<T> {
  readonly entries = new Map<number, Entry<T>>();
  bytes = 0;

  get(hostId: number, reportId: string, now: number): Entry<T> | undefined {
    const entry = this.entries.get(hostId);
    if (!entry || entry.reportId !== reportId) return undefined;
    // Most recently used last.
    this.entries.delete(hostId);
    entry.usedAt = now;
    this.entries.set(hostId, entry);
    return entry;
  }

  /** The least recently used entry, when it is unused for staleMs, removed. */
  takeStale(now: number, staleMs: number): boolean {
    for (const [id, entry] of this.entries) {
      if (now - entry.usedAt < staleMs) return false;
      this.drop(id);
      return true;
    }
    return false;
  }

  set(hostId: number, entry: Entry<T>): void {
    this.entries.set(hostId, entry);
    this.bytes += entry.bytes;
  }

  drop(hostId: number): Entry<T> | undefined {
    const entry = this.entries.get(hostId);
    if (!entry) return undefined;
    this.entries.delete(hostId);
    this.bytes -= entry.bytes;
    return entry;
  }
}

export interface DeltaBasesOptions {
  /** The forms bases are cached in: both (unless told), or only one of them. */
  forms?: "both" | "kept" | "packed";
  /** Unused this long (ms), a host's base may make room for another's. */
  staleMs?: number;
  /** The cache's clock (ms). */
  now?: () => number;
}

/** How a delta's base was found in the cache: as objects, packed, or not at all. */
export type BaseFound = "kept" | "packed" | "none";

/**
 * The latest report each recently active host had acknowledged, kept so a delta check-in
 * is applied without rebuilding its base from the database, in two forms within
 * `maxBytes`. Kept: the report's objects with its texts and spans, ready to use, about
 * 185 KB for a host of 300 processes (estimated from its number of items, about 220 bytes
 * an item, measured). Packed (packed-base.ts): compressed, 5–15 KB for the same host, and
 * about 1 ms to pack and unpack. A host's base is kept while there is room, packed when
 * there is not, and when even that does not fit, the least recently used kept bases are
 * packed to make room: a fleet of tens of thousands of hosts has its bases at hand in a
 * few hundred MB, as many of them kept as fit.
 *
 * Bases unused for `staleMs` (hosts that stopped reporting) make room first; no base is
 * ever dropped for a new host's: agents check in in turn, and dropping the least recently
 * used would drop each host's just before its next check-in, so that a fleet a little
 * larger than the cache would never hit it.
 *
 * A report's content never changes once stored, so an entry is right whatever other API
 * replicas store meanwhile; a delta whose base is not the one cached (another replica
 * took the host's last report, or the base is older) has it rebuilt from the database.
 */
export class DeltaBases {
  private readonly kept = new Tier<Base>();
  private readonly packed = new Tier<PackedBase>();
  private readonly forms: "both" | "kept" | "packed";
  private readonly staleMs: number;
  private readonly now: () => number;
  /** Told how each lookup of get() ended: for the metrics. */
  onFound: ((found: BaseFound) => void) | undefined;

  constructor(
    private readonly maxBytes: number,
    options: DeltaBasesOptions = {},
  ) {
    this.forms = options.forms ?? "both";
    this.staleMs = options.staleMs ?? 15 * 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** The report `reportId` of `hostId`, when it is the one cached for that host. */
  get(hostId: number, reportId: string): Base | undefined {
    const now = this.now();
    const kept = this.kept.get(hostId, reportId, now);
    const packed = kept ? undefined : this.packed.get(hostId, reportId, now);
    this.onFound?.(kept ? "kept" : packed ? "packed" : "none");
    return kept?.value ?? (packed && unpackBase(packed.value));
  }

  /** Caches `report` as `hostId`'s latest acknowledged one, when there is room. */
  set(hostId: number, report: Report, texts?: ReportTexts, spans?: LatestSpans): void {
    this.drop(hostId);
    const now = this.now();
    const reportId = report.report_id;
    if (this.forms !== "packed") {
      const bytes = estimatedBytes(report, texts, spans);
      if (this.makeRoom(bytes, now, false)) {
        this.kept.set(hostId, { reportId, value: { report, texts, spans }, bytes, usedAt: now });
        return;
      }
    }
    if (this.forms === "kept" || this.maxBytes === 0) return;
    const value = packBase({ report, texts, spans });
    const bytes = packedBytes(value);
    if (this.makeRoom(bytes, now, true)) {
      this.packed.set(hostId, { reportId, value, bytes, usedAt: now });
    }
  }

  /**
   * Whether `bytes` more fit, once stale bases are gone and, when `pack`, once the least
   * recently used kept bases are packed.
   */
  private makeRoom(bytes: number, now: number, pack: boolean): boolean {
    const fits = () => this.kept.bytes + this.packed.bytes + bytes <= this.maxBytes;
    while (!fits()) {
      if (this.kept.takeStale(now, this.staleMs) || this.packed.takeStale(now, this.staleMs)) {
        continue;
      }
      if (!pack) return false;
      const [hostId] = this.kept.entries.keys();
      if (hostId === undefined) return false;
      const entry = this.kept.drop(hostId)!;
      const value = packBase(entry.value);
      this.packed.set(hostId, { ...entry, value, bytes: packedBytes(value) });
    }
    return true;
  }

  /** Every base held, packed (the kept ones packed now): host id, report id, packed base. */
  *packedEntries(): Generator<[number, string, PackedBase]> {
    for (const [hostId, entry] of this.kept.entries) {
      yield [hostId, entry.reportId, packBase(entry.value)];
    }
    for (const [hostId, entry] of this.packed.entries) yield [hostId, entry.reportId, entry.value];
  }

  /** Adds a packed base (read back from a file), when it fits without packing any other. */
  addPacked(hostId: number, reportId: string, value: PackedBase): boolean {
    const bytes = packedBytes(value);
    if (this.forms === "kept" || !this.makeRoom(bytes, this.now(), false)) return false;
    this.drop(hostId);
    this.packed.set(hostId, { reportId, value, bytes, usedAt: this.now() });
    return true;
  }

  /** The spans open at `hostId`'s cached report, whatever its id (the store checks them). */
  spansOf(hostId: number): LatestSpans | undefined {
    const kept = this.kept.entries.get(hostId);
    if (kept) return kept.value.spans;
    const packed = this.packed.entries.get(hostId);
    return packed && unpackSpans(packed.value);
  }

  /** Forgets `hostId`'s report (its host was deleted). */
  drop(hostId: number): void {
    this.kept.drop(hostId);
    this.packed.drop(hostId);
  }

  /** Hosts with a cached base, by form. */
  get sizes(): Record<"kept" | "packed", number> {
    return { kept: this.kept.entries.size, packed: this.packed.entries.size };
  }

  /** Bytes cached, by form (estimated). */
  get usedBytes(): Record<"kept" | "packed", number> {
    return { kept: this.kept.bytes, packed: this.packed.bytes };
  }
}

/**
 * What a report's objects take in memory, roughly: a few KB, and about 220 bytes an item
 * (1,000 parsed 300-process reports took 62 KiB each on Node 24); with the texts of its
 * items, their characters and a string's header each; with its spans, their keys likewise
 * and 8 bytes an id.
 */
export function estimatedBytes(report: Report, texts?: ReportTexts, spans?: LatestSpans): number {
  let items =
    report.processes.length +
    report.sessions.length +
    report.host.ip_addresses.length +
    (report.packages?.length ?? 0) +
    (report.listening?.length ?? 0) +
    (report.accounts?.length ?? 0) +
    (report.services?.length ?? 0) +
    (report.errors?.length ?? 0);
  const settings = report.settings;
  if (settings) {
    items += Object.keys(settings.sysctl ?? {}).length + Object.keys(settings.sshd ?? {}).length;
    items += settings.files?.length ?? 0;
  }
  let textBytes = 0;
  for (const list of Object.values(texts ?? {})) {
    for (const text of list.items) textBytes += 16 + text.length;
  }
  for (const kind of Object.values(spans?.kinds ?? {})) {
    for (const key of kind?.keys ?? []) textBytes += 24 + key.length;
  }
  return 4096 + items * 220 + textBytes;
}
