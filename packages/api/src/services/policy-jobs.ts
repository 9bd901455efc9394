import { setImmediate as yieldToOthers } from "node:timers/promises";
import type { Job } from "@compliance/contract";
import { notFound } from "../errors.ts";
import { compilePolicy, evaluate } from "../policies/index.ts";
import { needsOf } from "../policies/needs.ts";
import type { JobRecord, Store } from "../store/store.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function jobOf(r: JobRecord): Job {
  return {
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    status: r.status as Job["status"],
    total: r.total,
    done: r.done,
    error: r.error,
    created_at: new Date(r.created_at).toISOString(),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
  };
}

/** A running job not heard of for this long was left by a stopped process: taken over. */
const STALE_MS = 60_000;
/** Hosts between two progress writes. */
const PROGRESS_EVERY = 20;
/** Attempts at one host whose history keeps moving while it is read. */
const HOST_ATTEMPTS = 5;

export interface JobLog {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * Background jobs: today, evaluating a new policy version over every stored execution, so
 * its results answer for the past too. Any API process may run a job; one claims it. Work
 * goes host by host, giving way to requests between hosts, so the API stays responsive.
 */
export class PolicyJobs {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** The agents' reporting interval, for freshness conditions. */
    private readonly intervalMs: number,
    private readonly log: JobLog,
  ) {}

  async job(id: number): Promise<Job> {
    const record = await this.store.getJob(id);
    if (!record) throw notFound(`job ${id}`);
    return jobOf(record);
  }

  async list(): Promise<Job[]> {
    return (await this.store.listJobs(100)).map(jobOf);
  }

  /** Runs jobs until none is waiting (or `signal` aborts). Returns how many ran. */
  async runPending(signal?: AbortSignal): Promise<number> {
    let ran = 0;
    while (!signal?.aborted) {
      const job = await this.store.claimJob(this.now(), this.now() - STALE_MS);
      if (!job) return ran;
      ran++;
      try {
        await this.run(job, signal);
        await this.store.finishJob(job.id, this.now(), signal?.aborted ? "stopped" : null);
      } catch (e) {
        this.log.error({ err: e, job: job.id }, "job failed");
        await this.store.finishJob(job.id, this.now(), (e as Error).message.slice(0, 1000));
      }
    }
    return ran;
  }

  private async run(job: JobRecord, signal?: AbortSignal): Promise<void> {
    if (job.kind !== "evaluate-policy") throw new Error(`no such job kind: ${job.kind}`);
    const [policyId, version] = job.subject.split("@") as [string, string];
    const record = await this.store.getPolicy(policyId);
    // Superseded by a newer version (its own job follows) or switched off: nothing to do.
    if (!record || record.version !== Number(version) || !record.enabled) return;
    const compiled = compilePolicy(record.document);
    const needs = needsOf(record.document);
    const hosts = await this.store.hostIdsWithHistory(null);
    const started = this.now();
    for (let i = 0; i < hosts.length && !signal?.aborted; i++) {
      await this.evaluateHost(hosts[i]!, record.id, record.version, compiled, needs);
      if (i % PROGRESS_EVERY === 0 || i === hosts.length - 1) {
        await this.store.jobProgress(job.id, i + 1, hosts.length, this.now());
      }
      await yieldToOthers();
    }
    this.log.info(
      {
        job: job.id,
        policy: record.id,
        version: record.version,
        hosts: hosts.length,
        ms: this.now() - started,
      },
      "policy evaluated over history",
    );
  }

  /** One host's whole history: statuses re-evaluated only where what the policy reads changed. */
  private async evaluateHost(
    hostId: number,
    policyId: string,
    version: number,
    compiled: ReturnType<typeof compilePolicy>,
    needs: ReturnType<typeof needsOf>,
  ): Promise<void> {
    for (let attempt = 1; attempt <= HOST_ATTEMPTS; attempt++) {
      const statuses: { pos: number; status: string }[] = [];
      let previous: string | undefined;
      let status = "unknown";
      for await (const step of this.store.walkHistory(hostId, needs)) {
        if (step.changed || needs.everyExecution || statuses.length === 0) {
          status = evaluate(compiled, {
            report: step.report(),
            previousCollectedAt: previous,
            intervalMs: this.intervalMs,
          }).status;
        }
        statuses.push({ pos: step.pos, status });
        previous = step.collectedAt;
      }
      if (await this.store.replaceRuns(policyId, version, hostId, statuses)) return;
    }
    throw new Error(`host ${hostId} kept changing while its history was evaluated`);
  }
}
