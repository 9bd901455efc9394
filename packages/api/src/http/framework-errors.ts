import type { Socket } from "node:net";
import { TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";

/**
 * Errors found before a route runs (by the HTTP parser, the router, the schema compiler)
 * answered in the API's own shape, `{error:{code,message}}`, like every other error.
 */

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

type Numeric = "integer" | "number";

/** The members of an object schema (through intersections) whose type is a number. */
function numericMembers(schema: unknown, out = new Map<string, Numeric>()): Map<string, Numeric> {
  const s = schema as {
    properties?: Record<string, { type?: unknown }>;
    allOf?: unknown[];
  } | null;
  if (!s || typeof s !== "object") return out;
  for (const [name, member] of Object.entries(s.properties ?? {})) {
    if (member?.type === "integer" || member?.type === "number") out.set(name, member.type);
  }
  for (const part of s.allOf ?? []) numericMembers(part, out);
  return out;
}

/**
 * TypeBox's compiler, with one difference for the path and the query: a number written as
 * anything but decimal digits (`true`, `1.5` for an integer, `0x10`, `1e3`) is a 400. The
 * plain compiler converts those (`true` to 1), so `DELETE /hosts/true` would act on host 1.
 */
export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route);
  if (route.httpPart !== "params" && route.httpPart !== "querystring") return validate;
  const numeric = numericMembers(route.schema);
  if (numeric.size === 0) return validate;
  return (value: unknown) => {
    const values = (value ?? {}) as Record<string, unknown>;
    for (const [name, type] of numeric) {
      const raw = values[name];
      if (typeof raw !== "string") continue;
      if (!(type === "integer" ? INTEGER : NUMBER).test(raw)) {
        const message = type === "integer" ? "must be an integer" : "must be a number";
        return {
          error: [
            { keyword: "type", instancePath: `/${name}`, schemaPath: "", params: {}, message },
          ],
        };
      }
    }
    return validate(value);
  };
};

/** The router's refusals: a path that does not decode, a parameter too long. */
export function frameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
) {
  const status = error.statusCode ?? 400;
  const message =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? "a path parameter is longer than any identifier"
      : error.code === "FST_ERR_BAD_URL"
        ? "the path is not a valid URL (a bad percent escape)"
        : error.message;
  return reply.code(status).send({ error: { code: "invalid_request", message } });
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, "timeout", "the request was not received in time"],
  HPE_HEADER_OVERFLOW: [431, "headers_too_large", "the request line or headers are too large"],
};

/** Requests the HTTP parser refuses before any route sees them. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ""] ?? [
    400,
    "invalid_request",
    "the request is not valid HTTP",
  ];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${code}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
