import type { Kysely, Selectable } from "kysely";
import type { Dialect } from "./dialect.ts";
import type {
  Database,
  PolicyEventsTable,
  WebhookDeliveriesTable,
  WebhooksTable,
} from "./schema.ts";

export type PolicyEventRecord = Selectable<PolicyEventsTable>;
export type WebhookRecord = Selectable<WebhooksTable>;
export type DeliveryRecord = Selectable<WebhookDeliveriesTable>;

/**
 * Policy events (a host's status of a policy changed with a newly stored execution) and the
 * webhooks they are delivered to: each webhook takes events after its cursor into its own
 * deliveries (an outbox), which are sent and retried apart from ingest.
 */
export class WebhooksRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async eventsAfter(cursor: number, limit: number): Promise<PolicyEventRecord[]> {
    return this.db
      .selectFrom("policy_events")
      .selectAll()
      .where("id", ">", cursor)
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /** Events of executions, by execution id (the change feed shows them with the execution). */
  async eventsOf(executionIds: number[]): Promise<PolicyEventRecord[]> {
    if (executionIds.length === 0) return [];
    return this.db
      .selectFrom("policy_events")
      .selectAll()
      .where("execution_id", "in", executionIds)
      .orderBy("id")
      .execute();
  }

  async lastEventId(): Promise<number> {
    const row = await this.db
      .selectFrom("policy_events")
      .select((eb) => eb.fn.max("id").as("id"))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  async create(url: string, events: string, secret: string, now: number): Promise<WebhookRecord> {
    // A new webhook hears what happens from now on, not the past.
    const cursor = await this.lastEventId();
    const values = { url, events, secret, created_at: now, cursor };
    const id = await this.dialect.insertReturningId(this.db, "webhooks", values);
    return { id, ...values };
  }

  list(): Promise<WebhookRecord[]> {
    return this.db.selectFrom("webhooks").selectAll().orderBy("id").execute();
  }

  async delete(id: number): Promise<boolean> {
    return this.dialect.transaction(async (trx) => {
      await trx.deleteFrom("webhook_deliveries").where("webhook_id", "=", id).execute();
      const r = await trx.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /**
   * Turns a webhook's events after its cursor into deliveries, moving the cursor in the
   * same transaction; `payloadOf` returns null for an event the webhook does not take.
   */
  async enqueue(
    webhook: WebhookRecord,
    events: PolicyEventRecord[],
    payloadOf: (event: PolicyEventRecord) => string | null,
    now: number,
  ): Promise<number> {
    if (events.length === 0) return 0;
    const rows = events.flatMap((event) => {
      const payload = payloadOf(event);
      return payload === null
        ? []
        : [
            {
              webhook_id: webhook.id,
              event_id: event.id,
              payload,
              status: "pending",
              attempts: 0,
              next_attempt_at: now,
              last_status: null,
              last_error: null,
              created_at: now,
              delivered_at: null,
            },
          ];
    });
    return this.dialect.transaction(async (trx) => {
      const moved = await trx
        .updateTable("webhooks")
        .set({ cursor: events.at(-1)!.id })
        .where("id", "=", webhook.id)
        .where("cursor", "=", webhook.cursor)
        .executeTakeFirst();
      // Another process moved it first: it enqueued these.
      if (Number(moved.numUpdatedRows) !== 1) return 0;
      await this.dialect.insertMany(trx, "webhook_deliveries", rows);
      return rows.length;
    });
  }

  /** Deliveries due now, oldest first. */
  due(now: number, limit: number): Promise<DeliveryRecord[]> {
    return this.db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /**
   * Takes a due delivery for an attempt (pushing its next attempt to `retryAt` in case this
   * process dies during it); false when another process took it first.
   */
  async take(delivery: DeliveryRecord, retryAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable("webhook_deliveries")
      .set({ next_attempt_at: retryAt, attempts: delivery.attempts + 1 })
      .where("id", "=", delivery.id)
      .where("attempts", "=", delivery.attempts)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async settle(
    id: number,
    outcome: {
      status: "pending" | "delivered" | "failed";
      lastStatus: number | null;
      lastError: string | null;
      deliveredAt: number | null;
    },
  ): Promise<void> {
    await this.db
      .updateTable("webhook_deliveries")
      .set({
        status: outcome.status,
        last_status: outcome.lastStatus,
        last_error: outcome.lastError,
        delivered_at: outcome.deliveredAt,
      })
      .where("id", "=", id)
      .execute();
  }

  /** A webhook's delivery log, newest first. */
  deliveries(webhookId: number, limit: number): Promise<DeliveryRecord[]> {
    return this.db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("webhook_id", "=", webhookId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }
}
