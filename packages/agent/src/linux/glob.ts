import { readdirSync } from "node:fs";

const META = /[*?[]/;

/** A glob(3) segment as a regular expression: *, ?, and [...] classes ([!...] negated). */
export function segmentPattern(segment: string): RegExp {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[" && segment.indexOf("]", i + 2) > 0) {
      const end = segment.indexOf("]", i + 2);
      let body = segment.slice(i + 1, end);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The paths matching an absolute glob pattern, looked up under `root` and returned as
 * paths of that file system, sorted. Names starting with a dot match only a pattern that
 * starts with one, as in glob(3). A pattern without wildcards is returned as is, whether
 * or not it exists (the reader tells).
 */
export function expandGlob(pattern: string, root = "/"): string[] {
  const prefix = root === "/" ? "" : root.replace(/\/+$/, "");
  let found = [""];
  for (const segment of pattern.split("/").filter((s) => s !== "")) {
    if (!META.test(segment)) {
      found = found.map((dir) => `${dir}/${segment}`);
      continue;
    }
    const regex = segmentPattern(segment);
    found = found.flatMap((dir) =>
      entries(`${prefix}${dir}` || "/")
        .filter((name) => regex.test(name) && (!name.startsWith(".") || segment.startsWith(".")))
        .map((name) => `${dir}/${name}`),
    );
  }
  return found.sort();
}
