import type { AuditAction, AuditEntry, PageOf } from "@compliance/contract";
import type { AuditFilter, Store } from "../store/store.ts";
import type { Principal } from "./auth.service.ts";

/** Who did something: a stored token, the configured admin token, the CLI, or the API itself. */
export interface Actor {
  /** token:<id>, admin-token, cli or system. */
  id: string;
  /** The stored token's name; null for the others. */
  name: string | null;
}

export const CLI_ACTOR: Actor = Object.freeze({ id: "cli", name: null });
export const SYSTEM_ACTOR: Actor = Object.freeze({ id: "system", name: null });

/** The actor of an authenticated admin or reader request. */
export function actorOf(principal: Principal | null): Actor {
  if (!principal) return SYSTEM_ACTOR;
  if (principal.tokenId === null) return { id: "admin-token", name: null };
  return { id: `token:${principal.tokenId}`, name: principal.tokenName };
}

/**
 * The audit trail of admin actions. Each service records its action once it is done;
 * details name what changed, never a secret.
 */
export class AuditService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  async record(
    actor: Actor,
    action: AuditAction,
    target: string | null,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.store.appendAudit({
      at: this.now(),
      actor: actor.id,
      actorName: actor.name,
      action,
      target,
      details,
    });
  }

  list(filter: AuditFilter, page: { limit: number; offset: number }): Promise<PageOf<AuditEntry>> {
    return this.store.listAudit(filter, page);
  }
}
