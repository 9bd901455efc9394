/**
 * Parses /etc/passwd into uid -> user name. The first entry of a uid wins, as getpwuid()
 * does. Users known only to NSS services (LDAP, SSSD) are not in the file: their processes
 * are reported with the numeric uid, which the contract allows.
 */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(":");
    const name = fields[0];
    const uid = Number(fields[2]);
    if (!name || fields[2] === "" || !Number.isInteger(uid) || uid < 0) continue;
    if (!users.has(uid)) users.set(uid, name);
  }
  return users;
}

/** An /etc/passwd entry as the report's accounts list has it. */
export interface PasswdAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

const MAX_ID = 4_294_967_295;

function id(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_ID ? value : undefined;
}

/**
 * Parses /etc/passwd into its accounts, in file order. The first entry of a name wins, as
 * getpwnam() does; NIS compat lines (+name, -name, +@group) are not accounts of the file.
 */
export function parsePasswdAccounts(text: string): PasswdAccount[] {
  const accounts: PasswdAccount[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const fields = line.replace(/\r$/, "").split(":");
    const name = fields[0] ?? "";
    if (name === "" || name.startsWith("#") || name.startsWith("+") || name.startsWith("-")) {
      continue;
    }
    const uid = id(fields[2]);
    const gid = id(fields[3]);
    if (uid === undefined || gid === undefined || seen.has(name)) continue;
    seen.add(name);
    accounts.push({ name, uid, gid, home: fields[5] ?? "", shell: fields[6] ?? "" });
  }
  return accounts;
}
