import type {
  ActivityItem,
  AuditEntry,
  CpuPoint,
  Execution,
  FleetSummary,
  Host,
  InventoryRow,
  InventoryTable,
  PageOf,
  Policy,
  PolicyStatus,
  ProcessSearchHit,
  Report,
  ReportProcess,
  ReportSession,
  SessionSearchHit,
  TokenRole,
} from "@compliance/contract";
import type { ActivityFilter } from "./activity.repository.ts";
import type { ArchiveEntry, ArchiveLag } from "./archive.repository.ts";
import type { AuditFilter, AuditRecord } from "./audit.repository.ts";
import type { Engine, PoolUse } from "./database.ts";
import type { ExecutionCursor, ExecutionFilter, ExecutionRef } from "./executions.repository.ts";
import type { Facts } from "./facts.ts";
import type { CommitQueueUse } from "./group-commit.ts";
import type { HistoryNeeds, WalkStep } from "./history-walk.ts";
import type { HostCounts } from "./host-counts.ts";
import type { HostFilter } from "./hosts.repository.ts";
import type { IngestOptions, IngestOutcome } from "./ingest.repository.ts";
import type { InventoryFilter } from "./inventory.repository.ts";
import type { InventoryKindName } from "./inventory-kinds.ts";
import type { InventoryHit, InventoryMatch } from "./inventory-search.repository.ts";
import type { JobRecord } from "./jobs.repository.ts";
import type { CpuSample, LegacyRequest } from "./legacy.repository.ts";
import type { PolicyRecord, StatusRow } from "./policies.repository.ts";
import type {
  ExecutionRecord,
  ExecutionSelector,
  NodeIdentity,
  Page,
  PruneResult,
  TimeRange,
  TokenRecord,
} from "./records.ts";
import type { DeliveryRecord, PolicyEventRecord, WebhookRecord } from "./webhooks.repository.ts";

/**
 * Everything the API keeps, behind one interface, grouped by entity. The implementation
 * (sql-store.ts) runs the same code on SQLite, PostgreSQL and MySQL/MariaDB; nothing outside
 * this folder sees a database handle, a row or an engine difference. Times are epoch ms.
 */
export interface Store {
  /** sqlite, postgres or mysql. */
  readonly engine: Engine;
  /** Where the data lives, without credentials (for the operator's log). */
  readonly where: string;

  // ---- lifecycle ----------------------------------------------------------------------
  /** Brings the schema up to date; safe when several API processes start at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /** The connection pool's use now; null where there is none (SQLite). */
  poolUse(): PoolUse | null;
  /** Tells `listener` the size of each shared commit of reports (group-commit.ts). */
  observeCommits(listener: (size: number) => void): void;
  /** Tells `listener` what each report stored read of its host's lifetimes (IngestOutcome). */
  observeSpanReads(listener: (read: "none" | "ended" | "around") => void): void;
  /** Reports waiting for a shared commit, and commits under way. */
  commitQueue(): CommitQueueUse;
  /** Hosts in all, online now and never reported (one aggregate, no history read). */
  hostCounts(): Promise<HostCounts>;

  // ---- audit trail ------------------------------------------------------------------------
  /** Records one admin action; returns its id. */
  appendAudit(record: AuditRecord): Promise<number>;
  /** The actions matching the filter, newest first, one page. */
  listAudit(
    filter: AuditFilter,
    page: { limit: number; offset: number },
  ): Promise<PageOf<AuditEntry>>;

  // ---- settings (the hashes of generated secrets) -------------------------------------
  setting(name: string): Promise<string | null>;
  /** Stores the value unless one is there already; returns the value that holds. */
  settingOnce(name: string, value: string): Promise<string>;

  // ---- tokens ---------------------------------------------------------------------------
  createToken(input: {
    name: string;
    role: TokenRole;
    tokenHash: string;
    createdAt: number;
  }): Promise<TokenRecord>;
  tokenByHash(tokenHash: string): Promise<TokenRecord | null>;
  /** Every token, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** False when there is no such token. */
  revokeToken(id: number): Promise<boolean>;
  /** Records that the token was used at `at`. */
  touchToken(id: number, at: number): Promise<void>;

  // ---- hosts ----------------------------------------------------------------------------
  /**
   * Creates the host with this identifier, or gives the existing one a new node key (the
   * previous key stops working) when it has none (never had one, or it was revoked) or when
   * `currentKeyHash` is its key. A host whose key is another one keeps it: `taken` is true
   * and nothing changed. Concurrent enrollments of one identifier yield one host, one key.
   */
  enrollHost(input: {
    identifier: string;
    hostname: string;
    nodeKeyHash: string;
    source: string;
    currentKeyHash?: string | null;
  }): Promise<{ hostId: number; created: boolean; taken: boolean }>;
  /** The host with this identifier, created without a key when new (older systems' agents). */
  keylessHost(identifier: string, hostname: string, source: string): Promise<number>;
  /** The host a node key (by its hash) belongs to. */
  hostByNodeKeyHash(hash: string): Promise<NodeIdentity | null>;
  hostByIdentifier(
    identifier: string,
  ): Promise<{ id: number; source: string; hasKey: boolean } | null>;
  getHost(id: number): Promise<Host | null>;
  /** The hostnames of these hosts, by id (those that exist). */
  hostnames(ids: readonly number[]): Promise<Map<number, string>>;
  /** Hosts matching the filter, one page, sorted by a HOST_SORT_KEYS field. */
  listHosts(filter: HostFilter, page: Page): Promise<PageOf<Host>>;
  /** Deletes a host and its whole history; false when there is no such host. */
  deleteHost(id: number): Promise<boolean>;
  /** Revokes a host's node key, keeping its history; false when there is no such host. */
  revokeHostKey(id: number): Promise<boolean>;

  // ---- executions: writing ----------------------------------------------------------------
  /**
   * Stores a report as an execution of hostId, in one transaction, at the position of its
   * collected_at. A report_id stored before returns that execution (duplicate: true) and
   * writes nothing. Throws StoreError: report_id_taken, too_many_reports, latest_changed.
   */
  ingest(
    hostId: number,
    report: Report,
    receivedAt: number,
    options?: IngestOptions,
  ): Promise<IngestOutcome>;
  /** Deletes executions collected before `beforeMs`, keeping each host's latest. */
  prune(beforeMs: number): Promise<PruneResult>;

  // ---- executions: reading ----------------------------------------------------------------
  /** The execution of hostId the selector picks; null when there is none. */
  findExecution(hostId: number, selector: ExecutionSelector): Promise<ExecutionRecord | null>;
  executionByReportId(reportId: string): Promise<ExecutionRecord | null>;
  /** Executions by id, in id order (the order they were stored). */
  executionsByIds(ids: number[]): Promise<ExecutionRecord[]>;
  /** A host's timeline: its executions within the range, one page, newest first by default. */
  listExecutions(hostId: number, range: TimeRange, page: Page): Promise<PageOf<Execution>>;
  /** The processes of an execution exactly as sent, in the order sent. */
  processesOf(execution: ExecutionRecord): Promise<ReportProcess[]>;
  /** The sessions of an execution exactly as sent, in the order sent. */
  sessionsOf(execution: ExecutionRecord): Promise<ReportSession[]>;
  factsOf(execution: ExecutionRecord): Promise<Facts>;
  /**
   * The inventory sections of an execution exactly as sent (all kinds, or those named);
   * a section the execution did not collect is absent.
   */
  inventoryOf(
    execution: ExecutionRecord,
    kinds?: readonly InventoryKindName[],
  ): Promise<Pick<Report, "packages" | "listening" | "accounts" | "services" | "settings">>;
  /** The whole report of an execution, equal to the one received. */
  reportOf(execution: ExecutionRecord): Promise<Report>;
  /**
   * Ids of executions stored after execution id `since` that changed something (or are a
   * host's first), up to `limit`; `next` is the cursor to go on from. Executions received
   * after `settledBefore` are held back.
   */
  changedExecutionsAfter(
    since: number,
    limit: number,
    settledBefore: number,
  ): Promise<{ ids: number[]; next: number; more: boolean }>;
  /** Executions queued for the archive whose next attempt is due by `now`, oldest first. */
  dueArchive(now: number, limit: number): Promise<ArchiveEntry[]>;
  /**
   * Takes a due entry for an attempt (its next attempt pushed to `retryAt` in case this
   * process dies during it); false when another process took it first.
   */
  takeArchive(entry: ArchiveEntry, retryAt: number): Promise<boolean>;
  /** The entry's report is in the archive: off the queue. */
  archived(id: number): Promise<void>;
  /** The attempt failed: the entry is tried again at `nextAttemptAt`. */
  deferArchive(id: number, nextAttemptAt: number, error: string): Promise<void>;
  /** How far behind the archive is: entries queued and when the oldest was stored. */
  archiveLag(): Promise<ArchiveLag>;
  /** How many executions a walk over `filter` covers. */
  countExecutions(filter: ExecutionFilter): Promise<number>;
  /** The next page of a walk over executions, by host and then time. */
  executionsAfter(
    filter: ExecutionFilter,
    after: ExecutionCursor | null,
    limit: number,
  ): Promise<ExecutionRef[]>;

  // ---- fleet ----------------------------------------------------------------------------
  fleetSummary(): Promise<FleetSummary>;
  /** Hosts running a process named `term` (exact, or a glob), now or at time `at`. */
  searchProcesses(term: string, at: number | null, page: Page): Promise<PageOf<ProcessSearchHit>>;
  /** Session lifetimes of users matching `pattern`: open now, or open within the range. */
  searchSessions(
    pattern: string,
    range: TimeRange & { openOnly: boolean },
    page: Page,
  ): Promise<PageOf<SessionSearchHit>>;
  /** CPU use per execution, fleet-wide or of one host, newest first unless sorted. */
  cpuSeries(
    filter: TimeRange & { hostId?: number | undefined },
    page: Page,
  ): Promise<PageOf<CpuPoint>>;
  /**
   * Every host holding an item of `kind` that matches (by name, exact or a glob; by
   * number), in its latest execution or the one in effect at `at`. Throws StoreError
   * search_too_broad past SEARCH_ROW_LIMIT items.
   */
  searchInventory(
    kind: InventoryKindName,
    match: InventoryMatch,
    at: number | null,
  ): Promise<InventoryHit[]>;
  inventoryTable(
    table: InventoryTable,
    filter: InventoryFilter,
    page: Page,
  ): Promise<PageOf<InventoryRow>>;

  /**
   * Lifetimes (processes, sessions, inventory items) present in an execution collected
   * within [from, to]: those that started, ended or lasted through it, newest first.
   */
  activity(filter: ActivityFilter, page: Page): Promise<PageOf<ActivityItem>>;

  // ---- policies -------------------------------------------------------------------------
  /** Every policy with its current document and version. */
  listPolicies(): Promise<PolicyRecord[]>;
  getPolicy(id: string): Promise<PolicyRecord | null>;
  /**
   * Stores a policy document; a document with another hash than the current one is a new
   * version. Says whether the version or `enabled` changed.
   */
  putPolicy(
    document: Policy,
    hash: string,
    origin: string,
    now: number,
  ): Promise<{ record: PolicyRecord; newVersion: boolean; enabledChanged: boolean }>;
  /** Deletes a policy and all its results; false when there is none. */
  deletePolicy(id: string): Promise<boolean>;
  /** Ends a policy's open runs at each host's latest execution (it was switched off). */
  closeOpenRuns(policyId: string): Promise<void>;
  /**
   * Replaces a host's runs of a policy version by those of the statuses given (one per
   * execution, in order); false, writing nothing, when the host's history changed since.
   */
  replaceRuns(
    policyId: string,
    version: number,
    hostId: number,
    statuses: readonly { pos: number; status: string }[],
  ): Promise<boolean>;
  /** Statuses of policy versions per host at `at` (or now), with the run's start. */
  policyStatuses(filter: {
    /** A time, now (null), or one execution of one host. */
    at: number | null | { hostId: number; pos: number };
    hostId?: number | undefined;
    policies?: readonly { id: string; version: number }[] | undefined;
    status?: PolicyStatus | undefined;
  }): Promise<StatusRow[]>;
  /** Ids of the hosts that had executions at `at` (null: that have some now), in id order. */
  hostIdsWithHistory(at: number | null): Promise<number[]>;
  /** Every execution of a host in order, rebuilt as `needs` says, reading the history once. */
  walkHistory(hostId: number, needs: HistoryNeeds): AsyncGenerator<WalkStep>;

  // ---- background jobs ------------------------------------------------------------------
  createJob(kind: string, subject: string, now: number): Promise<number>;
  getJob(id: number): Promise<JobRecord | null>;
  listJobs(limit: number): Promise<JobRecord[]>;
  /** Claims the oldest queued job, or a running one whose heartbeat is older than staleBefore. */
  claimJob(now: number, staleBefore: number): Promise<JobRecord | null>;
  jobProgress(id: number, done: number, total: number, now: number): Promise<void>;
  finishJob(id: number, now: number, error: string | null): Promise<void>;

  // ---- policy events and webhooks ---------------------------------------------------------
  policyEventsAfter(cursor: number, limit: number): Promise<PolicyEventRecord[]>;
  policyEventsOf(executionIds: number[]): Promise<PolicyEventRecord[]>;
  createWebhook(url: string, events: string, secret: string, now: number): Promise<WebhookRecord>;
  listWebhooks(): Promise<WebhookRecord[]>;
  deleteWebhook(id: number): Promise<boolean>;
  /** Turns a webhook's events into deliveries and moves its cursor, once across processes. */
  enqueueDeliveries(
    webhook: WebhookRecord,
    events: PolicyEventRecord[],
    payloadOf: (event: PolicyEventRecord) => string | null,
    now: number,
  ): Promise<number>;
  dueDeliveries(now: number, limit: number): Promise<DeliveryRecord[]>;
  /** Takes a due delivery for one attempt; false when another process took it. */
  takeDelivery(delivery: DeliveryRecord, retryAt: number): Promise<boolean>;
  settleDelivery(
    id: number,
    outcome: {
      status: "pending" | "delivered" | "failed";
      lastStatus: number | null;
      lastError: string | null;
      deliveredAt: number | null;
    },
  ): Promise<void>;
  webhookDeliveries(webhookId: number, limit: number): Promise<DeliveryRecord[]>;

  // ---- the older systems' reads ---------------------------------------------------------
  /** The report_id of the host's latest execution collected in the second starting at ms. */
  reportIdInSecond(hostId: number, ms: number): Promise<string | null>;
  /** Keeps a body an older system's agent sent, once per report_id. */
  saveLegacyRequest(request: Omit<LegacyRequest, "id">): Promise<void>;
  /** The body a report was made of, when an older system's agent sent it. */
  legacyRequestOf(reportId: string): Promise<LegacyRequest | null>;
  /** Ids and row counts of the bodies of one kind (of a host, or all), oldest first. */
  legacyRequestCounts(
    kind: string,
    hostId: number | null,
  ): Promise<{ id: number; itemCount: number }[]>;
  /** Bodies by id, oldest first. */
  legacyRequestsByIds(ids: number[]): Promise<LegacyRequest[]>;
  /** CPU uses measured by the agents of hosts of `source`, newest first. */
  cpuSamples(
    source: string,
    page: { limit: number; offset: number },
  ): Promise<{ items: CpuSample[]; total: number }>;
}

export type { ActivityFilter } from "./activity.repository.ts";
export type { ArchiveEntry, ArchiveLag } from "./archive.repository.ts";
export type { AuditFilter, AuditRecord } from "./audit.repository.ts";
export type { Engine, PoolUse } from "./database.ts";
export type { ExecutionCursor, ExecutionFilter, ExecutionRef } from "./executions.repository.ts";
export type { Facts } from "./facts.ts";
export type { HistoryNeeds, WalkStep } from "./history-walk.ts";
export type { HostCounts } from "./host-counts.ts";
export type { HostFilter } from "./hosts.repository.ts";
export type {
  IngestOptions,
  IngestOutcome,
  LatestSpans,
  StoredExecution,
} from "./ingest.repository.ts";
export type { InventoryFilter } from "./inventory.repository.ts";
export type { InventoryKindName } from "./inventory-kinds.ts";
export type { InventoryHit, InventoryMatch } from "./inventory-search.repository.ts";
export type { JobRecord } from "./jobs.repository.ts";
export type { CpuSample, LegacyRequest } from "./legacy.repository.ts";
export type { PolicyRecord, StatusRow } from "./policies.repository.ts";
export type { PolicyVerdict } from "./policy-runs.ts";
export type * from "./records.ts";
export type { DeliveryRecord, PolicyEventRecord, WebhookRecord } from "./webhooks.repository.ts";
