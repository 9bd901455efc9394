import type { Report } from "@compliance/contract";
import type { PreparedContext } from "../context.ts";
import { itemCondition } from "./items.ts";

/** One entry of a settings map (sysctl, sshd) as an item. */
export type Setting = { name: string; value: string };

type SettingMap = "sysctl" | "sshd";

/**
 * The settings maps as lists of name and value. The agent reports the settings it read; a
 * name it did not send is unknown (never collected), not a failing value.
 */
export function settingCondition(map: SettingMap, keyField: "name" | "option") {
  const items = (report: Report, context: PreparedContext): readonly Setting[] | undefined => {
    const values = report.settings?.[map];
    if (!values) return undefined;
    return context.memo(`settings:${map}`, () =>
      Object.entries(values).map(([name, value]) => ({ name, value })),
    );
  };
  return itemCondition<Setting>({
    noun:
      map === "sysctl"
        ? ["kernel parameter", "kernel parameters"]
        : ["sshd option", "sshd options"],
    collectors: ["settings", map],
    items,
    key: { field: keyField, of: (s) => s.name, required: true },
    fields: {
      [keyField]: { type: "text", get: (s: Setting) => s.name },
      value: { type: "text", get: (s: Setting) => s.value },
    },
    evidence: (s) => ({ [keyField]: s.name, value: s.value }),
  });
}
