/**
 * The groups the API's operations are listed under in its OpenAPI document, in order,
 * each with what it holds. Every operation's `tags` names one of these.
 */
export const OPERATION_TAGS = [
  { name: "health", description: "Whether the API runs and can reach its database; no token." },
  {
    name: "agent",
    description:
      "What agents call: enrolling with the enroll secret, then sending reports with their node key.",
  },
  { name: "hosts", description: "The enrolled hosts: listing, reading, deleting, revoking keys." },
  {
    name: "history",
    description:
      "Each host's executions and what they collected, at any point in time, and their differences.",
  },
  {
    name: "fleet",
    description:
      "Searches and summaries over every host: processes, sessions, packages, sockets, changes.",
  },
  { name: "tokens", description: "Reader and admin tokens, and who the caller is." },
  {
    name: "policies",
    description:
      "Compliance policies, their evaluation on every host, their history and the jobs that evaluate them.",
  },
  { name: "webhooks", description: "Where policy status changes are sent, and each delivery." },
  { name: "audit", description: "The trail of admin actions." },
] as const;

export type OperationTag = (typeof OPERATION_TAGS)[number]["name"];
