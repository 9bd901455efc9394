import { Transform, type TransformCallback } from "node:stream";
import zlib from "node:zlib";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../errors.ts";

/**
 * Request bodies sent with `Content-Encoding: gzip` (or `zstd`) are decoded while they
 * arrive. The route's body limit applies to the decoded bytes, counted as they come out of
 * the decoder: a small body that inflates past the limit (a compression bomb) is a 413
 * after at most the limit was produced, and the rest is never decoded.
 */

type Decoder = () => Transform;

const DECODERS: Record<string, Decoder> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  zstd: () => zlib.createZstdDecompress(),
};

/** The encodings a request body may have, for error messages and documentation. */
export const ACCEPTED_ENCODINGS = ["gzip", "deflate", "zstd"] as const;

function tooLarge(limit: number): ApiError {
  return new ApiError(413, "body_too_large", `body is larger than ${limit} bytes once decoded`, [
    { path: "body", message: `is larger than ${limit} bytes once decoded` },
  ]);
}

/** Counts decoded bytes and stops the stream as soon as they pass the limit. */
class DecodedLimit extends Transform {
  private decoded = 0;
  /** Encoded bytes read so far: Fastify checks them against Content-Length. */
  receivedEncodedLength = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.decoded += chunk.length;
    if (this.decoded > this.limit) {
      done(tooLarge(this.limit));
      return;
    }
    done(null, chunk);
  }
}

export function acceptCompressedBodies(app: FastifyInstance, defaultLimit: number): void {
  app.addHook("preParsing", async (request, _reply, payload) => {
    const header = request.headers["content-encoding"];
    const encoding = String(header ?? "")
      .trim()
      .toLowerCase();
    if (encoding === "" || encoding === "identity") return payload;
    const decoder = DECODERS[encoding];
    if (!decoder) {
      throw new ApiError(
        415,
        "unsupported_encoding",
        `Content-Encoding ${encoding} is not accepted: send ${ACCEPTED_ENCODINGS.join(", ")} or none`,
        [{ path: "headers/content-encoding", message: "is not an accepted encoding" }],
      );
    }
    const limit = request.routeOptions.bodyLimit ?? defaultLimit;
    const decode = decoder();
    const counted = new DecodedLimit(limit);
    payload.on("data", (chunk: Buffer) => {
      counted.receivedEncodedLength += chunk.length;
    });
    const fail = (error: Error) => {
      const bad =
        error instanceof ApiError
          ? error
          : new ApiError(400, "invalid_request", `the body is not valid ${encoding}`, [
              { path: "body", message: `is not valid ${encoding}: ${error.message}` },
            ]);
      payload.unpipe(decode);
      decode.destroy();
      counted.destroy(bad);
    };
    decode.on("error", fail);
    counted.on("error", () => decode.destroy());
    payload.pipe(decode).pipe(counted);
    return counted;
  });
}
