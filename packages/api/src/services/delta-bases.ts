import type { Report } from "@compliance/contract";
import type { ReportTexts } from "@compliance/contract/digest";
import type { LatestSpans } from "../store/store.ts";
import { type PackedBase, packBase, packedBytes, unpackBase, unpackSpans } from "./packed-base.ts";

/**
 * A host's latest acknowledged report, the texts of its lists once a digest wrote them, and
 * the spans open at its execution when it was stored as the host's newest.
 */
export interface Base {
  report: Report;
  texts: ReportTexts | undefined;
  spans?: LatestSpans | undefined;
}

/** One host's base in one of the two forms, and what it takes. */
interface Entry<T> {
  reportId: string;
  value: T;
  bytes: number;
  /** When it was last used or set (ms, the cache's clock). */
  usedAt: number;
}

/**
 * Entries within a number of bytes, least recently used first. When it is full, entries
 * not used for `staleMs` (hosts that stopped reporting) make room; if none is that old, a
 * new host is not kept: agents check in in turn, and dropping the least recently used
 * would drop each host just before its next check-in, so that a fleet a little larger
 * than the cache would never hit it.
 */
class Tier<T> {
  readonly entries = new Map<number, Entry<T>>();
  bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(hostId: number, reportId: string, now: number): Entry<T> | undefined {
    const entry = this.entries.get(hostId);
    if (!entry || entry.reportId !== reportId) return undefined;
    // Most recently used last.
    this.entries.delete(hostId);
    entry.usedAt = now;
    this.entries.set(hostId, entry);
    return entry;
  }

  /** Whether `bytes` fit, once the stale entries that must go to make room are gone. */
  makeRoom(bytes: number, now: number, staleMs: number): boolean {
    for (const [id, entry] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes || now - entry.usedAt < staleMs) break;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
    return this.bytes + bytes <= this.maxBytes;
  }

  set(hostId: number, entry: Entry<T>): void {
    this.entries.set(hostId, entry);
    this.bytes += entry.bytes;
  }

  drop(hostId: number): void {
    const entry = this.entries.get(hostId);
    if (!entry) return;
    this.entries.delete(hostId);
    this.bytes -= entry.bytes;
  }
}

export interface DeltaBasesOptions {
  /** The share of the bytes for bases kept as objects; the rest holds packed ones. */
  keptShare?: number;
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
 * about 0.5 ms to unpack. A host's base is kept while the kept share of the bytes has room
 * and packed after, so a fleet of tens of thousands of hosts has its bases at hand in a
 * few hundred MB, and the first few hundred hosts to check in at no cost at all.
 *
 * A report's content never changes once stored, so an entry is right whatever other API
 * replicas store meanwhile; a delta whose base is not the one cached (another replica
 * took the host's last report, or the base is older) has it rebuilt from the database.
 */
export class DeltaBases {
  private readonly kept: Tier<Base>;
  private readonly packed: Tier<PackedBase>;
  private readonly staleMs: number;
  private readonly now: () => number;
  /** Told how each lookup of get() ended: for the metrics. */
  onFound: ((found: BaseFound) => void) | undefined;

  constructor(maxBytes: number, options: DeltaBasesOptions = {}) {
    this.kept = new Tier(Math.floor(maxBytes * (options.keptShare ?? 0.5)));
    this.packed = new Tier(maxBytes - this.kept.maxBytes);
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
    const bytes = estimatedBytes(report, texts, spans);
    if (this.kept.makeRoom(bytes, now, this.staleMs)) {
      this.kept.set(hostId, { reportId, value: { report, texts, spans }, bytes, usedAt: now });
      return;
    }
    if (this.packed.maxBytes === 0) return;
    const value = packBase(report, texts, spans);
    const packedSize = packedBytes(value);
    if (this.packed.makeRoom(packedSize, now, this.staleMs)) {
      this.packed.set(hostId, { reportId, value, bytes: packedSize, usedAt: now });
    }
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
