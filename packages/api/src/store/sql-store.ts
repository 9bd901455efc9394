import { sql } from "kysely";
import { ActivityRepository } from "./activity.repository.ts";
import { ArchiveRepository } from "./archive.repository.ts";
import { AuditRepository } from "./audit.repository.ts";
import {
  type DatabaseHandle,
  LONG_POOL_SIZE,
  migrateToLatest,
  openDatabase,
  type SqliteOpener,
} from "./database.ts";
import { Dialect } from "./dialect.ts";
import { ExecutionsRepository } from "./executions.repository.ts";
import { FleetRepository } from "./fleet.repository.ts";
import { walkHistory } from "./history-walk.ts";
import { countHosts } from "./host-counts.ts";
import { HostsRepository } from "./hosts.repository.ts";
import { IngestRepository } from "./ingest.repository.ts";
import { InventoryRepository } from "./inventory.repository.ts";
import { INVENTORY_KIND_BY_NAME, INVENTORY_KINDS } from "./inventory-kinds.ts";
import { InventorySearchRepository } from "./inventory-search.repository.ts";
import { JobsRepository } from "./jobs.repository.ts";
import { LegacyRepository } from "./legacy.repository.ts";
import { PoliciesRepository } from "./policies.repository.ts";
import { posOfTime } from "./positions.ts";
import { inventoryOf, loadFacts, processesOf, reportOf, sessionsOf } from "./report-rebuild.ts";
import { pruneExecutions } from "./retention.repository.ts";
import type { Store } from "./store.ts";
import { TokensRepository } from "./tokens.repository.ts";
import { WebhooksRepository } from "./webhooks.repository.ts";

export interface StoreOptions {
  /** DATABASE_URL: sqlite:<path>, postgres://…, mysql://… */
  url: string;
  /** Connections per API process (PostgreSQL, MySQL). */
  poolSize?: number | undefined;
  /** SQLite's synchronous setting (see database.ts). */
  sqliteSynchronous?: "FULL" | "NORMAL" | undefined;
  /** Opens SQLite connections over another driver than node:sqlite (see database.ts). */
  sqliteDriver?: SqliteOpener | undefined;
  /** A host is online when it reported within this many ms. */
  onlineWindowMs?: number | undefined;
  /** The clock (epoch ms); the system's by default. */
  now?: (() => number) | undefined;
  /**
   * The longest a request's statement may run, in ms (see database.ts); migrations,
   * retention and policy evaluations over the history are not bounded. Absent or 0: none.
   */
  statementTimeoutMs?: number | undefined;
  /** Every execution stored is queued for the archive of raw reports (COMPLIANCE_ARCHIVE_URL). */
  archive?: boolean | undefined;
  /**
   * Reports per shared commit at most (COMPLIANCE_DB_WRITE_BATCH); absent: 64 on SQLite,
   * 32 on MySQL, 1 on PostgreSQL (each report in a transaction of its own).
   */
  writeBatch?: number | undefined;
}

/** Opens the store of DATABASE_URL. Call migrate() before the first use. */
export function openStore(options: StoreOptions): Store {
  const handle = openDatabase(options.url, {
    poolSize: options.poolSize,
    sqliteSynchronous: options.sqliteSynchronous,
    sqliteDriver: options.sqliteDriver,
    statementTimeoutMs: options.statementTimeoutMs,
  });
  return new SqlStore(
    handle,
    options.onlineWindowMs ?? 11 * 60_000,
    options.now ?? Date.now,
    options.archive ?? false,
    { writeBatch: options.writeBatch, poolSize: options.poolSize },
  );
}

/** The Store over Kysely: one repository per concept, composed. */
class SqlStore implements Store {
  readonly engine;
  readonly where;
  private readonly dialect: Dialect;
  private readonly hosts: HostsRepository;
  private readonly tokens: TokensRepository;
  private readonly ingestion: IngestRepository;
  private readonly executions: ExecutionsRepository;
  private readonly fleet: FleetRepository;
  private readonly inventory: InventoryRepository;
  private readonly legacy: LegacyRepository;
  private readonly inventorySearch: InventorySearchRepository;
  private readonly policies: PoliciesRepository;
  private readonly jobs: JobsRepository;
  private readonly webhooks: WebhooksRepository;
  /** Long work, unbounded by the statement timeout: its dialect, reads, and policy runs. */
  private readonly longDialect: Dialect;
  private readonly longReader;
  private readonly longPolicies: PoliciesRepository;
  private readonly activities: ActivityRepository;
  private readonly audit: AuditRepository;
  private readonly archive: ArchiveRepository;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly onlineWindowMs: number,
    private readonly now: () => number,
    archive: boolean,
    writes: { writeBatch: number | undefined; poolSize: number | undefined },
  ) {
    const { db, reader } = handle;
    this.engine = handle.engine;
    this.where = handle.where;
    this.dialect = new Dialect(handle.engine, db, writes);
    this.hosts = new HostsRepository(db, reader, this.dialect, onlineWindowMs, now);
    this.tokens = new TokensRepository(db, reader, this.dialect);
    this.ingestion = new IngestRepository(this.dialect, archive);
    this.archive = new ArchiveRepository(db);
    this.executions = new ExecutionsRepository(reader);
    this.fleet = new FleetRepository(reader, this.hosts, onlineWindowMs, now);
    this.inventory = new InventoryRepository(reader);
    this.legacy = new LegacyRepository(reader, db);
    this.inventorySearch = new InventorySearchRepository(reader);
    this.policies = new PoliciesRepository(db, reader, this.dialect);
    this.jobs = new JobsRepository(db, this.dialect);
    this.webhooks = new WebhooksRepository(db, this.dialect);
    const long = handle.long;
    this.longDialect =
      long === db
        ? this.dialect
        : new Dialect(handle.engine, long, { ...writes, poolSize: LONG_POOL_SIZE });
    // SQLite: reads of long work go to the reader connection, as every read does.
    this.longReader = long === db ? reader : long;
    this.longPolicies =
      long === db ? this.policies : new PoliciesRepository(long, long, this.longDialect);
    this.activities = new ActivityRepository(reader);
    this.audit = new AuditRepository(db, reader, handle.engine);
  }

  migrate = () => migrateToLatest(this.handle.long);
  close = () => this.handle.close();
  ping = async () => {
    await sql`select 1`.execute(this.handle.db);
  };
  poolUse: Store["poolUse"] = () => this.handle.poolUse?.() ?? null;
  observeCommits: Store["observeCommits"] = (listener) => this.dialect.observeCommits(listener);
  commitQueue: Store["commitQueue"] = () => this.dialect.commitQueue();

  hostCounts: Store["hostCounts"] = () =>
    countHosts(this.handle.reader, this.now() - this.onlineWindowMs);

  appendAudit: Store["appendAudit"] = (record) => this.audit.append(record);
  listAudit: Store["listAudit"] = (filter, page) => this.audit.list(filter, page);

  setting: Store["setting"] = (name) => this.tokens.setting(name);
  settingOnce: Store["settingOnce"] = (name, value) => this.tokens.settingOnce(name, value);

  createToken: Store["createToken"] = (input) => this.tokens.create(input);
  tokenByHash: Store["tokenByHash"] = (hash) => this.tokens.byHash(hash);
  listTokens: Store["listTokens"] = () => this.tokens.list();
  revokeToken: Store["revokeToken"] = (id) => this.tokens.revoke(id);
  touchToken: Store["touchToken"] = (id, at) => this.tokens.touch(id, at);

  enrollHost: Store["enrollHost"] = (input) => this.hosts.enroll(input);
  keylessHost: Store["keylessHost"] = (identifier, hostname, source) =>
    this.hosts.ensureKeyless(identifier, hostname, source);
  hostByNodeKeyHash: Store["hostByNodeKeyHash"] = (hash) => this.hosts.byNodeKeyHash(hash);
  hostByIdentifier: Store["hostByIdentifier"] = (identifier) => this.hosts.byIdentifier(identifier);
  getHost: Store["getHost"] = (id) => this.hosts.get(id);
  hostnames: Store["hostnames"] = (ids) => this.hosts.hostnames(ids);
  listHosts: Store["listHosts"] = (filter, page) => this.hosts.list(filter, page);
  deleteHost: Store["deleteHost"] = (id) => this.hosts.delete(id);
  revokeHostKey: Store["revokeHostKey"] = (id) => this.hosts.revokeKey(id);

  private spanReadsListener: ((read: "none" | "ended" | "around") => void) | null = null;
  observeSpanReads: Store["observeSpanReads"] = (listener) => {
    this.spanReadsListener = listener;
  };
  ingest: Store["ingest"] = async (hostId, report, receivedAt, options) => {
    const outcome = await this.ingestion.ingest(hostId, report, receivedAt, options);
    if (outcome.spanReads) this.spanReadsListener?.(outcome.spanReads);
    return outcome;
  };
  prune: Store["prune"] = (beforeMs) =>
    pruneExecutions(this.handle.long, this.longDialect, beforeMs);

  findExecution: Store["findExecution"] = (hostId, selector) =>
    this.executions.find(hostId, selector);
  executionByReportId: Store["executionByReportId"] = (reportId) =>
    this.executions.byReportId(reportId);
  executionsByIds: Store["executionsByIds"] = (ids) => this.executions.byIds(ids);
  listExecutions: Store["listExecutions"] = (hostId, range, page) =>
    this.executions.list(hostId, range, page);
  processesOf: Store["processesOf"] = (e) => processesOf(this.handle.reader, e);
  sessionsOf: Store["sessionsOf"] = (e) => sessionsOf(this.handle.reader, e);
  factsOf: Store["factsOf"] = (e) => loadFacts(this.handle.reader, e.factsId);
  inventoryOf: Store["inventoryOf"] = (e, kinds) =>
    inventoryOf(
      this.handle.reader,
      e,
      kinds ? kinds.map((k) => INVENTORY_KIND_BY_NAME.get(k)!) : INVENTORY_KINDS,
    );
  reportOf: Store["reportOf"] = async (e) => {
    const host = await this.handle.reader
      .selectFrom("hosts")
      .select("identifier")
      .where("id", "=", e.hostId)
      .executeTakeFirstOrThrow();
    return reportOf(this.handle.reader, e, host.identifier);
  };
  changedExecutionsAfter: Store["changedExecutionsAfter"] = (since, limit, settledBefore) =>
    this.executions.changedAfter(since, limit, settledBefore);
  countExecutions: Store["countExecutions"] = (filter) => this.executions.count(filter);
  executionsAfter: Store["executionsAfter"] = (filter, after, limit) =>
    this.executions.after(filter, after, limit);

  fleetSummary: Store["fleetSummary"] = () => this.fleet.summary();
  searchProcesses: Store["searchProcesses"] = (term, at, page) =>
    this.fleet.hostsRunning(term, at, page);
  searchSessions: Store["searchSessions"] = (pattern, range, page) =>
    this.fleet.sessionsOf(pattern, range, page);
  cpuSeries: Store["cpuSeries"] = (filter, page) => this.fleet.cpuSeries(filter, page);
  searchInventory: Store["searchInventory"] = (kind, match, at) =>
    this.inventorySearch.hits(INVENTORY_KIND_BY_NAME.get(kind)!, match, at);
  inventoryTable: Store["inventoryTable"] = (table, filter, page) =>
    this.inventory.table(table, filter, page);
  activity: Store["activity"] = (filter, page) => this.activities.window(filter, page);

  listPolicies: Store["listPolicies"] = () => this.policies.list();
  getPolicy: Store["getPolicy"] = (id) => this.policies.get(id);
  putPolicy: Store["putPolicy"] = (document, hash, origin, now) =>
    this.policies.put(document, hash, origin, now);
  deletePolicy: Store["deletePolicy"] = (id) => this.policies.delete(id);
  closeOpenRuns: Store["closeOpenRuns"] = (id) => this.policies.closeOpenRuns(id);
  replaceRuns: Store["replaceRuns"] = (policyId, version, hostId, statuses) =>
    this.longPolicies.replaceRuns(policyId, version, hostId, statuses);
  policyStatuses: Store["policyStatuses"] = (filter) => this.policies.statuses(filter);
  hostIdsWithHistory: Store["hostIdsWithHistory"] = async (at) => {
    let q = this.handle.reader.selectFrom("hosts").select("id").where("first_pos", "is not", null);
    if (at !== null) q = q.where("first_pos", "<", posOfTime(at + 1));
    return (await q.orderBy("id").execute()).map((r) => r.id);
  };
  walkHistory: Store["walkHistory"] = (hostId, needs) =>
    walkHistory(this.longReader, hostId, needs);

  createJob: Store["createJob"] = (kind, subject, now) => this.jobs.create(kind, subject, now);
  getJob: Store["getJob"] = (id) => this.jobs.get(id);
  listJobs: Store["listJobs"] = (limit) => this.jobs.list(limit);
  claimJob: Store["claimJob"] = (now, staleBefore) => this.jobs.claim(now, staleBefore);
  jobProgress: Store["jobProgress"] = (id, done, total, now) =>
    this.jobs.progress(id, done, total, now);
  finishJob: Store["finishJob"] = (id, now, error) => this.jobs.finish(id, now, error);

  policyEventsAfter: Store["policyEventsAfter"] = (cursor, limit) =>
    this.webhooks.eventsAfter(cursor, limit);
  policyEventsOf: Store["policyEventsOf"] = (ids) => this.webhooks.eventsOf(ids);
  createWebhook: Store["createWebhook"] = (url, events, secret, now) =>
    this.webhooks.create(url, events, secret, now);
  listWebhooks: Store["listWebhooks"] = () => this.webhooks.list();
  deleteWebhook: Store["deleteWebhook"] = (id) => this.webhooks.delete(id);
  enqueueDeliveries: Store["enqueueDeliveries"] = (webhook, events, payloadOf, now) =>
    this.webhooks.enqueue(webhook, events, payloadOf, now);
  dueDeliveries: Store["dueDeliveries"] = (now, limit) => this.webhooks.due(now, limit);
  takeDelivery: Store["takeDelivery"] = (delivery, retryAt) =>
    this.webhooks.take(delivery, retryAt);
  settleDelivery: Store["settleDelivery"] = (id, outcome) => this.webhooks.settle(id, outcome);
  webhookDeliveries: Store["webhookDeliveries"] = (id, limit) =>
    this.webhooks.deliveries(id, limit);

  dueArchive: Store["dueArchive"] = (now, limit) => this.archive.due(now, limit);
  takeArchive: Store["takeArchive"] = (entry, retryAt) => this.archive.take(entry, retryAt);
  archived: Store["archived"] = (id) => this.archive.done(id);
  deferArchive: Store["deferArchive"] = (id, nextAttemptAt, error) =>
    this.archive.defer(id, nextAttemptAt, error);
  archiveLag: Store["archiveLag"] = () => this.archive.lag();

  reportIdInSecond: Store["reportIdInSecond"] = (hostId, ms) =>
    this.legacy.reportIdInSecond(hostId, ms);
  cpuSamples: Store["cpuSamples"] = (source, page) => this.legacy.cpuSamples(source, page);
  saveLegacyRequest: Store["saveLegacyRequest"] = (request) => this.legacy.saveRequest(request);
  legacyRequestOf: Store["legacyRequestOf"] = (reportId) => this.legacy.requestOf(reportId);
  legacyRequestCounts: Store["legacyRequestCounts"] = (kind, hostId) =>
    this.legacy.requestCounts(kind, hostId);
  legacyRequestsByIds: Store["legacyRequestsByIds"] = (ids) => this.legacy.requestsByIds(ids);
}
