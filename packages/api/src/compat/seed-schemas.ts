import { ErrorSchema, LIMITS } from "@compliance/contract";
import Type from "typebox";

// Building blocks of the seeds' body schemas. The seeds' agents were Python scripts: a
// value may be null (psutil's None), a pid or a percentage may arrive as a string. Unknown
// fields are ignored, never rejected: old agents must keep working unchanged.

/** A short text. NUL is refused: PostgreSQL cannot store it in text. */
export const ShortText = () => Type.String({ maxLength: LIMITS.name, pattern: "^[^\\u0000]*$" });

/** A short text the seed may send as null. */
export const Text = (description: string) =>
  Type.Union([ShortText(), Type.Null()], { description });

/** A pid: a number, or digits in a string. */
export const PidLike = Type.Union(
  [
    Type.Integer({ minimum: 0, maximum: 2_147_483_647 }),
    Type.String({ pattern: "^\\s*[0-9]{1,10}\\s*$" }),
  ],
  { description: "Process id, as a number or a string of digits" },
);

/** A number, or a number in a string (seed 003 sends "12.5"). */
export const NumberLike = (description: string) =>
  Type.Union(
    [
      Type.Number(),
      Type.String({ maxLength: 32, pattern: "^\\s*([0-9]+([.][0-9]*)?|[.][0-9]+)?\\s*$" }),
      Type.Null(),
    ],
    { description },
  );

/** An address, or several separated by spaces. */
export const IpField = (description: string) =>
  Type.String({ minLength: 1, maxLength: 4096, description });

/** A seed's local time, `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
export const SeedTime = (description: string) =>
  Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description });

/** Errors of the legacy routes: the API's one error shape. */
export const legacyErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  415: ErrorSchema,
  503: ErrorSchema,
};
