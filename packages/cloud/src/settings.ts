import { RetentionDays } from "aws-cdk-lib/aws-logs";

/** What an operator chooses for the stack; read from the CDK context (`cdk deploy -c key=value`). */
export interface ApiSettings {
  /** The API's container image, e.g. an ECR repository URI with its tag. */
  image: string;
  /** ARN of the ACM certificate the load balancer's HTTPS listener presents. */
  certificateArn: string;
  /** The name agents and browsers use for the API (the certificate's name). */
  domainName: string;
  /** A Route 53 hosted zone holding the domain: when given, the stack makes its alias record. */
  hostedZone?: { id: string; name: string };
  /** API tasks running at once; two or more keeps the API up while one is replaced. */
  desiredCount: number;
  /** The database server's instance class, e.g. t4g.small. */
  databaseInstanceClass: string;
  /** The database's storage in GiB. */
  databaseStorageGiB: number;
  /** A standby database in a second availability zone. */
  databaseMultiAz: boolean;
  /** NAT gateways of the network (tasks reach the image registry and AWS through them). */
  natGateways: number;
  /** Days CloudWatch keeps the API's log. */
  logRetentionDays: number;
}

/** The context keys the stack reads, with their defaults where one makes sense. */
export const DEFAULTS = {
  desiredCount: 2,
  databaseInstanceClass: "t4g.small",
  databaseStorageGiB: 20,
  databaseMultiAz: false,
  natGateways: 1,
  logRetentionDays: 30,
} as const;

/** A setting that is missing or wrong; the message names the context key. */
export class SettingsError extends Error {}

/**
 * Reads the settings from a context lookup (`node.tryGetContext`). Values given with -c
 * arrive as strings; numbers and booleans are parsed and checked here.
 */
export function readSettings(context: (key: string) => unknown): ApiSettings {
  const text = (key: string, required: boolean): string | undefined => {
    const value = context(key);
    if (value === undefined || value === "") {
      if (required) throw new SettingsError(`context "${key}" is required (-c ${key}=...)`);
      return undefined;
    }
    if (typeof value !== "string") throw new SettingsError(`context "${key}" must be a string`);
    return value;
  };
  const integer = (key: keyof typeof DEFAULTS, min: number): number => {
    const value = context(key) ?? DEFAULTS[key];
    const n = typeof value === "string" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min) {
      throw new SettingsError(`context "${key}" must be an integer ${min} or more`);
    }
    return n;
  };
  const flag = (key: keyof typeof DEFAULTS): boolean => {
    const value = context(key) ?? DEFAULTS[key];
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    throw new SettingsError(`context "${key}" must be true or false`);
  };

  const certificateArn = text("certificateArn", true) as string;
  if (!/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    throw new SettingsError(`context "certificateArn" must be an ACM certificate ARN`);
  }
  const domainName = text("domainName", true) as string;
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domainName)) {
    throw new SettingsError(`context "domainName" must be a DNS name such as api.example.com`);
  }
  const databaseInstanceClass =
    text("databaseInstanceClass", false) ?? DEFAULTS.databaseInstanceClass;
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(databaseInstanceClass)) {
    throw new SettingsError(`context "databaseInstanceClass" must look like t4g.small`);
  }
  const hostedZone = zone(text("hostedZoneId", false), text("hostedZoneName", false), domainName);
  return {
    image: text("image", true) as string,
    certificateArn,
    domainName,
    ...(hostedZone ? { hostedZone } : {}),
    desiredCount: integer("desiredCount", 1),
    databaseInstanceClass,
    databaseStorageGiB: integer("databaseStorageGiB", 20),
    databaseMultiAz: flag("databaseMultiAz"),
    natGateways: integer("natGateways", 1),
    logRetentionDays: retention(integer("logRetentionDays", 1)),
  };
}

/** CloudWatch keeps a log only for one of its own periods (1, 3, 5, 7, 14, 30, ... days). */
function retention(days: number): number {
  const allowed = Object.values(RetentionDays).filter(
    (d): d is number => typeof d === "number" && d !== RetentionDays.INFINITE,
  );
  if (!allowed.includes(days)) {
    throw new SettingsError(`context "logRetentionDays" must be one of ${allowed.join(", ")}`);
  }
  return days;
}

/** The hosted zone is named by both its id and its name, and must hold the domain. */
function zone(id: string | undefined, name: string | undefined, domainName: string) {
  if (id === undefined && name === undefined) return undefined;
  if (id === undefined || name === undefined) {
    throw new SettingsError(`context "hostedZoneId" and "hostedZoneName" are given together`);
  }
  const bare = name.replace(/\.$/, "").toLowerCase();
  const domain = domainName.toLowerCase();
  if (domain !== bare && !domain.endsWith(`.${bare}`)) {
    throw new SettingsError(`context "hostedZoneName" must be ${domainName} or a parent of it`);
  }
  return { id, name: bare };
}
