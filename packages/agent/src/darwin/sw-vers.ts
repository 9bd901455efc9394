/**
 * Parses `sw_vers`: `ProductName:`, `ProductVersion:`, `BuildVersion:` lines (a tab or
 * spaces after the colon). Older systems say "Mac OS X", newer ones "macOS".
 */
export function parseSwVers(text: string): { name: string; version: string; build: string } {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return {
    name: fields.get("ProductName") ?? "",
    version: fields.get("ProductVersion") ?? "",
    build: fields.get("BuildVersion") ?? "",
  };
}
