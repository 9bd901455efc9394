import Type, { type Static, type TSchema } from "typebox";
import { DELTA_SECTIONS, OPTIONAL_SECTIONS } from "./delta.ts";
import { LIMITS } from "./limits.ts";
import {
  AccountSchema,
  ListeningSchema,
  PackageSchema,
  ProcessSchema,
  ReportSchema,
  ServiceSchema,
  SessionSchema,
} from "./report.ts";

/** The most items any list of a report may hold: an index into one is below it. */
const MOST_ITEMS = Math.max(
  LIMITS.processes,
  LIMITS.sessions,
  LIMITS.packages,
  LIMITS.listening,
  LIMITS.accounts,
  LIMITS.services,
);
const Index = (description: string) =>
  Type.Integer({ minimum: 0, maximum: MOST_ITEMS - 1, description });

const ListDeltaSchema = <T extends TSchema>(item: T) =>
  Type.Object(
    {
      removed: Type.Optional(
        Type.Array(Index("An index in the base's list"), {
          maxItems: MOST_ITEMS,
          description: "The base's items gone, by index, increasing",
        }),
      ),
      changed: Type.Optional(
        Type.Array(
          Type.Object(
            {
              i: Index("The item's index in the base's list"),
              set: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), {
                maxProperties: 32,
                description: "Each field that changed, with its new value; null: the field is gone",
              }),
            },
            { additionalProperties: false },
          ),
          { maxItems: MOST_ITEMS, description: "Items kept whose fields changed, increasing by i" },
        ),
      ),
      added: Type.Optional(
        Type.Array(
          Type.Object(
            { at: Index("The item's index in the new list"), item },
            { additionalProperties: false },
          ),
          { maxItems: MOST_ITEMS, description: "Items new in this report, increasing by at" },
        ),
      ),
    },
    { additionalProperties: false },
  );

const props = ReportSchema.properties;
/**
 * A delta check-in (POST /api/v1/reports/delta): what changed since a report the API
 * acknowledged for this host. See delta.ts for how it applies.
 */
export const DeltaReportSchema = Type.Object(
  {
    schema_version: Type.Literal(1),
    report_id: props.report_id,
    collected_at: props.collected_at,
    base_report_id: Type.String({
      format: "uuid",
      description: "A report of this host the API acknowledged: the one this delta applies to",
    }),
    digest: Type.String({
      pattern: "^[0-9a-f]{64}$",
      description:
        "SHA-256, in hex, of the canonical JSON (keys sorted at every level) of the whole report this delta describes",
    }),
    set: Type.Optional(
      Type.Partial(Type.Pick(ReportSchema, [...DELTA_SECTIONS]), {
        additionalProperties: false,
        description: "Sections replaced whole",
      }),
    ),
    unset: Type.Optional(
      Type.Array(Type.Union(OPTIONAL_SECTIONS.map((s) => Type.Literal(s))), {
        maxItems: OPTIONAL_SECTIONS.length,
        description: "Optional sections the report no longer has",
      }),
    ),
    lists: Type.Optional(
      Type.Object(
        {
          processes: Type.Optional(ListDeltaSchema(ProcessSchema)),
          sessions: Type.Optional(ListDeltaSchema(SessionSchema)),
          packages: Type.Optional(ListDeltaSchema(PackageSchema)),
          listening: Type.Optional(ListDeltaSchema(ListeningSchema)),
          accounts: Type.Optional(ListDeltaSchema(AccountSchema)),
          services: Type.Optional(ListDeltaSchema(ServiceSchema)),
        },
        { additionalProperties: false, description: "Lists changed item by item" },
      ),
    ),
  },
  { additionalProperties: false },
);

export type DeltaReportBody = Static<typeof DeltaReportSchema>;
