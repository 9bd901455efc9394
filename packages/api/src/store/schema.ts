import type { Generated } from "kysely";

// Row types: they never leave the store. Times are epoch milliseconds except the strings
// that reproduce what an agent sent (collected_at, started_at).

export interface SettingsTable {
  name: string;
  value: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  role: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
}

export interface HostsTable {
  id: Generated<number>;
  identifier: string;
  source: string;
  node_key_hash: string | null;
  enrolled_at: number;
  hostname: string;
  primary_ip: string | null;
  os_platform: Generated<string>;
  os_name: Generated<string>;
  os_version: Generated<string>;
  kernel: Generated<string>;
  arch: Generated<string>;
  cpu_model: Generated<string>;
  cpu_vendor: Generated<string>;
  cpu_cores: Generated<number>;
  memory_total: Generated<number>;
  agent_version: Generated<string>;
  facts_id: number | null;
  facts_hash: string | null;
  latest_execution_id: number | null;
  latest_pos: number | null;
  first_pos: number | null;
  changed_pos: number | null;
  last_received_at: number | null;
  executions: Generated<number>;
  process_count: Generated<number>;
  session_count: Generated<number>;
  sessions_known: Generated<number>;
  cpu_usage: Generated<number>;
  memory_available: Generated<number>;
}

export interface HostAddressesTable {
  host_id: number;
  ip: string;
}

export interface HostStateTable {
  host_id: number;
  process_hash: string;
  session_hash: string;
  /** JSON [[base_cpu, base_rss], ...] of the running processes, in pid order. */
  bases: string;
  /** Hash of the rows of current_names of this host. */
  names_hash: string | null;
  /** JSON {kind: hash of its items} of the latest execution. */
  inventory_hashes: string | null;
}

export interface CurrentNamesTable {
  host_id: number;
  /** "p": a process name, "u": a user with a session. */
  kind: string;
  name: string;
}

export interface HostFactsTable {
  id: Generated<number>;
  host_id: number;
  hash: string;
  body: string;
}

export interface ExecutionsTable {
  id: Generated<number>;
  host_id: number;
  report_id: string;
  pos: number;
  collected_at: string;
  received_at: number;
  facts_id: number;
  process_count: number;
  session_count: number;
  sessions_known: number;
  cpu_usage: number;
  memory_available: number;
  metrics: Uint8Array;
  extra: string | null;
  processes_started: number | null;
  processes_ended: number | null;
  sessions_opened: number | null;
  sessions_closed: number | null;
  facts_changed: number | null;
  /** Bits of the inventory sections present (inventory-kinds.ts); absent = not collected. */
  sections: Generated<number>;
  /** Deflated JSON {kind: order} of sections not sent in canonical order; null when all were. */
  inventory_orders: Uint8Array | null;
  /** Inventory lifetimes started or ended against the previous execution; null for a first. */
  inventory_changed: number | null;
}

export interface ProcessSpansTable {
  id: Generated<number>;
  host_id: number;
  first_pos: number;
  last_pos: number;
  pid: number;
  ppid: number;
  name: string;
  user_name: string;
  started_at: string | null;
  cmdline: string | null;
  base_cpu: number;
  base_rss: number;
}

export interface SessionSpansTable {
  id: Generated<number>;
  host_id: number;
  first_pos: number;
  last_pos: number;
  user_name: string;
  terminal: string;
  remote_host: string | null;
  started_at: string | null;
  pid: number | null;
}

export interface InventorySpansTable {
  id: Generated<number>;
  host_id: number;
  kind: string;
  first_pos: number;
  last_pos: number;
  name: string;
  number: number | null;
  version: string | null;
  /** The item as sent, as canonical JSON; also its identity. */
  body: string;
}

export interface PoliciesTable {
  id: string;
  name: string;
  severity: string;
  enabled: number;
  version: number;
  origin: string;
  created_at: number;
  updated_at: number;
}

export interface PolicyVersionsTable {
  policy_id: string;
  version: number;
  hash: string;
  /** The policy document as canonical JSON. */
  document: string;
  created_at: number;
}

export interface PolicyRunsTable {
  id: Generated<number>;
  policy_id: string;
  version: number;
  host_id: number;
  status: string;
  first_pos: number;
  last_pos: number;
}

export interface PolicyEventsTable {
  id: Generated<number>;
  policy_id: string;
  version: number;
  host_id: number;
  execution_id: number;
  report_id: string;
  collected_at: string;
  before: string | null;
  after: string;
  at: number;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  subject: string;
  status: string;
  total: number;
  done: number;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
}

export interface WebhooksTable {
  id: Generated<number>;
  url: string;
  events: string;
  secret: string;
  created_at: number;
  cursor: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  event_id: number;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface LegacyRequestsTable {
  id: Generated<number>;
  host_id: number;
  seed: string;
  kind: string;
  report_id: string;
  ip: string;
  received_at: number;
  item_count: number;
  body: string;
}

/** An execution whose report is still to be written to the archive (see archive.repository.ts). */
export interface ArchiveOutboxTable {
  id: Generated<number>;
  execution_id: number;
  attempts: Generated<number>;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
}

export interface Database {
  settings: SettingsTable;
  archive_outbox: ArchiveOutboxTable;
  api_tokens: ApiTokensTable;
  hosts: HostsTable;
  host_addresses: HostAddressesTable;
  host_state: HostStateTable;
  current_names: CurrentNamesTable;
  host_facts: HostFactsTable;
  executions: ExecutionsTable;
  process_spans: ProcessSpansTable;
  session_spans: SessionSpansTable;
  inventory_spans: InventorySpansTable;
  policies: PoliciesTable;
  policy_versions: PolicyVersionsTable;
  policy_runs: PolicyRunsTable;
  policy_events: PolicyEventsTable;
  jobs: JobsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  legacy_requests: LegacyRequestsTable;
}
