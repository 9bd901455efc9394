import { isSecretName, REDACTED } from "./secret-names.ts";

/**
 * Where known programs take a secret that its name alone does not give away: short flags
 * (`-p` is a port for ssh, a password for mysql), `user:password` values, positional
 * arguments. Each rule reads the original arguments from `from` (the program's own
 * position) on and writes what it redacts into `out`, marking the index in `done`.
 */
export interface ToolRule {
  /** Flags whose value is the secret: `-P X` or `-PX` (short), `--flag X` or `--flag=X` (long). */
  secret?: readonly string[];
  /** Short flags whose secret, if any, is glued on (`-pX`); alone they prompt for it. */
  glued?: readonly string[];
  /** Flags whose value is user, separator, password: the part after the separator is the secret. */
  userPassword?: { flags: readonly string[]; separator: string };
  /** The `nth` (from 1) positional argument after the word `after` (or the program) is the secret. */
  positional?: readonly { after?: string; nth: number }[];
  /** After one of these words, a positional secret name is followed by its value (`set NAME VALUE`). */
  pairsAfter?: readonly string[];
  /** The rule holds only once this word (a subcommand) came: `docker login -p`. */
  only?: string;
  /** What the table cannot say. */
  custom?: (args: readonly string[], out: string[], from: number, done: boolean[]) => void;
}

/** Writes a redaction made by a rule: the rules' redactions override the generic ones. */
function put(out: string[], done: boolean[], index: number, value: string): void {
  out[index] = value;
  done[index] = true;
}

function isPositional(arg: string): boolean {
  return !arg.startsWith("-") || arg === "-";
}

/** `-pX` for a short flag `-p`, `--flag=X` for a long one: the glued value's start, or -1. */
function gluedAt(arg: string, flag: string): number {
  if (!arg.startsWith(flag) || arg.length === flag.length) return -1;
  if (flag.startsWith("--")) return arg[flag.length] === "=" ? flag.length + 1 : -1;
  if (flag.length === 2) return arg.startsWith("--") ? -1 : flag.length;
  return arg[flag.length] === "=" ? flag.length + 1 : -1;
}

/** `user<sep>password` with the password redacted; unchanged without a separator. */
function userOnly(value: string, separator: string): string {
  const at = value.indexOf(separator);
  return at < 0 ? value : `${value.slice(0, at + separator.length)}${REDACTED}`;
}

/** The flag rules (`secret`, `glued`, `userPassword`) over the arguments from `from`. */
function applyFlags(
  rule: ToolRule,
  args: readonly string[],
  out: string[],
  from: number,
  done: boolean[],
): void {
  const userFlags = rule.userPassword?.flags ?? [];
  const separator = rule.userPassword?.separator ?? ":";
  for (let i = from + 1; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    // A long option next is no value: the flag alone prompts for the secret.
    const value = next !== undefined && !next.startsWith("--");
    if (value && rule.secret?.includes(arg)) {
      put(out, done, ++i, REDACTED);
      continue;
    }
    if (value && userFlags.includes(arg)) {
      const redacted = userOnly(next, separator);
      if (redacted !== next) put(out, done, i + 1, redacted);
      i++;
      continue;
    }
    for (const flag of [...(rule.secret ?? []), ...(rule.glued ?? [])]) {
      const at = gluedAt(arg, flag);
      if (at >= 0) put(out, done, i, `${arg.slice(0, at)}${REDACTED}`);
    }
    for (const flag of userFlags) {
      const at = gluedAt(arg, flag);
      const redacted = at < 0 ? arg : `${arg.slice(0, at)}${userOnly(arg.slice(at), separator)}`;
      if (redacted !== arg) put(out, done, i, redacted);
    }
  }
}

/** The positional rules: the nth positional argument after a word, `NAME=VALUE` ones aside. */
function applyPositional(
  rule: ToolRule,
  args: readonly string[],
  out: string[],
  from: number,
  done: boolean[],
): void {
  for (const { after, nth } of rule.positional ?? []) {
    let start = from;
    if (after !== undefined) {
      start = args.indexOf(after, from + 1);
      if (start < 0) continue;
    }
    let seen = 0;
    for (let i = start + 1; i < args.length; i++) {
      const arg = args[i]!;
      if (!isPositional(arg) || /^[\w.-]+=/.test(arg)) continue;
      if (++seen === nth) {
        put(out, done, i, REDACTED);
        break;
      }
    }
  }
}

/** `aws configure set aws_secret_access_key X`, `git config user.password X`. */
function applyPairs(
  rule: ToolRule,
  args: readonly string[],
  out: string[],
  from: number,
  done: boolean[],
): void {
  const verbs = rule.pairsAfter ?? [];
  const verb = args.findIndex((arg, i) => i > from && verbs.includes(arg));
  if (verb < 0) return;
  for (let i = verb + 1; i + 1 < args.length; i++) {
    const name = args[i]!;
    if (isPositional(name) && !name.includes("=") && isSecretName(name)) {
      put(out, done, ++i, REDACTED);
    }
  }
}

/** Applies the rule of the program at `from`. */
export function applyToolRule(
  rule: ToolRule,
  args: readonly string[],
  out: string[],
  from: number,
  done: boolean[],
): void {
  let start = from;
  if (rule.only !== undefined) {
    start = args.indexOf(rule.only, from + 1);
    if (start < 0) return;
  }
  applyFlags(rule, args, out, start, done);
  applyPositional(rule, args, out, from, done);
  applyPairs(rule, args, out, from, done);
  rule.custom?.(args, out, from, done);
}

/** `htpasswd -b[c] file user password`, `htpasswd -nb user password`: the last argument. */
function htpasswdBatch(args: readonly string[], out: string[], from: number, done: boolean[]) {
  const batch = args.slice(from + 1).some((arg) => /^-[a-zA-Z]*b/.test(arg));
  const last = args.length - 1;
  if (batch && last > from + 1 && isPositional(args[last]!)) put(out, done, last, REDACTED);
}

/** openssl's `-passin pass:X`, `-passout pass:X`: the password given in the clear. */
function opensslPass(args: readonly string[], out: string[], from: number, done: boolean[]) {
  for (let i = from + 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("pass:")) put(out, done, i, `pass:${REDACTED}`);
  }
}

/** curl `-b name=value` / `--cookie name=value`: cookies given in the clear (not a file name). */
function curlCookie(args: readonly string[], out: string[], from: number, done: boolean[]) {
  for (let i = from + 1; i + 1 < args.length; i++) {
    if ((args[i] === "-b" || args[i] === "--cookie") && args[i + 1]!.includes("=")) {
      put(out, done, ++i, REDACTED);
    }
  }
}

/** Oracle's `sqlplus user/password@db` and `userid=user/password`. */
function oracleLogin(args: readonly string[], out: string[], from: number, done: boolean[]) {
  const login = /^((?:userid=)?[^\s/@=]+\/)([^@\s]+)(@.*)?$/i;
  for (let i = from + 1; i < args.length; i++) {
    const match = login.exec(args[i]!);
    if (match) put(out, done, i, `${match[1]}${REDACTED}${match[3] ?? ""}`);
  }
}

/** `smbclient //server/share password`: the password right after the service. */
function smbServicePassword(args: readonly string[], out: string[], from: number, done: boolean[]) {
  const service = args.findIndex((arg, i) => i > from && /^(?:\/\/|\\\\)/.test(arg));
  const next = args[service + 1];
  if (service > 0 && next !== undefined && isPositional(next))
    put(out, done, service + 1, REDACTED);
}

const MYSQL: ToolRule = { glued: ["-p"] };
const MONGO: ToolRule = { secret: ["-p", "--password"] };
const SQLCMD: ToolRule = { secret: ["-P"] };
const LDAP: ToolRule = { secret: ["-w"] };
const SMB: ToolRule = {
  userPassword: { flags: ["-U", "--user"], separator: "%" },
  custom: smbServicePassword,
};
const KEYTOOL: ToolRule = {
  secret: [
    "-storepass",
    "-keypass",
    "-srcstorepass",
    "-deststorepass",
    "-srckeypass",
    "-destkeypass",
    "-new",
  ],
};
const ZIP: ToolRule = { secret: ["-P", "--password"] };
const SEVEN_ZIP: ToolRule = { glued: ["-p"] };
const REDIS: ToolRule = { secret: ["-a", "--pass"] };
const REGISTRY_LOGIN: ToolRule = { only: "login", secret: ["-p", "--password"] };
const SNMP: ToolRule = { secret: ["-A", "-X", "-c"] };
const MOSQUITTO: ToolRule = { secret: ["-P"] };
const ORACLE: ToolRule = { custom: oracleLogin };
const CONFIG_SET: ToolRule = { pairsAfter: ["set"] };

/** Each program's rule, by the base name of its executable. */
export const TOOL_RULES: Readonly<Record<string, ToolRule>> = {
  mysql: MYSQL,
  mariadb: MYSQL,
  mysqldump: MYSQL,
  "mariadb-dump": MYSQL,
  mysqladmin: { glued: ["-p"], positional: [{ after: "password", nth: 1 }] },
  "mariadb-admin": { glued: ["-p"], positional: [{ after: "password", nth: 1 }] },
  mysqlimport: MYSQL,
  mysqlcheck: MYSQL,
  mysqlshow: MYSQL,
  mysqlpump: MYSQL,
  mongosh: MONGO,
  mongo: MONGO,
  mongodump: MONGO,
  mongorestore: MONGO,
  mongoexport: MONGO,
  mongoimport: MONGO,
  mongofiles: MONGO,
  mongostat: MONGO,
  mongotop: MONGO,
  sqlcmd: SQLCMD,
  bcp: SQLCMD,
  osql: SQLCMD,
  ldapsearch: LDAP,
  ldapmodify: LDAP,
  ldapadd: LDAP,
  ldapdelete: LDAP,
  ldapwhoami: LDAP,
  ldapcompare: LDAP,
  ldapmodrdn: LDAP,
  ldapexop: LDAP,
  ldappasswd: { secret: ["-w", "-s", "-a"] },
  smbclient: SMB,
  smbcacls: SMB,
  smbget: SMB,
  rpcclient: SMB,
  smbmap: SMB,
  net: { userPassword: { flags: ["-U", "--user"], separator: "%" } },
  keytool: KEYTOOL,
  jarsigner: KEYTOOL,
  zip: ZIP,
  zipcloak: ZIP,
  unzip: { secret: ["-P"] },
  "7z": SEVEN_ZIP,
  "7za": SEVEN_ZIP,
  "7zr": SEVEN_ZIP,
  "7zz": SEVEN_ZIP,
  rar: SEVEN_ZIP,
  unrar: SEVEN_ZIP,
  htpasswd: { custom: htpasswdBatch },
  sshpass: { secret: ["-p"] },
  "redis-cli": REDIS,
  "valkey-cli": REDIS,
  "keydb-cli": REDIS,
  openssl: { secret: ["-k", "-K"], custom: opensslPass },
  curl: {
    userPassword: { flags: ["-u", "--user", "-U", "--proxy-user"], separator: ":" },
    custom: curlCookie,
  },
  lftp: { userPassword: { flags: ["-u"], separator: "," } },
  docker: REGISTRY_LOGIN,
  podman: REGISTRY_LOGIN,
  nerdctl: REGISTRY_LOGIN,
  buildah: REGISTRY_LOGIN,
  skopeo: REGISTRY_LOGIN,
  helm: REGISTRY_LOGIN,
  oras: REGISTRY_LOGIN,
  ipmitool: { secret: ["-P"] },
  mosquitto_pub: MOSQUITTO,
  mosquitto_sub: MOSQUITTO,
  mosquitto_rr: MOSQUITTO,
  snmpwalk: SNMP,
  snmpbulkwalk: SNMP,
  snmpget: SNMP,
  snmpgetnext: SNMP,
  snmpbulkget: SNMP,
  snmpset: SNMP,
  snmptable: SNMP,
  snmptrap: SNMP,
  snmpstatus: SNMP,
  sqlplus: ORACLE,
  rman: ORACLE,
  expdp: ORACLE,
  impdp: ORACLE,
  exp: ORACLE,
  imp: ORACLE,
  sqlldr: ORACLE,
  dgmgrl: ORACLE,
  usermod: { secret: ["-p", "--password"] },
  useradd: { secret: ["-p", "--password"] },
  rabbitmqctl: {
    positional: [
      { after: "add_user", nth: 2 },
      { after: "change_password", nth: 2 },
    ],
  },
  "neo4j-admin": { positional: [{ after: "set-initial-password", nth: 1 }] },
  vault: { positional: [{ after: "login", nth: 1 }] },
  wpa_passphrase: { positional: [{ nth: 2 }] },
  gh: { only: "secret", secret: ["-b", "--body"] },
  aws: CONFIG_SET,
  npm: CONFIG_SET,
  yarn: CONFIG_SET,
  pnpm: CONFIG_SET,
  pip: CONFIG_SET,
  pip3: CONFIG_SET,
  dotnet: CONFIG_SET,
  git: { pairsAfter: ["config"] },
  nmcli: { pairsAfter: ["modify", "mod", "add"] },
};
