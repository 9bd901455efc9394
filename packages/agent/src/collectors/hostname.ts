import { LIMITS } from "@compliance/contract/limits";
import type { CollectContext, Collector, ReportPatch } from "./types.ts";

function collectHostname(ctx: CollectContext): ReportPatch {
  return { host: { hostname: ctx.host.hostname().slice(0, LIMITS.name) } };
}

export const hostnameCollector: Collector = {
  description: "The host's name",
  platforms: { any: collectHostname },
};
