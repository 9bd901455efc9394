import type { Report } from "@compliance/contract";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Admission, OverloadReason } from "./http/admission.ts";
import type { DeltaBases } from "./services/delta-bases.ts";
import type { Store } from "./store/store.ts";

/** The routes agents send reports to; their answers are what ingest metrics count. */
const REPORTS_ROUTE = "/api/v1/reports";
const DELTA_ROUTE = "/api/v1/reports/delta";

const MB = 1024 * 1024;

/**
 * The API's Prometheus metrics, in a registry of its own (never prom-client's global one:
 * two apps in one process, as in tests, keep apart). Everything about one host is summed
 * or put in a histogram: a label per host would grow without bound.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly received: Counter;
  private readonly stored: Counter;
  private readonly duplicates: Counter;
  private readonly rejected: Counter<"status" | "code">;
  private readonly ingestSeconds: Histogram;
  private readonly policySeconds: Histogram<"phase">;
  private readonly commitBatch: Histogram;
  private readonly agentRss: Histogram;
  private readonly agentCpu: Histogram;
  private readonly agentDropped: Counter;
  private readonly agentSetAside: Counter;
  private readonly deltas: Counter<"outcome">;
  private readonly overloadedAnswers: Counter<"reason">;

  constructor(store: Store, admission?: Admission) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.received = new Counter({
      name: "compliance_reports_received_total",
      help: "Reports agents sent (POST /api/v1/reports and /api/v1/reports/delta), whatever the answer",
      registers,
    });
    this.deltas = new Counter({
      name: "compliance_delta_reports_total",
      help: "Delta reports (POST /api/v1/reports/delta) by what became of them: stored, replayed, base_unknown or mismatch (the agent sends the whole report), rejected",
      labelNames: ["outcome"] as const,
      registers,
    });
    this.stored = new Counter({
      name: "compliance_reports_stored_total",
      help: "Reports stored as a new execution",
      registers,
    });
    this.duplicates = new Counter({
      name: "compliance_reports_duplicate_total",
      help: "Reports sent again with a report_id already stored (answered as replayed)",
      registers,
    });
    this.rejected = new Counter({
      name: "compliance_reports_rejected_total",
      help: "Reports refused, by HTTP status and error code",
      labelNames: ["status", "code"] as const,
      registers,
    });
    this.ingestSeconds = new Histogram({
      name: "compliance_ingest_duration_seconds",
      help: "Time to answer a report, from its first byte to the answer",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.policySeconds = new Histogram({
      name: "compliance_policy_evaluation_seconds",
      help: "Time to evaluate the enabled policies on one report, by phase (before the transaction; inside it, for those reading the previous execution)",
      labelNames: ["phase"] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    });
    this.commitBatch = new Histogram({
      name: "compliance_commit_batch_size",
      help: "Reports written per shared commit (SQLite: one fsync each; PostgreSQL, MySQL: one transaction each)",
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.overloadedAnswers = new Counter({
      name: "compliance_overloaded_total",
      help: "Requests answered 503 overloaded, by reason: queue_full (reports in hand at the limit), pool_busy (no free database connection in time), rows_busy (a host's row held by other writers past the statement timeout)",
      labelNames: ["reason"] as const,
      registers,
    });
    for (const reason of ["queue_full", "pool_busy", "rows_busy"] as const)
      this.overloadedAnswers.inc({ reason }, 0);
    this.agentRss = new Histogram({
      name: "compliance_agent_rss_bytes",
      help: "The agents' own resident memory, as each report says",
      buckets: [16, 32, 48, 64, 96, 128, 256, 512].map((n) => n * MB),
      registers,
    });
    this.agentCpu = new Histogram({
      name: "compliance_agent_cpu_seconds",
      help: "CPU time of the agents' last cycle, as each report says",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.agentDropped = new Counter({
      name: "compliance_agent_dropped_reports_total",
      help: "Reports the agents' spools dropped (oldest first), as their next reports say",
      registers,
    });
    this.agentSetAside = new Counter({
      name: "compliance_agent_set_aside_reports_total",
      help: "Reports the agents set aside after repeated refusals, as their next reports say",
      registers,
    });
    this.scrapeTimeGauges(store, registers);
    store.observeCommits((size) => this.commitBatch.observe(size));
    const spanReads = new Counter({
      name: "compliance_ingest_span_reads_total",
      help: "Reports stored, by what was read of their host's lifetimes: none (none changed), ended (only those the report ended, through the latest execution's spans this process kept), around (every one open around its place: no or stale spans kept, a late report, a host's first)",
      labelNames: ["read"] as const,
      registers,
    });
    for (const read of ["none", "ended", "around"] as const) spanReads.inc({ read }, 0);
    store.observeSpanReads((read) => spanReads.inc({ read }));
    if (admission) {
      admission.onOverloaded = (reason) => this.overloaded(reason);
      new Gauge({
        name: "compliance_reports_in_hand",
        help: "Reports this process has admitted and not yet answered (admission control), and its limit",
        labelNames: ["state"] as const,
        registers,
        collect() {
          this.set({ state: "admitted" }, admission.depth);
          this.set({ state: "limit" }, admission.limit);
        },
      });
    }
  }

  /** How delta check-ins found their base, and what the cache of bases holds (DeltaBases). */
  observeDeltaBases(bases: DeltaBases): void {
    const registers = [this.registry];
    const found = new Counter({
      name: "compliance_delta_bases_total",
      help: "Delta check-ins by where their base was found: kept (objects at hand), packed (compressed in memory, unpacked), none (rebuilt from the database, or not this host's latest)",
      labelNames: ["found"] as const,
      registers,
    });
    for (const f of ["kept", "packed", "none"] as const) found.inc({ found: f }, 0);
    bases.onFound = (f) => found.inc({ found: f });
    new Gauge({
      name: "compliance_delta_bases",
      help: "Hosts whose latest report this process holds for delta check-ins, by form (kept, packed)",
      labelNames: ["form"] as const,
      registers,
      collect() {
        for (const [form, n] of Object.entries(bases.sizes)) this.set({ form }, n);
      },
    });
    new Gauge({
      name: "compliance_delta_bases_bytes",
      help: "Memory the cache of delta bases takes, estimated, by form (kept, packed); COMPLIANCE_DELTA_CACHE_MB bounds their sum",
      labelNames: ["form"] as const,
      registers,
      collect() {
        for (const [form, n] of Object.entries(bases.usedBytes)) this.set({ form }, n);
      },
    });
  }

  /** Counts one answer "overloaded". */
  overloaded(reason: OverloadReason): void {
    this.overloadedAnswers.inc({ reason });
  }

  /** Gauges read when Prometheus scrapes: pool use, commit queue and hosts online, from the store. */
  private scrapeTimeGauges(store: Store, registers: Registry[]): void {
    new Gauge({
      name: "compliance_commit_queue",
      help: "Reports waiting for a shared commit (waiting), and commits under way (writing)",
      labelNames: ["state"] as const,
      registers,
      collect() {
        const use = store.commitQueue();
        this.set({ state: "waiting" }, use.waiting);
        this.set({ state: "writing" }, use.writing);
      },
    });
    const pool = store.poolUse();
    if (pool !== null) {
      new Gauge({
        name: "compliance_db_pool_connections",
        help: "Database connections of this process: open (total), idle, and requests waiting for one",
        labelNames: ["state"] as const,
        registers,
        collect() {
          const use = store.poolUse();
          if (!use) return;
          this.set({ state: "total" }, use.total);
          this.set({ state: "idle" }, use.idle);
          this.set({ state: "waiting" }, use.waiting);
        },
      });
    }
    new Gauge({
      name: "compliance_hosts",
      help: "Hosts by status: online (reported within two intervals), offline, never reported",
      labelNames: ["status"] as const,
      registers,
      async collect() {
        const c = await store.hostCounts();
        this.set({ status: "online" }, c.online);
        this.set({ status: "offline" }, c.total - c.online - c.neverReported);
        this.set({ status: "never_reported" }, c.neverReported);
      },
    });
  }

  /** Time spent evaluating policies (see PoliciesService.evaluator). */
  policyEvaluated(phase: "prepare" | "transaction", ms: number): void {
    this.policySeconds.observe({ phase }, ms / 1000);
  }

  /** Counts one answer to a report, whole or delta. */
  reportAnswered(request: FastifyRequest, reply: FastifyReply, delta: boolean): void {
    this.received.inc();
    this.ingestSeconds.observe(reply.elapsedTime / 1000);
    const status = reply.statusCode;
    if (delta) this.deltas.inc({ outcome: deltaOutcome(status, request.errorCode, reply) });
    if (status >= 400) {
      this.rejected.inc({ status: String(status), code: request.errorCode ?? "none" });
      return;
    }
    if (reply.getHeader("idempotent-replayed") === "true") {
      this.duplicates.inc();
      return;
    }
    this.stored.inc();
    const body = request.body as (Report & { set?: { agent?: Report["agent"] } }) | undefined;
    // A delta carries the agent's section only when it changed.
    const agent = delta ? body?.set?.agent : body?.agent;
    if (!agent) return;
    if (agent.rss_bytes !== undefined) this.agentRss.observe(agent.rss_bytes);
    if (agent.cpu_seconds !== undefined) this.agentCpu.observe(agent.cpu_seconds);
    if (agent.dropped_reports) this.agentDropped.inc(agent.dropped_reports);
    if (agent.set_aside?.count) this.agentSetAside.inc(agent.set_aside.count);
  }

  /** Counts every answer of the reports route. */
  install(app: FastifyInstance): void {
    app.addHook("onResponse", async (request, reply) => {
      if (request.method !== "POST") return;
      const route = request.routeOptions.url;
      if (route === REPORTS_ROUTE || route === DELTA_ROUTE) {
        this.reportAnswered(request, reply, route === DELTA_ROUTE);
      }
    });
  }
}

function deltaOutcome(status: number, code: string | null, reply: FastifyReply): string {
  if (status === 409 && code === "delta_base_unknown") return "base_unknown";
  if (status === 409 && code === "delta_mismatch") return "mismatch";
  if (status >= 400) return "rejected";
  return reply.getHeader("idempotent-replayed") === "true" ? "replayed" : "stored";
}
