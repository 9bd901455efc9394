import { readFileSync, statSync } from "node:fs";
import type { Config } from "./config.ts";
import { ApiError } from "./errors.ts";
import { formatProblem, loadPolicyDirectory, parsePolicies } from "./policies/index.ts";
import { AuditService, CLI_ACTOR } from "./services/audit.service.ts";
import { HistoryService } from "./services/history.service.ts";
import { PoliciesService } from "./services/policies.service.ts";
import type { Store } from "./store/store.ts";

export interface PolicyCommandIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const POLICY_USAGE = `compliance-api policy list [--json]
compliance-api policy apply -f <file or directory>
compliance-api policy test -f <file> [--host <id>] [--at <time>] [--json]
`;

/**
 * `compliance-api policy …`: list the stored policies, apply a file (or every file of a
 * directory) as the API would, or dry-run a policy file on the stored history before
 * applying it. The evaluation of an applied version over the history runs in the API.
 */
export async function policyCommand(
  store: Store,
  config: Pick<Config, "agentIntervalSeconds">,
  now: () => number,
  args: { sub?: string; file?: string; host?: string; at?: string; json?: boolean },
  io: PolicyCommandIo,
): Promise<number> {
  const policies = new PoliciesService(
    store,
    new HistoryService(store),
    now,
    config.agentIntervalSeconds * 1000,
    new AuditService(store, now),
  );
  const fail = (message: string, code = 2) => {
    io.stderr.write(`compliance-api policy: ${message}\n`);
    return code;
  };
  try {
    switch (args.sub) {
      case "list":
        return list(await policies.list(), args.json === true, io);
      case "apply": {
        if (!args.file) return fail("apply needs -f <file or directory>");
        for (const text of textsOf(args.file)) {
          for (const p of await policies.putText(text, "api", undefined, CLI_ACTOR)) {
            const job = p.job_id === null ? "" : `; evaluating the history (job ${p.job_id})`;
            io.stdout.write(
              `${p.id}: version ${p.version}${p.enabled ? "" : " (disabled)"}${job}\n`,
            );
          }
        }
        return 0;
      }
      case "test":
        return await test(policies, args, io);
      default:
        return fail(`give list, apply or test\n\n${POLICY_USAGE}`);
    }
  } catch (e) {
    if (e instanceof ApiError) {
      const details = e.details?.map((d) => `  ${d.message}`).join("\n");
      return fail(details ? `${e.message}\n${details}` : e.message, 1);
    }
    if (e instanceof PolicyFileError) return fail(e.message);
    throw e;
  }
}

class PolicyFileError extends Error {}

/** The texts of a file, or of every policy file of a directory (checked all at once). */
function textsOf(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    throw new PolicyFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (!isDirectory) return [readFileSync(path, "utf8")];
  const loaded = loadPolicyDirectory(path);
  if (!loaded.ok) {
    throw new PolicyFileError(
      loaded.problems.map((p) => `${p.file}: ${formatProblem(p)}`).join("\n"),
    );
  }
  return loaded.policies.map((p) => JSON.stringify(p.policy));
}

function list(
  items: Awaited<ReturnType<PoliciesService["list"]>>,
  json: boolean,
  io: PolicyCommandIo,
): number {
  if (json) {
    io.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return 0;
  }
  for (const p of items) {
    const c = p.counts;
    io.stdout.write(
      `${p.id}\tv${p.version}\t${p.severity}\t${p.enabled ? "enabled" : "disabled"}\t` +
        `pass ${c.pass} fail ${c.fail} unknown ${c.unknown}\t${p.name}\n`,
    );
  }
  return 0;
}

async function test(
  policies: PoliciesService,
  args: { file?: string; host?: string; at?: string; json?: boolean },
  io: PolicyCommandIo,
): Promise<number> {
  if (!args.file) throw new PolicyFileError("test needs -f <file>");
  const [text, ...more] = textsOf(args.file);
  if (!text || more.length > 0) throw new PolicyFileError("test takes one policy file");
  const parsed = parsePolicies(text);
  if (!parsed.ok) {
    throw new PolicyFileError(parsed.problems.map((p) => formatProblem(p)).join("\n"));
  }
  if (parsed.policies.length !== 1) throw new PolicyFileError("test takes one policy per file");
  const at = args.at === undefined ? undefined : Date.parse(args.at);
  if (at !== undefined && Number.isNaN(at))
    throw new PolicyFileError("--at must be an RFC 3339 time");
  if (args.host !== undefined && !/^\d+$/.test(args.host)) {
    throw new PolicyFileError("--host must be a host id");
  }
  const result = await policies.test(parsed.policies[0]!.policy, {
    ...(args.host !== undefined ? { hostId: Number(args.host) } : {}),
    ...(at !== undefined ? { at } : {}),
  });
  if (args.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  for (const r of result.items) {
    io.stdout.write(`${r.hostname || r.host_id}\t${r.status}\t${r.collected_at}\n`);
    for (const reason of r.reasons) io.stdout.write(`  ${reason.condition}: ${reason.message}\n`);
  }
  return 0;
}
