import type { Report } from "@compliance/contract";
import type { ReportTexts } from "@compliance/contract/digest";
import type { LatestSpans } from "../store/store.ts";

/**
 * A host's latest acknowledged report, the texts of its lists once a digest wrote them, and
 * the spans open at its execution when it was stored as the host's newest.
 */
export interface Base {
  report: Report;
  texts: ReportTexts | undefined;
  spans?: LatestSpans | undefined;
}

interface Entry extends Base {
  reportId: string;
  bytes: number;
  /** When it was last used or set (ms, the cache's clock). */
  usedAt: number;
}

/**
 * The latest report each recently active host had acknowledged, kept so a delta check-in
 * is applied without rebuilding its base from the database. One entry per host, within
 * `maxBytes` (estimated from the number of items: what their objects take in memory, about
 * 220 bytes each, measured). When it is full, entries not used for `staleMs` (hosts that
 * stopped reporting) make room; if none is that old, a new host is not kept: agents check
 * in in turn, and dropping the least recently used would drop each host just before its
 * next check-in, so that a fleet a little larger than the cache would never hit it. A report's content never changes once stored, so an
 * entry is right whatever other API replicas store meanwhile; a delta whose base is not
 * the one cached (another replica took the host's last report, or the base is older) has
 * it rebuilt from the database.
 */
export class DeltaBases {
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly staleMs = 15 * 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The report `reportId` of `hostId`, when it is the one kept for that host. */
  get(hostId: number, reportId: string): Base | undefined {
    const entry = this.entries.get(hostId);
    if (!entry || entry.reportId !== reportId) return undefined;
    // Most recently used last.
    this.entries.delete(hostId);
    entry.usedAt = this.now();
    this.entries.set(hostId, entry);
    return entry;
  }

  /** Keeps `report` as `hostId`'s latest acknowledged one, when there is room. */
  set(hostId: number, report: Report, texts?: ReportTexts, spans?: LatestSpans): void {
    const bytes = estimatedBytes(report, texts, spans);
    this.drop(hostId);
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes || now - entry.usedAt < this.staleMs) break;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
    if (this.bytes + bytes > this.maxBytes) return;
    this.entries.set(hostId, {
      reportId: report.report_id,
      report,
      texts,
      spans,
      bytes,
      usedAt: now,
    });
    this.bytes += bytes;
  }

  /** The spans open at `hostId`'s kept report, whatever its id (the store checks them). */
  spansOf(hostId: number): LatestSpans | undefined {
    return this.entries.get(hostId)?.spans;
  }

  /** Forgets `hostId`'s report (its host was deleted). */
  drop(hostId: number): void {
    const entry = this.entries.get(hostId);
    if (!entry) return;
    this.entries.delete(hostId);
    this.bytes -= entry.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
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
