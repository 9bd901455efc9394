import type { ReportListening } from "@compliance/contract";
import { cidrContains, type Ip, parseCidr, parseIp } from "../ip.ts";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

const LOOPBACK = [parseCidr("127.0.0.0/8"), parseCidr("::1/128")].filter((c) => c !== undefined);

/** "*" is how some tools write "every address". */
function addressOf(l: ReportListening): Ip | undefined {
  if (l.address === "*") return parseIp(l.protocol.endsWith("6") ? "::" : "0.0.0.0");
  return parseIp(l.address);
}

/** Listening sockets: port, protocol, bound address, owning process. */
export const listeningCondition: ConditionDefinition<"listening"> = {
  compile: itemCondition<ReportListening>({
    noun: ["listening socket", "listening sockets"],
    collectors: ["listening"],
    items: (report) => report.listening,
    fields: {
      port: { type: "number", get: (l) => l.port },
      protocol: { type: "text", get: (l) => l.protocol },
      address: { type: "address", get: addressOf },
      loopback: {
        type: "boolean",
        get: (l) => {
          const ip = addressOf(l);
          return ip ? LOOPBACK.some((range) => cidrContains(range, ip)) : undefined;
        },
      },
      process: { type: "text", get: (l) => l.process },
      pid: { type: "number", get: (l) => l.pid },
    },
    evidence: (l) => ({
      protocol: l.protocol,
      address: l.address,
      port: l.port,
      pid: l.pid ?? null,
      process: l.process ?? null,
    }),
  }),
};
