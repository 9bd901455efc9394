import type { PolicyJobs } from "./policy-jobs.ts";
import type { WebhooksService } from "./webhooks.service.ts";

/**
 * The API's work apart from requests: policy jobs (a new version evaluated over history)
 * and webhook deliveries, one pass every interval, in every API process (each claims its
 * own share). A pass that fails (the database is down) is logged and tried again.
 */
export class Background {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(
    private readonly jobs: PolicyJobs,
    private readonly webhooks: WebhooksService,
    private readonly log: { warn(o: object, m: string): void },
  ) {}

  start(intervalMs: number): void {
    const pass = () => {
      this.running = this.pass().finally(() => {
        if (!this.stopping.signal.aborted) this.timer = setTimeout(pass, intervalMs).unref();
      });
    };
    this.timer = setTimeout(pass, 0).unref();
  }

  /** One pass of every kind of work. */
  async pass(): Promise<void> {
    try {
      await this.jobs.runPending(this.stopping.signal);
      await this.webhooks.dispatch();
    } catch (e) {
      this.log.warn({ err: e }, "background work failed; will retry");
    }
  }

  /** Stops after the pass under way (a job in progress stops between two hosts). */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
