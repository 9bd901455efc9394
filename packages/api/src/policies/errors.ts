/**
 * A policy that matches the schema but cannot be compiled: a regular expression the
 * engine refuses, a comparison that does not parse, a CIDR range that is none. `path` is a
 * JSON pointer into the policy document (/check/none/0/process/cmdline), so the parser can
 * tell the line.
 */
export class PolicyCompileError extends Error {
  override name = "PolicyCompileError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
