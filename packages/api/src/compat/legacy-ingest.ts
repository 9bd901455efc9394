import type { Report } from "@compliance/contract";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../errors.ts";
import type { LegacyService, LegacyStored } from "../services/legacy.service.ts";
import { carryOver } from "./legacy-merge.ts";
import { legacyIdentifier, type SeedId } from "./legacy-report.ts";

/** The body of a request as received (the compatibility plugin keeps it when parsing). */
export type RawOf = (request: FastifyRequest) => string;

/** What every seed's routes are given besides the service. */
export interface SeedOptions {
  rawOf: RawOf;
  /** The zone of the seeds' times sent without one (COMPLIANCE_LEGACY_TZ). */
  timeZone: string;
}

/** What a seed's call sent, kept beside the execution made of it. */
export interface LegacyCall {
  seed: SeedId;
  /** `report` for a whole check-in; seed 003's part calls: hosts, users, processes, cpu. */
  kind: string;
  /** The host's primary address. */
  ip: string;
  /** The body as received. */
  raw: string;
  /** The rows the seed's read route lists from this body (seed 003's users and processes). */
  itemCount?: number;
}

export interface LegacyOutcome {
  report: Report;
  stored: LegacyStored;
  /** The host did not exist before this call. */
  created: boolean;
}

/**
 * Stores one call of a seed's agent: the report `build` makes (given the host's latest
 * report), completed with what its seed does not send from the execution before it (see
 * carryOver), then the body as received. Calls for one host run one at a time in this
 * process; another API process storing the same host in between makes the store refuse
 * (latest_changed), and the call is applied again on the new latest.
 */
export async function storeLegacy(
  ingest: LegacyService,
  call: LegacyCall,
  build: (latest: Report | null) => Report,
): Promise<LegacyOutcome> {
  return ingest.exclusive(legacyIdentifier(call.ip), async () => {
    for (let attempt = 1; ; attempt++) {
      const hostId = await ingest.hostOf(call.ip);
      const latest = hostId === null ? null : await ingest.latest(hostId);
      const made = build(latest);
      const ms = Date.parse(made.collected_at);
      // A report older than the latest is history: it follows the execution of its time.
      const inOrder = latest === null || ms >= Date.parse(latest.collected_at);
      const base = inOrder || hostId === null ? latest : await ingest.at(hostId, ms);
      const report = carryOver(made, base);
      try {
        const stored = await ingest.store(
          report,
          inOrder ? { expectLatestReportId: latest?.report_id ?? null } : {},
        );
        await ingest.saveRequest({
          hostId: stored.hostId,
          seed: call.seed,
          kind: call.kind,
          reportId: stored.reportId,
          ip: call.ip,
          receivedAt: ingest.now,
          itemCount: call.itemCount ?? 0,
          body: call.raw,
        });
        // A resend is the execution already stored.
        const kept = stored.duplicate ? ((await ingest.report(stored.reportId)) ?? report) : report;
        return { report: kept, stored, created: hostId === null };
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "latest_changed") || attempt >= 5) throw e;
      }
    }
  });
}
