import type { Report } from "@compliance/contract";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

type Os = Report["os"];

/** An empty value is what the agent leaves when it could not tell: unknown. */
const known = (text: string) => (text === "" ? undefined : text);

/** The operating system; its versions compare by their leading numbers (12 (bookworm) is 12). */
export const osCondition: ConditionDefinition<"os"> = {
  compile: itemCondition<Os>({
    noun: ["operating system", "operating systems"],
    collectors: ["os"],
    items: (report) => [report.os],
    fields: {
      platform: { type: "text", get: (os) => known(os.platform) },
      name: { type: "text", get: (os) => known(os.name) },
      version: { type: "version", get: (os) => known(os.version) },
      kernel: { type: "version", get: (os) => known(os.kernel) },
      arch: { type: "text", get: (os) => known(os.arch) },
    },
    evidence: (os) => ({ ...os }),
  }),
};
