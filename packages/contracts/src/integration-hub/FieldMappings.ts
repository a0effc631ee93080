/**
 * Field mappings: how one target field of a sync config is computed from a source record. Kinds:
 * `direct` (a source field, optionally through a chain of transforms), `constant`, `template`
 * (`"{firstName} {lastName}"`) and `lookup` (a value table). Validated when added; the same pure
 * module applies them in previews and in runs.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { FieldName } from "./Connections.ts"
import { FieldMappingAdded } from "./Events.ts"
import { FieldMappingId, owners, Scalar, SyncConfigId, Timestamp } from "./Shared.ts"
import { SyncConfigNotFound } from "./SyncConfigs.ts"

/** Output shapes of the `date` transform: tokens YYYY MM DD HH mm ss SSS, UTC; `iso` is ISO 8601. */
export const DateFormat = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(40))

export const Transform = Schema.Union([
  Schema.Struct({ op: Schema.tag("trim") }),
  Schema.Struct({ op: Schema.tag("lower") }),
  Schema.Struct({ op: Schema.tag("upper") }),
  /** Parses a number (`"1,5"` is not a number; `"1.5"` is). */
  Schema.Struct({ op: Schema.tag("number") }),
  /** `true/false/yes/no/1/0/y/n` (any case) to a boolean. */
  Schema.Struct({ op: Schema.tag("boolean") }),
  /** Parses an ISO date or epoch milliseconds and formats it (`YYYY-MM-DD`, `iso`, …). */
  Schema.Struct({ op: Schema.tag("date"), format: DateFormat }),
  /** Splits on `separator` and keeps the part at `index` (null when absent). */
  Schema.Struct({
    op: Schema.tag("split"),
    separator: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(10)),
    index: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 }))
  }),
  /** Appends the values of other source fields, joined by `separator` (empty ones left out). */
  Schema.Struct({
    op: Schema.tag("concat"),
    fields: Schema.Array(FieldName).check(Schema.isMinLength(1), Schema.isMaxLength(10)),
    separator: Schema.String.check(Schema.isMaxLength(10))
  }),
  /** Replaces null, undefined or "" with `value`. */
  Schema.Struct({ op: Schema.tag("default"), value: Scalar })
])
export type Transform = typeof Transform.Type

export const MappingRule = Schema.Union([
  Schema.Struct({
    type: Schema.tag("direct"),
    sourceField: FieldName,
    transforms: Schema.optionalKey(Schema.Array(Transform).check(Schema.isMaxLength(20)))
  }),
  Schema.Struct({ type: Schema.tag("constant"), value: Scalar }),
  Schema.Struct({
    type: Schema.tag("template"),
    /** `{field}` placeholders; `{{` and `}}` are literal braces. */
    template: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000))
  }),
  Schema.Struct({
    type: Schema.tag("lookup"),
    sourceField: FieldName,
    table: Schema.Record(Schema.String, Scalar),
    /** When the source value is not in the table (absent: the record fails). */
    fallback: Schema.optionalKey(Scalar)
  })
])
export type MappingRule = typeof MappingRule.Type

export const FieldMapping = Schema.Struct({
  id: FieldMappingId,
  syncConfigId: SyncConfigId,
  targetField: FieldName,
  rule: MappingRule,
  createdAt: Timestamp
})
export type FieldMapping = typeof FieldMapping.Type

export class InvalidMapping extends ContractError<InvalidMapping>()(
  "InvalidMapping",
  {
    code: "INVALID_MAPPING",
    status: 422,
    title: "Invalid mapping",
    when: "The mapping cannot be applied: a malformed template, an empty lookup table, a date format without tokens"
  },
  { reason: Schema.String }
) {}

export class TargetFieldTaken extends ContractError<TargetFieldTaken>()(
  "TargetFieldTaken",
  {
    code: "TARGET_FIELD_TAKEN",
    status: 409,
    title: "Target field already mapped",
    when: "The sync config already maps this target field"
  },
  { targetField: Schema.String }
) {}

export class FieldMappingNotFound extends ContractError<FieldMappingNotFound>()(
  "FieldMappingNotFound",
  {
    code: "FIELD_MAPPING_NOT_FOUND",
    status: 404,
    title: "Field mapping not found",
    when: "No mapping with this id on a sync config of the caller's organization"
  },
  { mappingId: Schema.String }
) {}

export const AddFieldMapping = command({
  meta: {
    key: "integration.fieldMapping.add",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "mapping", "add"],
    description: "Map one target field of a sync config.",
    goal: "Say how source records become target records.",
    context: "Mapping setup."
  },
  input: Schema.Struct({ syncConfigId: SyncConfigId, targetField: FieldName, rule: MappingRule }),
  output: FieldMapping,
  errors: [SyncConfigNotFound, InvalidMapping, TargetFieldTaken],
  policy: { auth: "user" },
  emits: [{ event: FieldMappingAdded, when: "The mapping is added" }],
  acceptance: {
    scenarios: [
      {
        key: "add-mapping-template",
        given: ["A sync config"],
        when: ['User maps fullName with the template "{firstName} {lastName}"'],
        then: ["The mapping is stored and previews apply it"]
      },
      {
        key: "add-mapping-invalid",
        given: ["A sync config"],
        when: ["User adds a mapping with an unknown transform, or a template with an unclosed brace"],
        then: ["The first is refused with 400 INVALID_INPUT, the second with 422 INVALID_MAPPING"]
      }
    ],
    examples: [
      {
        key: "map-full-name",
        input: {
          syncConfigId: "sync-123",
          targetField: "fullName",
          rule: { type: "template", template: "{firstName} {lastName}" }
        },
        output: {
          id: "map-1",
          syncConfigId: "sync-123",
          targetField: "fullName",
          rule: { type: "template", template: "{firstName} {lastName}" },
          createdAt: "2025-01-20T09:00:00.000Z"
        }
      }
    ]
  }
})

export const RemoveFieldMapping = command({
  meta: {
    key: "integration.fieldMapping.remove",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "mapping", "remove"],
    description: "Remove one field mapping.",
    goal: "Stop writing a target field.",
    context: "Mapping setup."
  },
  input: Schema.Struct({ mappingId: FieldMappingId }),
  output: Schema.Struct({ removed: FieldMappingId }),
  errors: [FieldMappingNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "remove-mapping",
        given: ["A sync config with two mappings"],
        when: ["User removes one"],
        then: ["Only the other is listed"]
      }
    ]
  }
})

export const ListFieldMappings = query({
  meta: {
    key: "integration.fieldMapping.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "mapping", "list"],
    description: "List a sync config's field mappings, in the order they were added.",
    goal: "See how records are mapped.",
    context: "Mapping setup."
  },
  input: Schema.Struct({ syncConfigId: SyncConfigId }),
  output: Schema.Struct({ items: Schema.Array(FieldMapping) }),
  errors: [SyncConfigNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-mappings-in-order",
        given: ["A sync config with mappings"],
        when: ["User lists them"],
        then: ["They come in the order they were added"]
      }
    ]
  }
})
