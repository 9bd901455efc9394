import type {
  CollectorError,
  Host,
  HostListQuery,
  HostSortKey,
  PageOf,
} from "@compliance/contract";
import {
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SelectQueryBuilder,
  sql,
} from "kysely";
import type { Dialect } from "./dialect.ts";
import { contains, isGlob, matchesGlob } from "./like.ts";
import { isoOfPos, isoOrNull } from "./positions.ts";
import { knownFlags, type NodeIdentity, type Page } from "./records.ts";
import type { Database, HostsTable } from "./schema.ts";

/** The host list's filters (see the contract's HostListQuery), plus the source of hosts. */
export type HostFilter = Pick<
  HostListQuery,
  "q" | "os" | "ip" | "cpu" | "process" | "user" | "status"
> & {
  source?: string;
};

type HostRow = Selectable<HostsTable>;

/** Sort keys of the host list and the column each one means. */
const HOST_SORTS = {
  id: "id",
  hostname: "hostname",
  primary_ip: "primary_ip",
  os: "os_name",
  os_version: "os_version",
  kernel: "kernel",
  cpu: "cpu_model",
  last_seen_at: "latest_pos",
  last_changed_at: "changed_pos",
  enrolled_at: "enrolled_at",
  process_count: "process_count",
  session_count: "session_count",
  cpu_usage_percent: "cpu_usage",
  executions: "executions",
} as const satisfies Record<HostSortKey, keyof HostRow>;

const posIso = (pos: number | null) => (pos === null ? null : isoOfPos(pos));

export class HostsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Reads go here (see DatabaseHandle.reader). */
    private readonly reader: Kysely<Database>,
    private readonly dialect: Dialect,
    /** A host is online when its last report arrived less than this many ms ago. */
    private readonly onlineWindowMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Creates the host with this identifier, or gives the existing one a new node key (the
   * previous key stops working) when it has none (never had one, or it was revoked) or when
   * `currentKeyHash` is its key. A host whose key is another one keeps it: `taken`, nothing
   * changed. Concurrent enrollments of one identifier yield one host and one key.
   */
  async enroll(input: {
    identifier: string;
    hostname: string;
    nodeKeyHash: string;
    source: string;
    currentKeyHash?: string | null;
  }): Promise<{ hostId: number; created: boolean; taken: boolean }> {
    const values = this.newHost(input.identifier, input.hostname, input.source, input.nodeKeyHash);
    const before = await this.db
      .selectFrom("hosts")
      .select("id")
      .where("identifier", "=", input.identifier)
      .executeTakeFirst();
    if (!before) await this.dialect.upsert(this.db, "hosts", values, "identifier", null);
    // One statement decides, so two enrollments racing for one host cannot both win.
    await this.db
      .updateTable("hosts")
      .set({ node_key_hash: input.nodeKeyHash })
      .where("identifier", "=", input.identifier)
      .where((eb) =>
        eb.or([
          eb("node_key_hash", "is", null),
          eb("node_key_hash", "=", input.nodeKeyHash),
          ...(input.currentKeyHash ? [eb("node_key_hash", "=", input.currentKeyHash)] : []),
        ]),
      )
      .execute();
    const row = await this.db
      .selectFrom("hosts")
      .select(["id", "node_key_hash"])
      .where("identifier", "=", input.identifier)
      .executeTakeFirstOrThrow();
    return {
      hostId: row.id,
      created: before === undefined,
      taken: row.node_key_hash !== input.nodeKeyHash,
    };
  }

  /** The row of a host that has not reported yet. */
  private newHost(
    identifier: string,
    hostname: string,
    source: string,
    nodeKeyHash: string | null,
  ) {
    return {
      identifier,
      source,
      node_key_hash: nodeKeyHash,
      enrolled_at: this.now(),
      hostname,
      primary_ip: null,
      facts_id: null,
      facts_hash: null,
      latest_execution_id: null,
      latest_pos: null,
      first_pos: null,
      changed_pos: null,
      last_received_at: null,
    };
  }

  async byNodeKeyHash(hash: string): Promise<NodeIdentity | null> {
    return (
      (await this.reader
        .selectFrom("hosts")
        .select(["id", "identifier", "source"])
        .where("node_key_hash", "=", hash)
        .executeTakeFirst()) ?? null
    );
  }

  async byIdentifier(
    identifier: string,
  ): Promise<{ id: number; source: string; hasKey: boolean } | null> {
    const row = await this.db
      .selectFrom("hosts")
      .select(["id", "source", "node_key_hash"])
      .where("identifier", "=", identifier)
      .executeTakeFirst();
    return row ? { id: row.id, source: row.source, hasKey: row.node_key_hash !== null } : null;
  }

  /** Creates a host that reports without enrolling (the older systems' agents), keyed by identifier. */
  async ensureKeyless(identifier: string, hostname: string, source: string): Promise<number> {
    const existing = await this.byIdentifier(identifier);
    if (existing) return existing.id;
    const values = this.newHost(identifier, hostname, source, null);
    await this.dialect.upsert(this.db, "hosts", values, "identifier", null);
    return (await this.byIdentifier(identifier))!.id;
  }

  async revokeKey(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable("hosts")
      .set({ node_key_hash: null })
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Deletes a host and its whole history. */
  async delete(id: number): Promise<boolean> {
    return this.dialect.transaction(async (trx) => {
      for (const table of [
        "session_spans",
        "process_spans",
        "inventory_spans",
        "executions",
        "host_facts",
        "host_addresses",
        "host_state",
        "current_names",
        "policy_runs",
        "policy_events",
      ] as const) {
        await trx.deleteFrom(table).where("host_id", "=", id).execute();
      }
      const r = await trx.deleteFrom("hosts").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async get(id: number): Promise<Host | null> {
    const row = (await this.reader
      .selectFrom("hosts")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst()) as HostRow | undefined;
    if (!row) return null;
    return (await this.toHosts([row]))[0]!;
  }

  /** The hostnames of these hosts, by id (those that exist): a query per 500 ids. */
  async hostnames(ids: readonly number[]): Promise<Map<number, string>> {
    const names = new Map<number, string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.reader
        .selectFrom("hosts")
        .select(["id", "hostname"])
        .where("id", "in", unique.slice(i, i + 500))
        .execute();
      for (const r of rows) names.set(Number(r.id), r.hostname);
    }
    return names;
  }

  async list(filter: HostFilter, options: Page): Promise<PageOf<Host>> {
    const base = this.filtered(filter);
    const totalRow = await base
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const { column, desc } = parseSort(options.sort, HOST_SORTS, "hostname");
    const rows = (await base
      .selectAll()
      .orderBy(column, desc ? "desc" : "asc")
      .orderBy("id", "asc")
      .limit(options.limit)
      .offset(options.offset)
      .execute()) as HostRow[];
    return {
      items: await this.toHosts(rows),
      total: Number(totalRow.n),
      limit: options.limit,
      offset: options.offset,
    };
  }

  private filtered(filter: HostFilter): SelectQueryBuilder<Database, "hosts", object> {
    let q = this.reader.selectFrom("hosts");
    const exists = (
      eb: ExpressionBuilder<Database, "hosts">,
      table: "current_names" | "host_addresses",
      condition: RawBuilder<boolean>,
    ) =>
      eb.exists(
        eb
          .selectFrom(table)
          .select(sql`1`.as("one"))
          .whereRef(`${table}.host_id`, "=", "hosts.id")
          .where(condition),
      );
    // An exact name or user compares with =, a glob (`ngin*`) with LIKE ignoring case.
    const nameIs = (column: string, term: string) =>
      isGlob(term) ? matchesGlob(column, term) : sql<boolean>`${sql.ref(column)} = ${term}`;
    if (filter.q) {
      const text = filter.q;
      q = q.where((eb) =>
        eb.or([
          contains("hostname", text),
          contains("identifier", text),
          contains("os_name", text),
          contains("os_version", text),
          contains("cpu_model", text),
          exists(eb, "host_addresses", contains("host_addresses.ip", text)),
          exists(eb, "current_names", contains("current_names.name", text)),
        ]),
      );
    }
    if (filter.os) {
      const text = filter.os;
      q = q.where((eb) =>
        eb.or([contains("os_name", text), contains("os_version", text), contains("kernel", text)]),
      );
    }
    if (filter.cpu) q = q.where(contains("cpu_model", filter.cpu));
    if (filter.ip) {
      const ip = filter.ip;
      q = q.where((eb) => exists(eb, "host_addresses", sql<boolean>`host_addresses.ip = ${ip}`));
    }
    if (filter.process) {
      const name = filter.process;
      q = q.where((eb) =>
        exists(
          eb,
          "current_names",
          sql<boolean>`current_names.kind = 'p' and ${nameIs("current_names.name", name)}`,
        ),
      );
    }
    if (filter.user) {
      const user = filter.user;
      q = q.where((eb) =>
        exists(
          eb,
          "current_names",
          sql<boolean>`current_names.kind = 'u' and ${nameIs("current_names.name", user)}`,
        ),
      );
    }
    if (filter.source) q = q.where("source", "=", filter.source);
    if (filter.status) {
      const since = this.now() - this.onlineWindowMs;
      q =
        filter.status === "online"
          ? q.where("last_received_at", ">=", since)
          : q.where((eb) =>
              eb.or([eb("last_received_at", "<", since), eb("last_received_at", "is", null)]),
            );
    }
    return q as SelectQueryBuilder<Database, "hosts", object>;
  }

  /** Turns rows into the API's shape, with one extra query for the addresses of the page. */
  async toHosts(rows: HostRow[]): Promise<Host[]> {
    const ids = rows.map((r) => r.id);
    const addresses = new Map<number, string[]>();
    if (ids.length > 0) {
      const list = await this.reader
        .selectFrom("host_addresses")
        .select(["host_id", "ip"])
        .where("host_id", "in", ids)
        .execute();
      for (const a of list) {
        const l = addresses.get(a.host_id) ?? [];
        l.push(a.ip);
        addresses.set(a.host_id, l);
      }
    }
    const latest = new Map<number, string>();
    const latestErrors = new Map<number, CollectorError[] | undefined>();
    const latestIds = rows.map((r) => r.latest_execution_id).filter((x): x is number => x !== null);
    if (latestIds.length > 0) {
      const list = await this.reader
        .selectFrom("executions")
        .select(["id", "report_id", "extra"])
        .where("id", "in", latestIds)
        .execute();
      for (const e of list) {
        latest.set(e.id, e.report_id);
        const extra = e.extra ? (JSON.parse(e.extra) as { errors?: CollectorError[] }) : {};
        latestErrors.set(e.id, extra.errors);
      }
    }
    const since = this.now() - this.onlineWindowMs;
    return rows.map((r) => ({
      id: r.id,
      identifier: r.identifier,
      hostname: r.hostname,
      source: r.source,
      primary_ip: r.primary_ip,
      ip_addresses: addresses.get(r.id)?.sort() ?? [],
      os: {
        platform: r.os_platform,
        name: r.os_name,
        version: r.os_version,
        kernel: r.kernel,
        arch: r.arch,
      },
      cpu: { model: r.cpu_model, vendor: r.cpu_vendor, cores: r.cpu_cores },
      memory_total_bytes: r.memory_total,
      agent_version: r.agent_version,
      enrolled_at: new Date(r.enrolled_at).toISOString(),
      first_seen_at: posIso(r.first_pos),
      last_seen_at: posIso(r.latest_pos),
      last_report_id:
        r.latest_execution_id === null ? null : (latest.get(r.latest_execution_id) ?? null),
      last_changed_at: posIso(r.changed_pos),
      last_received_at: isoOrNull(r.last_received_at),
      online: r.last_received_at !== null && r.last_received_at >= since,
      executions: r.executions,
      process_count: r.process_count,
      session_count: r.session_count,
      sessions_known: r.sessions_known === 1,
      cpu_usage_percent: r.cpu_usage,
      memory_available_bytes: r.memory_available,
      ...knownFlags(
        r.latest_execution_id === null ? undefined : latestErrors.get(r.latest_execution_id),
      ),
    }));
  }
}

/**
 * Reads `sort=field` / `sort=-field` against a table of allowed fields; unknown fields are
 * the caller's 400 (checked before the query), so here they fall back to the default.
 */
export function parseSort<K extends string, C extends string>(
  sort: string | undefined,
  allowed: Record<K, C>,
  fallback: K,
): { column: C; desc: boolean } {
  const desc = sort?.startsWith("-") ?? false;
  const key = (sort?.replace(/^-/, "") || fallback) as K;
  return { column: allowed[key] ?? allowed[fallback], desc };
}
