import type { ReportPackage } from "@compliance/contract";
import { schemeOfSource } from "../../versions.ts";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

/** Installed packages; versions compare the way their package manager orders them. */
export const packageCondition: ConditionDefinition<"package"> = {
  compile: itemCondition<ReportPackage>({
    noun: ["package", "packages"],
    collectors: ["packages"],
    items: (report) => report.packages,
    key: { field: "name", of: (p) => p.name },
    fields: {
      name: { type: "text", get: (p) => p.name },
      version: { type: "version", get: (p) => p.version, scheme: (p) => schemeOfSource(p.source) },
      arch: { type: "text", get: (p) => p.arch },
      source: { type: "text", get: (p) => p.source },
    },
    evidence: (p) => ({ name: p.name, version: p.version, arch: p.arch ?? null, source: p.source }),
  }),
};
