import { createHash } from "node:crypto";
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { type ArchiveLocation, locationText } from "./location.ts";

export interface S3TargetOptions {
  location: ArchiveLocation;
  /** An S3-compatible server, addressed path-style; null: AWS S3. */
  endpoint: string | null;
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION are read here. */
  env: Record<string, string | undefined>;
}

/** Names of one report (one host address, one second) tried before giving up. */
const MAX_SUFFIX = 1000;

type Existing = "absent" | "same" | "other";

/** The status of a failed S3 call, when the server answered. */
const statusOf = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * A bucket (and prefix) that reports are written to, one JSON object each. A key is never
 * overwritten with another body: a name taken by another report gets a suffix, as files of
 * an export do, and a key already holding the same body counts as written, so writing a
 * report twice (a retry, another API process, an export run again) leaves one object.
 */
export class S3Target {
  private readonly client: S3Client;

  constructor(private readonly options: S3TargetOptions) {
    const { env, endpoint } = options;
    const config: S3ClientConfig = {
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
      // Retries are the archiver's (with backoff, across passes), not the client's.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
    };
    if (endpoint) {
      config.endpoint = endpoint;
      config.forcePathStyle = true;
    }
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      config.credentials = {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: env.AWS_SESSION_TOKEN || undefined,
      };
    }
    this.client = new S3Client(config);
  }

  get where(): string {
    return locationText(this.options.location);
  }

  /** The object key of a name (`<base>.json`, `<base>-2.json`...). */
  keyOf(name: string): string {
    return `${this.options.location.prefix}${name}`;
  }

  /** Writes `body` as `<base>.json` (or the first free suffix); returns the key it is under. */
  async putNew(base: string, body: string): Promise<string> {
    const md5 = createHash("md5").update(body).digest("hex");
    for (let n = 1; n <= MAX_SUFFIX; ) {
      const key = this.keyOf(n === 1 ? `${base}.json` : `${base}-${n}.json`);
      const existing = await this.existing(key, body, md5);
      if (existing === "same") return key;
      if (existing === "other") {
        n++;
        continue;
      }
      if (await this.putIfAbsent(key, body)) return key;
      // Written by someone else in between: look at it again.
    }
    throw new Error(`more than ${MAX_SUFFIX} objects named ${base} in ${this.where}`);
  }

  /** The object's body, null when there is none. */
  async get(key: string): Promise<string | null> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.location.bucket, Key: key }),
      );
      return (await r.Body?.transformToString("utf8")) ?? "";
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** Whether `key` holds nothing, this body, or another one. */
  private async existing(key: string, body: string, md5: string): Promise<Existing> {
    let head: { ETag?: string | undefined; ContentLength?: number | undefined };
    try {
      head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.location.bucket, Key: key }),
      );
    } catch (e) {
      if (statusOf(e) === 404) return "absent";
      throw e;
    }
    if (head.ETag?.replaceAll('"', "") === md5) return "same";
    if (head.ContentLength !== undefined && head.ContentLength !== Buffer.byteLength(body)) {
      return "other";
    }
    // An ETag that is not the MD5 of the body (server-side encryption): compare the bodies.
    const stored = await this.get(key);
    return stored === null ? "absent" : stored === body ? "same" : "other";
  }

  /** A PUT that does not replace an object written meanwhile, where the server supports it. */
  private async putIfAbsent(key: string, body: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.location.bucket,
          Key: key,
          Body: body,
          ContentType: "application/json",
          IfNoneMatch: "*",
        }),
      );
      return true;
    } catch (e) {
      const status = statusOf(e);
      if (status === 412 || status === 409) return false;
      throw e;
    }
  }
}
