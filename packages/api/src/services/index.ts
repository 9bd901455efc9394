import type { Store } from "../store/store.ts";
import { type AuthSecrets, AuthService } from "./auth.service.ts";
import { FleetService } from "./fleet.service.ts";
import { HealthService } from "./health.service.ts";
import { HistoryService } from "./history.service.ts";
import { HostsService } from "./hosts.service.ts";
import { IngestService } from "./ingest.service.ts";
import { LegacyService } from "./legacy.service.ts";
import { TokensService } from "./tokens.service.ts";

/** What the routes call: each service decides, the store only reads and writes. */
export interface Services {
  health: HealthService;
  auth: AuthService;
  hosts: HostsService;
  history: HistoryService;
  fleet: FleetService;
  ingest: IngestService;
  legacy: LegacyService;
  tokens: TokensService;
  now: () => number;
}

export function createServices(
  store: Store,
  options: { secrets: AuthSecrets; now: () => number; version: string },
): Services {
  const { secrets, now } = options;
  const auth = new AuthService(store, secrets, now);
  const history = new HistoryService(store);
  const ingest = new IngestService(store, now);
  return {
    health: new HealthService(store, options.version),
    auth,
    hosts: new HostsService(store, auth),
    history,
    fleet: new FleetService(store, history, now),
    ingest,
    legacy: new LegacyService(store, ingest, now),
    tokens: new TokensService(store, now),
    now,
  };
}

export type { AuthSecrets, Principal } from "./auth.service.ts";
