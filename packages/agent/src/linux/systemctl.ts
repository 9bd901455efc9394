import type { ReportService } from "@compliance/contract";

/** Loaded service units, whatever their state, one line each without headers. */
export const LIST_UNITS_ARGS: readonly string[] = [
  "list-units",
  "--type=service",
  "--all",
  "--no-legend",
  "--plain",
];
/** Installed service unit files and their enablement, one line each without headers. */
export const LIST_UNIT_FILES_ARGS: readonly string[] = [
  "list-unit-files",
  "--type=service",
  "--no-legend",
  "--plain",
];

export interface LoadedUnit {
  name: string;
  load: string;
  active: string;
}

/** The words of a line, without the status bullet older systemd prints even with --plain. */
function words(line: string): string[] {
  const fields = line.trim().split(/\s+/);
  return fields[0] === "●" || fields[0] === "*" ? fields.slice(1) : fields;
}

/** Parses `systemctl list-units …`: unit, load state, active state (sub state and description follow). */
export function parseListUnits(text: string): LoadedUnit[] {
  const units: LoadedUnit[] = [];
  for (const line of text.split("\n")) {
    const [name, load, active] = words(line);
    if (name === undefined || load === undefined || active === undefined) continue;
    units.push({ name, load, active });
  }
  return units;
}

/** Parses `systemctl list-unit-files …`: unit file -> its state (enabled, disabled, static, ...). */
export function parseListUnitFiles(text: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [name, state] = words(line);
    if (name !== undefined && state !== undefined) files.set(name, state);
  }
  return files;
}

const STARTS_AT_BOOT = new Set(["enabled", "enabled-runtime"]);
const DOES_NOT = new Set(["disabled", "masked", "masked-runtime", "linked", "linked-runtime"]);

/**
 * Whether a unit file state means the unit starts at boot. States that say nothing about
 * it (static: no [Install] section; indirect, generated, transient, alias, bad) give
 * undefined, which the report leaves out.
 */
export function enabledOf(state: string | undefined): boolean | undefined {
  if (state === undefined) return undefined;
  if (STARTS_AT_BOOT.has(state)) return true;
  if (DOES_NOT.has(state)) return false;
  return undefined;
}

function service(name: string, state: string, fileState: string | undefined): ReportService {
  const item: ReportService = { name, state };
  const enabled = enabledOf(fileState);
  if (enabled !== undefined) item.enabled = enabled;
  return item;
}

/**
 * The services of a host from both listings: every loaded unit with its active state,
 * and every installed unit file that is not loaded (hence inactive). Units systemd only
 * heard of (load state not-found), templates (name@.service) and aliases of another unit
 * are not services of their own.
 */
export function servicesOf(units: readonly LoadedUnit[], files: ReadonlyMap<string, string>) {
  const services = new Map<string, ReportService>();
  for (const unit of units) {
    if (unit.load === "not-found" || services.has(unit.name)) continue;
    services.set(unit.name, service(unit.name, unit.active, files.get(unit.name)));
  }
  for (const [name, state] of files) {
    if (services.has(name) || name.endsWith("@.service") || state === "alias") continue;
    services.set(name, service(name, "inactive", state));
  }
  return [...services.values()];
}
