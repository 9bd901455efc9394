import type { ReportFileMode } from "@compliance/contract";
import { PolicyCompileError } from "../errors.ts";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

/** "No wider than 0640": the file has no permission bit the given mode lacks. */
function maxMode(spec: unknown, path: string): (file: ReportFileMode) => boolean {
  if (typeof spec !== "string" || !/^0?[0-7]{3}$/.test(spec)) {
    throw new PolicyCompileError(path, "must be an octal mode such as 0640");
  }
  const allowed = Number.parseInt(spec, 8);
  return (file) => (Number.parseInt(file.mode, 8) & ~allowed) === 0;
}

/** Owner and mode of the sensitive files the agent looked at. */
export const fileCondition: ConditionDefinition<"file"> = {
  compile: itemCondition<ReportFileMode>({
    noun: ["file", "files"],
    collectors: ["settings", "files"],
    items: (report) => report.settings?.files,
    key: { field: "path", of: (f) => f.path, required: true },
    fields: {
      path: { type: "text", get: (f) => f.path },
      mode: { type: "text", get: (f) => f.mode },
      max_mode: { custom: maxMode },
      uid: { type: "number", get: (f) => f.uid },
      gid: { type: "number", get: (f) => f.gid },
    },
    evidence: (f) => ({ path: f.path, mode: f.mode, uid: f.uid, gid: f.gid }),
  }),
};
