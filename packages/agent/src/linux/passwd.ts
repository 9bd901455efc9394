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
