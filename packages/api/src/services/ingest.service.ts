import {
  applyDelta,
  type DeltaReport,
  isMismatch,
  isNulFree,
  markNulFree,
  type Report,
  type ReportAccepted,
  reportRules,
  validateAppliedReport,
} from "@compliance/contract";
import { type ReportTexts, reportDigestFrom } from "@compliance/contract/digest";
import {
  badRequest,
  conflict,
  forbidden,
  fromStoreError,
  invalidField,
  invalidReport,
} from "../errors.ts";
import type {
  IngestOptions,
  IngestOutcome,
  LatestSpans,
  NodeIdentity,
  Store,
} from "../store/store.ts";
import type { Base, DeltaBases } from "./delta-bases.ts";
import type { PoliciesService } from "./policies.service.ts";

/** How far ahead of the API's clock a report may claim to be collected. */
const MAX_CLOCK_AHEAD_MS = 24 * 3600_000;
/** Reports older than this were not collected by any agent of ours. */
const EARLIEST = Date.UTC(2000, 0, 1);

/**
 * Accepting a report: the rules beyond its schema, whose host it may write, whether its
 * time is believable, then the store. Every report, an agent's or an older system's, goes
 * through here.
 */
export class IngestService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly policies: PoliciesService,
    readonly bases: DeltaBases,
  ) {}

  /** An agent's report, already checked against the schema, for the host of its node key. */
  async accept(
    node: NodeIdentity,
    report: Report,
  ): Promise<ReportAccepted & { duplicate: boolean }> {
    this.checkRules(report, "body");
    return this.acceptChecked(node, report, "body");
  }

  /**
   * An agent's delta report, already checked against its schema: applied to its base (a
   * report of this host), checked as a whole report would be, then stored as one.
   */
  async acceptDelta(
    node: NodeIdentity,
    delta: DeltaReport,
  ): Promise<ReportAccepted & { duplicate: boolean }> {
    const base = await this.baseOf(node.id, delta.base_report_id);
    const applied = applyDelta(base.report, delta);
    if (isMismatch(applied)) {
      throw conflict(
        "delta_mismatch",
        `body${applied.path} ${applied.message}; send the whole report to POST /api/v1/reports`,
      );
    }
    // The digest first: a delta that does not give the agent's report is sent again whole,
    // whatever else is wrong with it.
    // Over what the delta changed: the texts of the items it kept are the base's.
    const { digest, texts } = reportDigestFrom(applied, base.texts);
    if (digest !== delta.digest) {
      throw conflict(
        "delta_mismatch",
        "body/digest differs from the digest of the report this delta gives applied to its base; send the whole report to POST /api/v1/reports",
      );
    }
    // Its base was stored (so holds no NUL), the rest came in the delta's text: when that
    // held no NUL escape, neither does the report.
    if (isNulFree(delta)) markNulFree(applied);
    const checked = validateAppliedReport(applied, base.report);
    if (!checked.ok) throw invalidReport("the report this delta describes", checked.problems);
    return this.acceptChecked(node, applied, "report", texts, base.spans);
  }

  /** The report a delta applies to, when it is one of this host's; else a 409. */
  private async baseOf(hostId: number, reportId: string): Promise<Base> {
    const cached = this.bases.get(hostId, reportId);
    if (cached) return cached;
    const execution = await this.store.executionByReportId(reportId);
    if (!execution || execution.hostId !== hostId) {
      throw conflict(
        "delta_base_unknown",
        `body/base_report_id ${reportId} is not a report of this host the API holds; send the whole report to POST /api/v1/reports`,
      );
    }
    return { report: await this.store.reportOf(execution), texts: undefined };
  }

  private async acceptChecked(
    node: NodeIdentity,
    report: Report,
    where: string,
    texts?: ReportTexts,
    latest?: LatestSpans,
  ): Promise<ReportAccepted & { duplicate: boolean }> {
    if (report.host.identifier !== node.identifier) {
      throw forbidden(
        "host_mismatch",
        `this node key belongs to another host than ${where}/host/identifier; enroll this host with its own identifier`,
      );
    }
    this.checkTime(report, where);
    const outcome = await this.save(node.id, report, { latest, texts });
    // A resend keeps the first report sent with its id, which may differ from this one.
    if (!outcome.duplicate) this.bases.set(node.id, report, texts, outcome.latest);
    return {
      status: "stored",
      report_id: outcome.execution.reportId,
      host_id: outcome.execution.hostId,
      received_at: new Date(outcome.execution.receivedAt).toISOString(),
      duplicate: outcome.duplicate,
    };
  }

  /**
   * Stores a report of hostId received now. The rules beyond the schema are checked by the
   * caller; a refusal of the store becomes its HTTP answer.
   */
  async save(hostId: number, report: Report, options?: IngestOptions): Promise<IngestOutcome> {
    // Every execution is evaluated against every enabled policy in its own transaction;
    // what does not depend on the execution before it is evaluated before that begins.
    const evaluate = this.policies.evaluator(await this.policies.active());
    evaluate.prepare(report);
    try {
      return await this.store.ingest(hostId, report, this.now(), {
        ...options,
        latest: options?.latest ?? this.bases.spansOf(hostId),
        evaluate,
      });
    } catch (e) {
      throw fromStoreError(e) ?? e;
    }
  }

  /** The rules a schema cannot say; problems are named under `where` (body, report). */
  checkRules(report: Report, where: string): void {
    const problems = reportRules(report);
    if (problems.length > 0) {
      const details = problems.map((p) => ({ path: `${where}${p.path}`, message: p.message }));
      throw badRequest("invalid_request", `${details[0]!.path} ${details[0]!.message}`, details);
    }
  }

  /** A collected_at no agent could have sent: a day ahead of this clock, or before 2000. */
  checkTime(report: Report, where: string): void {
    const collected = Date.parse(report.collected_at);
    if (collected > this.now() + MAX_CLOCK_AHEAD_MS) {
      throw invalidField(`${where}/collected_at`, "is more than a day ahead of the API's clock");
    }
    if (collected < EARLIEST) throw invalidField(`${where}/collected_at`, "is before 2000");
  }
}
