import type { Store } from "../store/store.ts";
import { ActivityService } from "./activity.service.ts";
import { AuditService } from "./audit.service.ts";
import { type AuthSecrets, AuthService } from "./auth.service.ts";
import { DeltaBases } from "./delta-bases.ts";
import { FleetService } from "./fleet.service.ts";
import { HealthService } from "./health.service.ts";
import { HistoryService } from "./history.service.ts";
import { HostsService } from "./hosts.service.ts";
import { IngestService } from "./ingest.service.ts";
import { LegacyService } from "./legacy.service.ts";
import { PoliciesService } from "./policies.service.ts";
import { PolicyJobs } from "./policy-jobs.ts";
import { TokensService } from "./tokens.service.ts";
import { WebhooksService } from "./webhooks.service.ts";

/** What the routes call: each service decides, the store only reads and writes. */
export interface Services {
  health: HealthService;
  audit: AuditService;
  auth: AuthService;
  hosts: HostsService;
  history: HistoryService;
  fleet: FleetService;
  ingest: IngestService;
  legacy: LegacyService;
  tokens: TokensService;
  policies: PoliciesService;
  jobs: PolicyJobs;
  webhooks: WebhooksService;
  activity: ActivityService;
  now: () => number;
}

export interface ServiceOptions {
  secrets: AuthSecrets;
  now: () => number;
  version: string;
  /** The agents' reporting interval (ms): freshness conditions and online status. */
  intervalMs: number;
  /** Deliver webhooks to loopback, link-local and private addresses too. */
  webhookAllowPrivate: boolean;
  log: { info(o: object, m: string): void; error(o: object, m: string): void };
  /** Memory for the reports delta check-ins apply to (see DeltaBases), in bytes. */
  deltaCacheBytes?: number | undefined;
  /** The cache of delta bases itself, instead of one of deltaCacheBytes with the defaults. */
  deltaBases?: DeltaBases | undefined;
}

/** Unless told: room for the latest report of a few hundred busy hosts. */
export const DEFAULT_DELTA_CACHE_BYTES = 128 * 1024 * 1024;

export function createServices(store: Store, options: ServiceOptions): Services {
  const { secrets, now } = options;
  const auth = new AuthService(store, secrets, now);
  const audit = new AuditService(store, now);
  const history = new HistoryService(store);
  const policies = new PoliciesService(store, history, now, options.intervalMs, audit);
  const ingest = new IngestService(
    store,
    now,
    policies,
    options.deltaBases ?? new DeltaBases(options.deltaCacheBytes ?? DEFAULT_DELTA_CACHE_BYTES),
  );
  return {
    health: new HealthService(store, options.version),
    audit,
    auth,
    hosts: new HostsService(store, auth, audit),
    history,
    fleet: new FleetService(store, history, now),
    ingest,
    legacy: new LegacyService(store, ingest, now),
    tokens: new TokensService(store, now, audit),
    policies,
    jobs: new PolicyJobs(store, now, options.intervalMs, options.log),
    webhooks: new WebhooksService(store, now, { allowPrivate: options.webhookAllowPrivate }, audit),
    activity: new ActivityService(store, now),
    now,
  };
}

export type { Actor } from "./audit.service.ts";
export type { AuthSecrets, Principal } from "./auth.service.ts";
