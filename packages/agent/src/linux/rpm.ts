import type { ReportPackage } from "@compliance/contract";

/**
 * `rpm -qa` with one tab-separated line per package. EPOCH prints "(none)" when the
 * package has none, and so does ARCH for gpg-pubkey entries.
 */
export const RPM_QUERY_ARGS: readonly string[] = [
  "-qa",
  "--queryformat",
  "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n",
];

const NONE = "(none)";

/**
 * Parses the output of RPM_QUERY_ARGS. The version is written the way rpm compares it and
 * its tools print it: epoch:version-release, the epoch only when there is one.
 */
export function parseRpmQuery(text: string): ReportPackage[] {
  const packages: ReportPackage[] = [];
  for (const line of text.split("\n")) {
    const fields = line.replace(/\r$/, "").split("\t");
    if (fields.length !== 5) continue;
    const [name, epoch, version, release, arch] = fields as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (name === "") continue;
    const versionRelease = release === "" || release === NONE ? version : `${version}-${release}`;
    const item: ReportPackage = {
      name,
      version: epoch === "" || epoch === NONE ? versionRelease : `${epoch}:${versionRelease}`,
      source: "rpm",
    };
    if (arch !== "" && arch !== NONE) item.arch = arch;
    packages.push(item);
  }
  return packages;
}
