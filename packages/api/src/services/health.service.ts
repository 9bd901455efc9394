import type { Health } from "@compliance/contract";
import type { Store } from "../store/store.ts";

/** How long /health waits for the database before calling it down. */
const PING_TIMEOUT_MS = 2000;

/** Whether the API can do its work: the database answers within a short time. */
export class HealthService {
  constructor(
    private readonly store: Store,
    readonly version: string,
  ) {}

  async check(): Promise<Health> {
    const status = (ok: boolean) => (ok ? "ok" : "degraded") as Health["status"];
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer within 2 s")), PING_TIMEOUT_MS);
      });
      await Promise.race([this.store.ping(), timeout]).finally(() => clearTimeout(timer));
      return {
        status: status(true),
        health: status(true),
        version: this.version,
        database: { engine: this.store.engine, ok: true },
      };
    } catch (e) {
      return {
        status: status(false),
        health: status(false),
        version: this.version,
        database: {
          engine: this.store.engine,
          ok: false,
          error: (e as Error).message.slice(0, 200),
        },
      };
    }
  }
}
