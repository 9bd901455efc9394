import { existsSync } from "node:fs";
import { LIMITS } from "@compliance/contract/limits";
import {
  LIST_UNIT_FILES_ARGS,
  LIST_UNITS_ARGS,
  parseListUnitFiles,
  parseListUnits,
  servicesOf,
} from "../linux/systemctl.ts";
import { bounded, canonicalList } from "./canonical-list.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
} from "./types.ts";

/**
 * systemd's service units: active state from `systemctl list-units`, enablement from
 * `systemctl list-unit-files`. Without systemd as the running init (sd_booted's test: no
 * /run/systemd/system) there is no one to ask, and the services are unknown.
 */
async function collectLinuxServices(ctx: CollectContext): Promise<ReportPatch> {
  const marker = `${ctx.paths.run}/systemd/system`;
  if (!existsSync(marker)) {
    throw new CollectorFailure(`systemd is not running (no ${marker}): services unknown`);
  }
  const [units, files] = await Promise.all([
    ctx.exec("systemctl", LIST_UNITS_ARGS),
    ctx.exec("systemctl", LIST_UNIT_FILES_ARGS),
  ]);
  const services = servicesOf(parseListUnits(units), parseListUnitFiles(files)).map((s) => ({
    ...s,
    name: s.name.slice(0, LIMITS.name),
    state: s.state.slice(0, LIMITS.name),
  }));
  const { items, problems } = bounded(canonicalList(services), LIMITS.services, "services");
  return { services: items, problems };
}

export const servicesCollector: Collector = {
  description: "systemd service units: active state and whether each starts at boot",
  platforms: { linux: collectLinuxServices },
};
