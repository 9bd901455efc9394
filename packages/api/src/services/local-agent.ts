import { COLLECTORS, type CollectFn, type CollectorRegistry } from "@compliance/agent";
import { LIMITS } from "@compliance/contract";

/**
 * What the built-in local agent (`npm start`, COMPLIANCE_LOCAL_AGENT) adds to this
 * machine's identifier. An agent installed on the same machine reports the machine id
 * itself; the two are separate hosts with separate node keys, so neither takes the other's
 * key when it enrolls.
 */
export const LOCAL_AGENT_SUFFIX = "/local-agent";

/** The local agent's identifier for a machine's: the suffix added, within the name limit. */
export function localAgentIdentifier(identifier: string): string {
  return `${identifier.slice(0, LIMITS.name - LOCAL_AGENT_SUFFIX.length)}${LOCAL_AGENT_SUFFIX}`;
}

/** The agent's collectors, with the identifier made the local agent's own. */
export function localAgentCollectors(base: CollectorRegistry = COLLECTORS): CollectorRegistry {
  const identifier = base.identifier;
  if (!identifier) return base;
  const platforms: Record<string, CollectFn> = {};
  for (const [platform, collect] of Object.entries(identifier.platforms)) {
    if (!collect) continue;
    platforms[platform] = async (ctx) => {
      const patch = await collect(ctx);
      const id = patch.host?.identifier;
      return id === undefined
        ? patch
        : { ...patch, host: { ...patch.host, identifier: localAgentIdentifier(id) } };
    };
  }
  return { ...base, identifier: { ...identifier, platforms } };
}
