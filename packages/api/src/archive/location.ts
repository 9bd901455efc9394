/** Where reports are archived: a bucket and a key prefix, from `s3://bucket/prefix`. */
export interface ArchiveLocation {
  bucket: string;
  /** "" or a prefix ending with "/". */
  prefix: string;
}

/** Reads `s3://bucket[/prefix]`; null when it is not one, with the reason. */
export function parseArchiveUrl(
  url: string,
): { ok: true; location: ArchiveLocation } | { ok: false; reason: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) return { ok: false, reason: `must be s3://bucket/prefix (got "${url}")` };
  const bucket = m[1]!;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    return { ok: false, reason: `"${bucket}" is not a bucket name (3 to 63 of a-z 0-9 . -)` };
  }
  const path = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { ok: true, location: { bucket, prefix: path === "" ? "" : `${path}/` } };
}

/** How a location is said in logs and messages. */
export const locationText = (l: ArchiveLocation) => `s3://${l.bucket}/${l.prefix}`;

/** Where reports are written: an S3Target, or anything that writes the same way. */
export interface ArchiveTarget {
  readonly where: string;
  /** Writes `body` as `<base>.json` (or a suffixed name); returns the key it is under. */
  putNew(base: string, body: string): Promise<string>;
}
