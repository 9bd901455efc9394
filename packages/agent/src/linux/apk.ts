import type { ReportPackage } from "@compliance/contract";

/**
 * Parses Alpine's database of installed packages (/lib/apk/db/installed): one block per
 * package, separated by blank lines, each line a one-letter key, a colon and a value
 * (P: name, V: version, A: architecture; the many file lines F:, R:, Z: are skipped).
 * Every package in that file is installed.
 */
export function parseApkInstalled(text: string): ReportPackage[] {
  const packages: ReportPackage[] = [];
  let name = "";
  let version = "";
  let arch = "";
  const finish = () => {
    if (name !== "") {
      const item: ReportPackage = { name, version, source: "apk" };
      if (arch !== "") item.arch = arch;
      packages.push(item);
    }
    name = "";
    version = "";
    arch = "";
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "") finish();
    else if (line.startsWith("P:")) name = line.slice(2);
    else if (line.startsWith("V:")) version = line.slice(2);
    else if (line.startsWith("A:")) arch = line.slice(2);
  }
  finish();
  return packages;
}
