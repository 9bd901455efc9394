import type { Job } from "@compliance/contract";
import { useEffect, useRef, useState } from "preact/hooks";
import { isAbort } from "../api.ts";
import { formatCount } from "../format.ts";
import { useClient } from "../hooks.ts";

/** Often enough to see a job move, rarely enough not to weigh on the API doing it. */
const POLL_MS = 1500;

const settled = (job: Job) => job.status === "done" || job.status === "failed";

/**
 * The evaluation over the stored history of this policy's latest version, while it is
 * queued or running, then how it ended. `onFinished` runs once it ends, so the page reads
 * the counts it changed. A job already over when the page opened is not shown: there is
 * nothing to wait for.
 */
export function usePolicyJob(policyId: string, onFinished: () => void): Job | null {
  const client = useClient();
  const [job, setJob] = useState<Job | null>(null);
  const finished = useRef(onFinished);
  finished.current = onFinished;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (id: number | null) => {
      try {
        let current: Job | undefined;
        if (id === null) {
          const { items } = await client.get("listJobs", {}, controller.signal);
          // Newest first: the first one for this policy is its latest version's.
          current = items.find((j) => j.subject.startsWith(`${policyId}@`));
          if (!current || settled(current)) return;
        } else {
          current = await client.get("getJob", { params: { id } }, controller.signal);
        }
        setJob(current);
        if (settled(current)) finished.current();
        else timer = setTimeout(() => poll(current.id), POLL_MS);
      } catch (e) {
        // A failed poll leaves the page as it is; a refused token signs out on its own.
        if (!isAbort(e)) setJob(null);
      }
    };
    poll(null);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [policyId]);
  return job;
}

/** Where the evaluation of a new version over the stored history is, said and shown. */
export function JobProgress({ job }: { job: Job }) {
  const version = job.subject.split("@")[1] ?? "";
  const what = `Evaluating version ${version} over the stored history`;
  if (job.status === "failed") {
    return (
      <div class="notice notice-warn" role="status">
        <strong>The evaluation of version {version} over the stored history failed.</strong>{" "}
        {job.error ?? ""} Results before its first execution may be missing; the API's log says
        more.
      </div>
    );
  }
  if (job.status === "done") {
    return (
      <div class="notice" role="status">
        Version {version} has been evaluated over the stored history of {formatCount(job.total)}{" "}
        {job.total === 1 ? "host" : "hosts"}: the counts and the chart include the past.
      </div>
    );
  }
  return (
    <div class="notice job" role="status">
      <label for={`job-${job.id}`}>
        {job.status === "queued"
          ? `${what}: waiting to start`
          : `${what}: ${formatCount(job.done)} of ${formatCount(job.total)} hosts`}
      </label>
      <progress
        id={`job-${job.id}`}
        max={Math.max(1, job.total)}
        value={job.status === "queued" ? undefined : job.done}
      />
      <p class="muted small">Until it reaches a host, that host is counted as not evaluated yet.</p>
    </div>
  );
}
