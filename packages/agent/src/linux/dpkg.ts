import type { ReportPackage } from "@compliance/contract";

/** The fields of a stanza the report needs; every other field (and its continuation lines) is skipped. */
interface Stanza {
  name: string;
  version: string;
  arch: string;
  status: string;
}

const FIELDS: readonly (readonly [prefix: string, field: keyof Stanza])[] = [
  ["Package:", "name"],
  ["Status:", "status"],
  ["Version:", "version"],
  ["Architecture:", "arch"],
];

/**
 * Installed means the third word of Status is "installed", whatever the selection: a held
 * package ("hold ok installed") is as installed as any other. Removed packages that left
 * their configuration ("deinstall ok config-files") and half-done ones are not.
 */
export function isInstalledStatus(status: string): boolean {
  return status.trim().split(/\s+/)[2] === "installed";
}

const emptyStanza = (): Stanza => ({ name: "", version: "", arch: "", status: "" });

/**
 * dpkg's database (/var/lib/dpkg/status: deb822 stanzas separated by blank lines) read
 * piece by piece into its installed packages, versions verbatim. The file runs to
 * megabytes of descriptions and file lists of which four one-line fields matter, so lines
 * are only looked at where they start: no string is made for a line that is not kept.
 */
export class DpkgStatusParser {
  private readonly packages: ReportPackage[] = [];
  private stanza = emptyStanza();
  private rest = "";

  /** The next piece of the file; a line cut at its end is completed by the next piece. */
  push(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      this.line(text, start, end);
      start = end + 1;
    }
    this.rest = text.slice(start);
  }

  /** The installed packages, once the whole file was pushed. */
  end(): ReportPackage[] {
    if (this.rest !== "") this.line(this.rest, 0, this.rest.length);
    this.rest = "";
    this.finish();
    return this.packages;
  }

  private line(text: string, start: number, end: number): void {
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (stop === start) {
      this.finish();
      return;
    }
    const first = text.charCodeAt(start);
    if (first === 32 || first === 9) return; // a continuation line of a multi-line field
    for (const [prefix, field] of FIELDS) {
      if (text.startsWith(prefix, start)) {
        this.stanza[field] = text.slice(start + prefix.length, stop).trim();
        return;
      }
    }
  }

  private finish(): void {
    const { name, version, arch, status } = this.stanza;
    this.stanza = emptyStanza();
    if (name === "" || !isInstalledStatus(status)) return;
    const item: ReportPackage = { name, version, source: "deb" };
    if (arch !== "") item.arch = arch;
    this.packages.push(item);
  }
}

/** The installed packages of a whole dpkg status text (see DpkgStatusParser). */
export function parseDpkgStatus(text: string): ReportPackage[] {
  const parser = new DpkgStatusParser();
  parser.push(text);
  return parser.end();
}
