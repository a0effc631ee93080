/**
 * Field mappings, applied: one pure module used by `integration.syncConfig.preview` and by sync
 * runs alike, so a preview shows exactly what a run writes. No I/O.
 *
 * - `validateRule` finds what the input schema cannot (a malformed template, an empty lookup
 *   table, a date format without tokens) when a mapping is added.
 * - `mapRecord` maps one source record with every mapping of a sync config: a mapped record of
 *   scalars, or the reason this record cannot be mapped (the run records it and goes on).
 * - `checksum` is the content checksum change detection compares per external id.
 */
import { hash } from "node:crypto"
import type { MappingRule, Transform } from "@tessera/contracts/integration-hub/FieldMappings"
import type { Scalar } from "@tessera/contracts/integration-hub/Shared"
import { Result } from "effect"

export type SourceRecord = Readonly<Record<string, unknown>>
export type MappedRecord = Readonly<Record<string, Scalar>>

export interface Mapping {
  readonly targetField: string
  readonly rule: MappingRule
}

// --- templates ------------------------------------------------------------------------------

type TemplatePart = { readonly text: string } | { readonly field: string }

const FIELD = /^[A-Za-z_][A-Za-z0-9_.-]*$/

/** The parts of a template, or why it is malformed. `{{` and `}}` are literal braces. */
export const parseTemplate = (template: string): Result.Result<ReadonlyArray<TemplatePart>, string> => {
  const parts: Array<TemplatePart> = []
  let text = ""
  let i = 0
  while (i < template.length) {
    const c = template[i]
    if (c === "{" && template[i + 1] === "{") {
      text += "{"
      i += 2
    } else if (c === "}" && template[i + 1] === "}") {
      text += "}"
      i += 2
    } else if (c === "{") {
      const end = template.indexOf("}", i + 1)
      if (end === -1) return Result.fail(`unclosed "{" at position ${i}`)
      const field = template.slice(i + 1, end).trim()
      if (!FIELD.test(field)) return Result.fail(`"{${field}}" at position ${i} is not a field name`)
      if (text !== "") parts.push({ text })
      text = ""
      parts.push({ field })
      i = end + 1
    } else if (c === "}") {
      return Result.fail(`unmatched "}" at position ${i}`)
    } else {
      text += c
      i++
    }
  }
  if (text !== "") parts.push({ text })
  if (!parts.some((part) => "field" in part)) return Result.fail("a template needs at least one {field}")
  return Result.succeed(parts)
}

// --- dates ----------------------------------------------------------------------------------

const DATE_TOKENS = /YYYY|MM|DD|HH|mm|ss|SSS/g

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

const formatDate = (date: Date, format: string): string =>
  format === "iso"
    ? date.toISOString()
    : format.replace(DATE_TOKENS, (token) => {
        switch (token) {
          case "YYYY":
            return pad(date.getUTCFullYear(), 4)
          case "MM":
            return pad(date.getUTCMonth() + 1)
          case "DD":
            return pad(date.getUTCDate())
          case "HH":
            return pad(date.getUTCHours())
          case "mm":
            return pad(date.getUTCMinutes())
          case "ss":
            return pad(date.getUTCSeconds())
          default:
            return pad(date.getUTCMilliseconds(), 3)
        }
      })

// --- values ---------------------------------------------------------------------------------

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A field of a record: `a.b` reads a nested field unless the record has a key `a.b`. */
export const getField = (record: SourceRecord, field: string): unknown => {
  if (Object.hasOwn(record, field)) return record[field]
  let value: unknown = record
  for (const key of field.split(".")) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined
    value = value[key]
  }
  return value
}

const isEmpty = (value: unknown) => value === undefined || value === null || value === ""

/** Any JSON value as a scalar: objects and arrays as their JSON text, undefined as null. */
const toScalar = (value: unknown): Scalar => {
  if (value === undefined || value === null) return null
  if (typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") return Number.isFinite(value) ? value : null
  return JSON.stringify(value)
}

const text = (value: unknown): string | null => {
  const scalar = toScalar(value)
  return scalar === null ? null : String(scalar)
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/
const TRUE = new Set(["true", "yes", "y", "1", "on"])
const FALSE = new Set(["false", "no", "n", "0", "off"])

const show = (value: unknown) => JSON.stringify(toScalar(value))

const applyTransform = (transform: Transform, value: unknown, record: SourceRecord): Result.Result<unknown, string> => {
  switch (transform.op) {
    case "trim":
      return Result.succeed(text(value)?.trim() ?? null)
    case "lower":
      return Result.succeed(text(value)?.toLowerCase() ?? null)
    case "upper":
      return Result.succeed(text(value)?.toUpperCase() ?? null)
    case "number": {
      if (isEmpty(value)) return Result.succeed(null)
      if (typeof value === "number") return Result.succeed(value)
      const s = typeof value === "string" ? value.trim() : undefined
      return s !== undefined && NUMBER.test(s)
        ? Result.succeed(Number(s))
        : Result.fail(`${show(value)} is not a number`)
    }
    case "boolean": {
      if (isEmpty(value)) return Result.succeed(null)
      if (typeof value === "boolean") return Result.succeed(value)
      const s = text(value)?.trim().toLowerCase() ?? ""
      if (TRUE.has(s)) return Result.succeed(true)
      if (FALSE.has(s)) return Result.succeed(false)
      return Result.fail(`${show(value)} is not a boolean`)
    }
    case "date": {
      if (isEmpty(value)) return Result.succeed(null)
      const date =
        typeof value === "number"
          ? new Date(value)
          : typeof value === "string" && /^\d{10,15}$/.test(value.trim())
            ? new Date(Number(value.trim()))
            : typeof value === "string"
              ? new Date(value.trim())
              : new Date(Number.NaN)
      return Number.isNaN(date.getTime())
        ? Result.fail(`${show(value)} is not a date`)
        : Result.succeed(formatDate(date, transform.format))
    }
    case "split": {
      const s = text(value)
      return Result.succeed(s === null ? null : (s.split(transform.separator)[transform.index] ?? null))
    }
    case "concat": {
      const parts = [value, ...transform.fields.map((field) => getField(record, field))]
        .filter((part) => !isEmpty(part))
        .map((part) => text(part) ?? "")
      return Result.succeed(parts.length === 0 ? null : parts.join(transform.separator))
    }
    case "default":
      return Result.succeed(isEmpty(value) ? transform.value : value)
  }
}

// --- rules ----------------------------------------------------------------------------------

/** Why a rule cannot be applied, found when it is added (beyond what its schema checks). */
export const validateRule = (rule: MappingRule): string | undefined => {
  switch (rule.type) {
    case "template": {
      const parsed = parseTemplate(rule.template)
      return Result.isFailure(parsed) ? `template: ${parsed.failure}` : undefined
    }
    case "lookup":
      return Object.keys(rule.table).length === 0 ? "lookup: the table is empty" : undefined
    case "direct": {
      for (const transform of rule.transforms ?? []) {
        if (transform.op === "date" && transform.format !== "iso" && transform.format.match(DATE_TOKENS) === null) {
          return `date: the format ${JSON.stringify(transform.format)} has no token (YYYY MM DD HH mm ss SSS) and is not "iso"`
        }
      }
      return undefined
    }
    case "constant":
      return undefined
  }
}

type Compiled = (record: SourceRecord) => Result.Result<Scalar, string>

/** A rule turned into a function once (templates parsed once), applied to many records. */
const compileRule = (rule: MappingRule): Compiled => {
  switch (rule.type) {
    case "constant":
      return () => Result.succeed(rule.value)
    case "direct": {
      const transforms = rule.transforms ?? []
      return (record) => {
        let value: unknown = getField(record, rule.sourceField)
        for (const transform of transforms) {
          const next = applyTransform(transform, value, record)
          if (Result.isFailure(next)) return Result.fail(`${transform.op}: ${next.failure}`)
          value = next.success
        }
        return Result.succeed(toScalar(value))
      }
    }
    case "template": {
      const parsed = parseTemplate(rule.template)
      if (Result.isFailure(parsed)) return () => Result.fail(`template: ${parsed.failure}`)
      const parts = parsed.success
      return (record) => {
        let out = ""
        for (const part of parts) out += "text" in part ? part.text : (text(getField(record, part.field)) ?? "")
        return Result.succeed(out)
      }
    }
    case "lookup":
      return (record) => {
        const key = text(getField(record, rule.sourceField))
        if (key !== null && Object.hasOwn(rule.table, key)) return Result.succeed(rule.table[key] ?? null)
        return rule.fallback !== undefined
          ? Result.succeed(rule.fallback)
          : Result.fail(`${JSON.stringify(key)} is not in the lookup table`)
      }
  }
}

/** The value one rule gives for a record, or why it cannot. */
export const applyRule = (rule: MappingRule, record: SourceRecord): Result.Result<Scalar, string> =>
  compileRule(rule)(record)

// Postgres refuses text with NUL and JSON with lone surrogates: such a record fails alone.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const unstorable = (text: string) => text.includes("\u0000") || LONE_SURROGATE.test(text)

export type Mapper = (record: SourceRecord) => Result.Result<MappedRecord, string>

/**
 * The mappings of a sync config as one function (compiled once per page): a record mapped by
 * every mapping (in order), or the first reason it cannot be. Without mappings the record is
 * copied, its nested values as JSON text.
 */
export const compile = (mappings: ReadonlyArray<Mapping>): Mapper => {
  const rules = mappings.map((mapping) => [mapping.targetField, compileRule(mapping.rule)] as const)
  return (record) => {
    const out: Record<string, Scalar> = {}
    if (rules.length === 0) {
      for (const key of Object.keys(record)) out[key] = toScalar(record[key])
    } else {
      for (const [targetField, rule] of rules) {
        const value = rule(record)
        if (Result.isFailure(value)) return Result.fail(`${targetField}: ${value.failure}`)
        out[targetField] = value.success
      }
    }
    for (const key of Object.keys(out)) {
      const value = out[key]
      if (typeof value === "string" && unstorable(value)) {
        return Result.fail(`${key}: contains a NUL character or an unpaired surrogate`)
      }
    }
    return Result.succeed(out)
  }
}

/** `compile(mappings)(record)`: one record mapped (see `compile`). */
export const mapRecord = (
  mappings: ReadonlyArray<Mapping>,
  record: SourceRecord
): Result.Result<MappedRecord, string> => compile(mappings)(record)

/** The external id of a source record (its `idField`, as text), if it has one. */
export const externalIdOf = (record: SourceRecord, idField: string): string | undefined => {
  const value = getField(record, idField)
  if (typeof value === "string" && value !== "" && value.length <= 200 && !unstorable(value)) return value
  if (typeof value === "number" && Number.isFinite(value)) return String(value)
  return undefined
}

// The keys of the last record's shape, sorted and quoted once: a run maps every record with the
// same mappings, so records of a page share their keys and their order.
let shapeKeys: ReadonlyArray<string> = []
let sortedKeys: ReadonlyArray<string> = []
let quotedKeys: ReadonlyArray<string> = []

const sameShape = (keys: ReadonlyArray<string>) => {
  if (keys.length !== shapeKeys.length) return false
  for (let i = 0; i < keys.length; i++) if (keys[i] !== shapeKeys[i]) return false
  return true
}

/** Canonical JSON (sorted keys): equal records give equal text however their keys were ordered. */
const canonical = (record: MappedRecord): string => {
  const keys = Object.keys(record)
  if (!sameShape(keys)) {
    shapeKeys = keys
    sortedKeys = [...keys].sort()
    quotedKeys = sortedKeys.map((key) => `${JSON.stringify(key)}:`)
  }
  let out = "{"
  for (let i = 0; i < sortedKeys.length; i++) {
    const key = sortedKeys[i] ?? ""
    out += `${i === 0 ? "" : ","}${quotedKeys[i]}${JSON.stringify(record[key])}`
  }
  return `${out}}`
}

/** The content checksum of a mapped record (SHA-256 of its canonical JSON, base64url). */
export const checksum = (record: MappedRecord): string => hash("sha256", canonical(record), "base64url")
