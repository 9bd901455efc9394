import type { EnrollRequest, EnrollResponse, Host, PageOf } from "@compliance/contract";
import { hashSecret, newSecret } from "../auth.ts";
import { ApiError, invalidField, notFound, unauthorized } from "../errors.ts";
import type { HostFilter, Page, Store } from "../store/store.ts";
import type { Actor, AuditService } from "./audit.service.ts";
import type { AuthService } from "./auth.service.ts";

/** Prefix of the identifiers of hosts the older systems' agents report (compat/). */
export const LEGACY_PREFIX = "legacy:";

/** How many hosts listAll reads at once: the host list's own largest page. */
const ALL_HOSTS_PAGE = 1000;

/** Hosts: the list, enrollment and the admin's actions. */
export class HostsService {
  constructor(
    private readonly store: Store,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Trades the enroll secret for a new node key of the host with this identifier. A host
   * that holds a key keeps it unless the caller proves it has that key (`currentKey`, sent
   * as `Authorization: Bearer`): the enroll secret alone does not take a host over. An
   * admin revoking the key lets the next enrollment through.
   */
  async enroll(request: EnrollRequest, currentKey: string | null = null): Promise<EnrollResponse> {
    if (!this.auth.isEnrollSecret(request.enroll_secret)) {
      throw unauthorized("the enroll secret is not valid", "invalid_enroll_secret");
    }
    if (request.host_identifier.startsWith(LEGACY_PREFIX)) {
      throw invalidField("body/host_identifier", `must not start with ${LEGACY_PREFIX}`);
    }
    const nodeKey = newSecret();
    const { hostId, taken } = await this.store.enrollHost({
      identifier: request.host_identifier,
      hostname: request.hostname ?? "",
      nodeKeyHash: hashSecret(nodeKey),
      source: "agent",
      currentKeyHash: currentKey === null ? null : hashSecret(currentKey),
    });
    if (taken) {
      throw new ApiError(
        409,
        "host_enrolled",
        `host ${hostId} ("${request.host_identifier}") is enrolled with another node key: enroll ` +
          "with that key (Authorization: Bearer <node_key>), or have an admin revoke it first " +
          `(POST /api/v1/hosts/${hostId}/revoke-key, or compliance-api host revoke-key ${hostId})`,
        [{ path: "body/host_identifier", message: "is enrolled with another node key" }],
      );
    }
    return { node_key: nodeKey, host_id: hostId };
  }

  list(filter: HostFilter, page: Page): Promise<PageOf<Host>> {
    return this.store.listHosts(filter, page);
  }

  /** Every host the filter matches, in `sort` order, read a bounded page at a time. */
  async listAll(filter: HostFilter, sort: string | undefined): Promise<Host[]> {
    const hosts: Host[] = [];
    for (;;) {
      const page = await this.store.listHosts(filter, {
        limit: ALL_HOSTS_PAGE,
        offset: hosts.length,
        ...(sort !== undefined ? { sort } : {}),
      });
      hosts.push(...page.items);
      if (page.items.length < ALL_HOSTS_PAGE || hosts.length >= page.total) return hosts;
    }
  }

  async get(id: number): Promise<Host> {
    const host = await this.store.getHost(id);
    if (!host) throw notFound(`host ${id}`);
    return host;
  }

  async delete(id: number, actor: Actor): Promise<void> {
    const host = await this.store.getHost(id);
    if (!host || !(await this.store.deleteHost(id))) throw notFound(`host ${id}`);
    await this.audit.record(actor, "host.delete", `host:${id}`, {
      identifier: host.identifier,
      hostname: host.hostname,
    });
  }

  async revokeKey(id: number, actor: Actor): Promise<void> {
    if (!(await this.store.revokeHostKey(id))) throw notFound(`host ${id}`);
    await this.audit.record(actor, "host.revoke_key", `host:${id}`);
  }
}
