import agentPackage from "../package.json" with { type: "json" };

/** The agent's version, as its package says; sent in every report. */
export const AGENT_VERSION: string = agentPackage.version;
