import type { Token, TokenRole, WhoAmI } from "@compliance/contract";
import { hashSecret, newSecret } from "../auth.ts";
import { notFound } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { Actor, AuditService } from "./audit.service.ts";
import type { Principal } from "./auth.service.ts";

/** API tokens for people and scripts. The secret is shown once, at creation. */
export class TokensService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly audit: AuditService,
  ) {}

  list(): Promise<Token[]> {
    return this.store.listTokens();
  }

  async create(name: string, role: TokenRole, actor: Actor): Promise<Token & { token: string }> {
    const token = newSecret();
    const record = await this.store.createToken({
      name,
      role,
      tokenHash: hashSecret(token),
      createdAt: this.now(),
    });
    await this.audit.record(actor, "token.create", `token:${record.id}`, { name, role });
    return { ...record, token };
  }

  async revoke(id: number, actor: Actor): Promise<void> {
    if (!(await this.store.revokeToken(id))) throw notFound(`token ${id}`);
    await this.audit.record(actor, "token.revoke", `token:${id}`);
  }

  /** The role of a caller, and its token when it is a stored one. */
  whoAmI(principal: Principal): WhoAmI {
    return {
      role: principal.role,
      token:
        principal.tokenId === null ? null : { id: principal.tokenId, name: principal.tokenName! },
    };
  }
}
