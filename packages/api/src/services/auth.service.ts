import type { TokenRole } from "@compliance/contract";
import { hashSecret, sameHash } from "../auth.ts";
import { forbidden, unauthorized } from "../errors.ts";
import type { NodeIdentity, Store } from "../store/store.ts";

export interface AuthSecrets {
  adminTokenHash: string;
  enrollSecretHash: string;
}

/** Who a reader request comes from: the configured admin token, or a stored token. */
export interface Principal {
  role: TokenRole;
  tokenId: number | null;
  tokenName: string | null;
}

/** A token's last use is recorded at most this often, so reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

/** Who may do what: tokens of people and scripts, node keys of hosts, the enroll secret. */
export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly secrets: AuthSecrets,
    private readonly now: () => number,
  ) {}

  /** Checks a reader or admin token; `need` is the least role required. */
  async reader(token: string | null, need: TokenRole): Promise<Principal> {
    if (!token) throw unauthorized("send a token: Authorization: Bearer <token>");
    const hash = hashSecret(token);
    let principal: Principal | null = null;
    if (sameHash(hash, this.secrets.adminTokenHash)) {
      principal = { role: "admin", tokenId: null, tokenName: null };
    } else {
      const record = await this.store.tokenByHash(hash);
      if (record) {
        principal = { role: record.role, tokenId: record.id, tokenName: record.name };
        const last = record.last_used_at === null ? 0 : Date.parse(record.last_used_at);
        const now = this.now();
        if (now - last >= TOUCH_EVERY_MS) await this.store.touchToken(record.id, now);
      }
    }
    if (!principal) throw unauthorized("the token is not valid");
    if (need === "admin" && principal.role !== "admin") {
      throw forbidden("admin_required", "this needs an admin token");
    }
    return principal;
  }

  /** Checks a node key; the host it belongs to is the only host the request may write. */
  async node(key: string | null): Promise<NodeIdentity> {
    if (!key) throw unauthorized("send the node key: Authorization: Bearer <node_key>");
    const host = await this.store.hostByNodeKeyHash(hashSecret(key));
    if (!host) throw unauthorized("the node key is not valid; enroll again", "invalid_node_key");
    return host;
  }

  /** Whether a secret is the enroll secret. */
  isEnrollSecret(secret: string): boolean {
    return sameHash(hashSecret(secret), this.secrets.enrollSecretHash);
  }
}
