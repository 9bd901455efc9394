import { createHmac, randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import {
  type Delivery,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookEvent,
  type WebhookPayload,
} from "@compliance/contract";
import { invalidField, notFound } from "../errors.ts";
import { cidrContains, parseCidr, parseIp } from "../policies/ip.ts";
import type { DeliveryRecord, PolicyEventRecord, Store, WebhookRecord } from "../store/store.ts";
import type { Actor, AuditService } from "./audit.service.ts";

/** Addresses a webhook may not reach unless private targets are allowed. */
const PRIVATE_RANGES = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
].map((c) => parseCidr(c)!);

/** Attempts of a delivery before it is given up (the log keeps it). */
const MAX_ATTEMPTS = 10;
/** Events a webhook takes into deliveries per pass. */
const BATCH = 500;
const TIMEOUT_MS = 10_000;

export interface WebhookOptions {
  /** COMPLIANCE_WEBHOOK_ALLOW_PRIVATE: deliver to loopback, link-local and private addresses. */
  allowPrivate: boolean;
  fetch?: typeof fetch;
  /** Resolves a host name to its addresses (DNS by default). */
  resolve?: (host: string) => Promise<string[]>;
}

/** The webhook event a change of status is, if any: starts failing, passes again, unknown. */
export function eventOf(before: string | null, after: string): WebhookEvent | null {
  if (after === "fail" && before !== "fail") return "failing";
  if (after === "pass" && before === "fail") return "passing";
  if (after === "unknown" && before !== "unknown") return "unknown";
  return null;
}

/** The signature header of a body sent at `timestamp`: sha256=HMAC(secret, "ts.body"). */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * Webhooks: a host starting to fail a policy (or passing again) is posted, signed, to each
 * webhook that asked for it. Events come from an outbox written with the executions; each
 * webhook's deliveries are retried with backoff and logged, apart from ingest.
 */
export class WebhooksService {
  private readonly fetch: typeof fetch;
  private readonly resolve: (host: string) => Promise<string[]>;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly options: WebhookOptions,
    private readonly audit: AuditService,
  ) {
    this.fetch = options.fetch ?? fetch;
    this.resolve =
      options.resolve ??
      (async (host) => (await lookup(host, { all: true })).map((a) => a.address));
  }

  async list(): Promise<Webhook[]> {
    return (await this.store.listWebhooks()).map(webhookOf);
  }

  async create(url: string, events: readonly WebhookEvent[] | undefined, actor: Actor) {
    await this.checkTarget(url, "body/url");
    const secret = randomBytes(32).toString("base64url");
    const record = await this.store.createWebhook(
      url,
      (events ?? ["failing", "passing"]).join(","),
      secret,
      this.now(),
    );
    // The address only: its query string may carry a credential of the receiver.
    const target = new URL(url);
    await this.audit.record(actor, "webhook.create", `webhook:${record.id}`, {
      url: `${target.origin}${target.pathname}`,
      events: record.events,
    });
    return { ...webhookOf(record), secret };
  }

  async remove(id: number, actor: Actor): Promise<void> {
    if (!(await this.store.deleteWebhook(id))) throw notFound(`webhook ${id}`);
    await this.audit.record(actor, "webhook.delete", `webhook:${id}`);
  }

  async deliveries(id: number, limit: number): Promise<Delivery[]> {
    if (!(await this.store.listWebhooks()).some((w) => w.id === id))
      throw notFound(`webhook ${id}`);
    return (await this.store.webhookDeliveries(id, limit)).map(deliveryOf);
  }

  /** Refuses a URL that is not http(s), or whose host resolves to a private address. */
  private async checkTarget(url: string, field: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidField(field, "must be an http or https URL");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw invalidField(field, "must be an http or https URL");
    }
    if (this.options.allowPrivate) return;
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    const addresses = parseIp(host) ? [host] : await this.resolve(host).catch(() => []);
    if (addresses.length === 0)
      throw invalidField(field, `names a host that does not resolve: ${host}`);
    for (const a of addresses) {
      const ip = parseIp(a);
      if (!ip || PRIVATE_RANGES.some((r) => cidrContains(r, ip))) {
        throw invalidField(
          field,
          `reaches ${a}, a loopback, link-local or private address (COMPLIANCE_WEBHOOK_ALLOW_PRIVATE=1 allows it)`,
        );
      }
    }
  }

  /** One pass: new events into deliveries, then every delivery due now. */
  async dispatch(): Promise<{ queued: number; sent: number }> {
    let queued = 0;
    for (const webhook of await this.store.listWebhooks()) queued += await this.enqueue(webhook);
    let sent = 0;
    for (const delivery of await this.store.dueDeliveries(this.now(), 100)) {
      if (await this.send(delivery)) sent++;
    }
    return { queued, sent };
  }

  private async enqueue(webhook: WebhookRecord): Promise<number> {
    const events = await this.store.policyEventsAfter(webhook.cursor, BATCH);
    if (events.length === 0) return 0;
    const wanted = new Set(webhook.events.split(","));
    const names = new Map<string, { name: string; severity: string } | null>();
    const hostnames = new Map<number, string>();
    for (const e of events) {
      if (!names.has(e.policy_id)) {
        const p = await this.store.getPolicy(e.policy_id);
        names.set(e.policy_id, p ? { name: p.document.name, severity: p.document.severity } : null);
      }
      if (!hostnames.has(e.host_id)) {
        hostnames.set(e.host_id, (await this.store.getHost(e.host_id))?.hostname ?? "");
      }
    }
    const payloadOf = (e: PolicyEventRecord): string | null => {
      const event = eventOf(e.before, e.after);
      const policy = names.get(e.policy_id);
      if (!event || !wanted.has(event) || !policy) return null;
      const payload: WebhookPayload = {
        event,
        event_id: e.id,
        policy: {
          id: e.policy_id,
          name: policy.name,
          severity: policy.severity as WebhookPayload["policy"]["severity"],
          version: e.version,
        },
        host: { id: e.host_id, hostname: hostnames.get(e.host_id) ?? "" },
        before: e.before as WebhookPayload["before"],
        after: e.after as WebhookPayload["after"],
        report_id: e.report_id,
        collected_at: e.collected_at,
        received_at: new Date(e.at).toISOString(),
      };
      return JSON.stringify(payload);
    };
    return this.store.enqueueDeliveries(webhook, events, payloadOf, this.now());
  }

  /** One attempt at a delivery; true when it was delivered. */
  private async send(delivery: DeliveryRecord): Promise<boolean> {
    const backoff = Math.min(3600_000, 5000 * 2 ** delivery.attempts);
    if (!(await this.store.takeDelivery(delivery, this.now() + backoff))) return false;
    const webhook = (await this.store.listWebhooks()).find((w) => w.id === delivery.webhook_id);
    if (!webhook) return false;
    let lastStatus: number | null = null;
    let lastError: string | null = null;
    try {
      await this.checkTarget(webhook.url, "url");
      const timestamp = String(Math.floor(this.now() / 1000));
      const response = await this.fetch(webhook.url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          "content-type": "application/json",
          "user-agent": "compliance-webhooks",
          "x-compliance-delivery": String(delivery.id),
          "x-compliance-timestamp": timestamp,
          "x-compliance-signature": signatureOf(webhook.secret, timestamp, delivery.payload),
        },
        body: delivery.payload,
      });
      lastStatus = response.status;
      await response.body?.cancel().catch(() => {});
      if (response.ok) {
        await this.store.settleDelivery(delivery.id, {
          status: "delivered",
          lastStatus,
          lastError: null,
          deliveredAt: this.now(),
        });
        return true;
      }
      lastError = `answered ${response.status}`;
    } catch (e) {
      lastError = ((e as { message?: string }).message ?? String(e)).slice(0, 1000);
    }
    const gaveUp = delivery.attempts + 1 >= MAX_ATTEMPTS;
    await this.store.settleDelivery(delivery.id, {
      status: gaveUp ? "failed" : "pending",
      lastStatus,
      lastError,
      deliveredAt: null,
    });
    return false;
  }
}

function webhookOf(record: WebhookRecord): Webhook {
  return {
    id: record.id,
    url: record.url,
    events: record.events
      .split(",")
      .filter((e): e is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(e)),
    created_at: new Date(record.created_at).toISOString(),
  };
}

function deliveryOf(d: DeliveryRecord): Delivery {
  return {
    id: d.id,
    event_id: d.event_id,
    status: d.status as Delivery["status"],
    attempts: d.attempts,
    last_status: d.last_status,
    last_error: d.last_error,
    created_at: new Date(d.created_at).toISOString(),
    delivered_at: d.delivered_at === null ? null : new Date(d.delivered_at).toISOString(),
    payload: JSON.parse(d.payload) as unknown,
  };
}
