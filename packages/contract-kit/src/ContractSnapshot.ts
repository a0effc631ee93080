/**
 * The breaking-change gate. A snapshot records, for every contract, the wire shape of its input,
 * output, errors and emitted events — built by walking the Schema AST (the JSON-encoded side),
 * never by reading source text. `diff` compares a committed snapshot with the current catalog and
 * classifies each change; a stable contract may not change incompatibly (field removed, type
 * changed, optional → required, enum member removed, required input field added, constraints
 * changed, stable contract removed) without a major version bump.
 */
import { Schema, SchemaAST } from "effect"
import type { AnyContract, Stability } from "./Contract.ts"
import { errorInfo } from "./internal/ErrorInfo.ts"

export type LiteralValue = string | number | boolean | null

export type Shape =
  | {
      readonly type: "string" | "number" | "boolean" | "null" | "unknown" | "bigint" | "object"
      readonly checks?: ReadonlyArray<string>
    }
  | { readonly type: "enum"; readonly values: ReadonlyArray<LiteralValue> }
  | { readonly type: "union"; readonly members: ReadonlyArray<Shape> }
  | {
      readonly type: "struct"
      readonly properties: Readonly<Record<string, Property>>
      readonly rest?: Shape | undefined
      readonly checks?: ReadonlyArray<string>
    }
  | { readonly type: "array"; readonly items: Shape; readonly checks?: ReadonlyArray<string> }
  | { readonly type: "tuple"; readonly elements: ReadonlyArray<Shape> }
  | { readonly type: "template"; readonly parts: ReadonlyArray<Shape> }
  | { readonly type: "ref"; readonly name: string }
  | { readonly type: "opaque"; readonly name: string }

export interface Property {
  readonly shape: Shape
  readonly optional: boolean
}

export interface ErrorEntry {
  readonly status: number
  readonly code: string
  readonly shape: Shape
}

export interface ContractEntry {
  readonly key: string
  readonly version: string
  readonly kind: AnyContract["kind"]
  readonly stability: Stability
  readonly input: Shape
  readonly output: Shape
  readonly errors: Readonly<Record<string, ErrorEntry>>
  readonly events: Readonly<Record<string, Shape>>
}

/** Entries keyed by contract key; each records the version it was taken at. */
export interface Snapshot {
  readonly contracts: Readonly<Record<string, ContractEntry>>
}

const checksOf = (ast: SchemaAST.AST): ReadonlyArray<string> | undefined => {
  const out: Array<string> = []
  const visit = (checks: ReadonlyArray<SchemaAST.Check<unknown>>) => {
    for (const check of checks) {
      if (check._tag === "FilterGroup") visit(check.checks)
      else {
        const expected = check.annotations?.expected
        out.push(typeof expected === "string" ? expected : "a custom check")
      }
    }
  }
  visit(ast.checks ?? [])
  return out.length === 0 ? undefined : out
}

const withChecks = <S extends object>(shape: S, ast: SchemaAST.AST): S => {
  const checks = checksOf(ast)
  return checks === undefined ? shape : { ...shape, checks }
}

const isLiteralValue = (value: unknown): value is LiteralValue =>
  value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"

const NON_FINITE: ReadonlyArray<LiteralValue> = ["Infinity", "-Infinity", "NaN"]

/** The wire (JSON) shape of an AST. `seen` names recursive schemas so the walk terminates. */
const shapeOf = (ast: SchemaAST.AST, seen: ReadonlyArray<SchemaAST.AST> = []): Shape => {
  switch (ast._tag) {
    case "String":
      return withChecks({ type: "string" as const }, ast)
    case "Number":
      return withChecks({ type: "number" as const }, ast)
    case "Boolean":
      return { type: "boolean" }
    case "Null":
      return { type: "null" }
    case "BigInt":
      return withChecks({ type: "bigint" as const }, ast)
    case "Literal":
      return { type: "enum", values: [isLiteralValue(ast.literal) ? ast.literal : String(ast.literal)] }
    case "Enum":
      return { type: "enum", values: ast.enums.map(([, value]) => value) }
    case "Union": {
      const members = ast.types.map((member) => shapeOf(member, seen))
      const flat = members.flatMap((member) => (member.type === "union" ? member.members : [member]))
      // The JSON codec of a number also accepts "Infinity", "-Infinity" and "NaN": that is a number.
      const hasNumber = flat.some((member) => member.type === "number")
      const enums = flat
        .filter(
          (member) =>
            member.type === "enum" && !(hasNumber && member.values.every((value) => NON_FINITE.includes(value)))
        )
        .flatMap((member) => (member.type === "enum" ? [member] : []))
      const others = flat.filter((member) => member.type !== "enum")
      const merged: Array<Shape> =
        enums.length === 0 ? [] : [{ type: "enum", values: enums.flatMap((member) => member.values) }]
      const all = [...merged, ...others]
      return all.length === 1 && all[0] !== undefined ? all[0] : { type: "union", members: all }
    }
    case "Objects":
      if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
        return withChecks({ type: "struct" as const, properties: {} }, ast)
      }
      return withChecks(
        {
          type: "struct" as const,
          properties: Object.fromEntries(
            ast.propertySignatures.map((property) => [
              String(property.name),
              { shape: shapeOf(property.type, seen), optional: SchemaAST.isOptional(property.type) }
            ])
          ),
          ...(ast.indexSignatures[0] === undefined ? {} : { rest: shapeOf(ast.indexSignatures[0].type, seen) })
        },
        ast
      )
    case "Arrays":
      if (ast.elements.length === 0 && ast.rest.length === 1 && ast.rest[0] !== undefined) {
        return withChecks({ type: "array" as const, items: shapeOf(ast.rest[0], seen) }, ast)
      }
      return { type: "tuple", elements: [...ast.elements, ...ast.rest].map((element) => shapeOf(element, seen)) }
    case "TemplateLiteral":
      return { type: "template", parts: ast.parts.map((part) => shapeOf(part, seen)) }
    case "Suspend": {
      const name = SchemaAST.resolveIdentifier(ast) ?? `recursive#${seen.length}`
      if (seen.includes(ast)) return { type: "ref", name }
      return shapeOf(ast.thunk(), [...seen, ast])
    }
    case "ObjectKeyword":
      return { type: "object" }
    case "Unknown":
    case "Any":
      return { type: "unknown" }
    default:
      return { type: "opaque", name: SchemaAST.resolveIdentifier(ast) ?? ast._tag }
  }
}

/** The JSON wire shape of a schema. */
export const shape = (schema: Schema.Top): Shape => shapeOf(SchemaAST.toEncoded(Schema.toCodecJson(schema).ast))

const major = (version: string) => Number(version.split(".")[0] ?? "0")

export const entryId = (contract: Pick<AnyContract, "key">) => contract.key

export const entry = (contract: AnyContract): ContractEntry => ({
  key: contract.key,
  version: contract.version,
  kind: contract.kind,
  stability: contract.meta.stability,
  input: shape(contract.input),
  output: shape(contract.output),
  errors: Object.fromEntries(
    contract.errors.map((error) => {
      const info = errorInfo(error)
      return [info.tag, { status: info.status ?? 500, code: info.code, shape: shape(error) }]
    })
  ),
  events: Object.fromEntries(
    contract.emits.map(({ event }) => [`${event.type}@${event.version}`, shape(event.payload)])
  )
})

export const make = (contracts: ReadonlyArray<AnyContract>): Snapshot => ({
  contracts: Object.fromEntries(
    [...contracts]
      .sort((a, b) => (entryId(a) < entryId(b) ? -1 : entryId(a) > entryId(b) ? 1 : 0))
      .map((contract) => [entryId(contract), entry(contract)])
  )
})

/** Stable JSON text of a snapshot (what is committed). */
export const render = (snapshot: Snapshot): string => `${JSON.stringify(snapshot, null, 2)}\n`

const Checks = Schema.optionalKey(Schema.Array(Schema.String))
const ShapeJson: Schema.Codec<Shape> = Schema.Union([
  Schema.Struct({
    type: Schema.Literals(["string", "number", "boolean", "null", "unknown", "bigint", "object"]),
    checks: Checks
  }),
  Schema.Struct({
    type: Schema.Literal("enum"),
    values: Schema.Array(Schema.Union([Schema.String, Schema.Number, Schema.Boolean, Schema.Null]))
  }),
  Schema.Struct({ type: Schema.Literal("union"), members: Schema.Array(Schema.suspend(() => ShapeJson)) }),
  Schema.Struct({
    type: Schema.Literal("struct"),
    properties: Schema.Record(
      Schema.String,
      Schema.Struct({ shape: Schema.suspend(() => ShapeJson), optional: Schema.Boolean })
    ),
    rest: Schema.optionalKey(Schema.suspend(() => ShapeJson)),
    checks: Checks
  }),
  Schema.Struct({ type: Schema.Literal("array"), items: Schema.suspend(() => ShapeJson), checks: Checks }),
  Schema.Struct({ type: Schema.Literal("tuple"), elements: Schema.Array(Schema.suspend(() => ShapeJson)) }),
  Schema.Struct({ type: Schema.Literal("template"), parts: Schema.Array(Schema.suspend(() => ShapeJson)) }),
  Schema.Struct({ type: Schema.Literals(["ref", "opaque"]), name: Schema.String })
])

const SnapshotJson = Schema.Struct({
  contracts: Schema.Record(
    Schema.String,
    Schema.Struct({
      key: Schema.String,
      version: Schema.String,
      kind: Schema.Literals(["command", "query"]),
      stability: Schema.Literals(["experimental", "beta", "stable", "deprecated"]),
      input: ShapeJson,
      output: ShapeJson,
      errors: Schema.Record(
        Schema.String,
        Schema.Struct({ status: Schema.Number, code: Schema.String, shape: ShapeJson })
      ),
      events: Schema.Record(Schema.String, ShapeJson)
    })
  )
})

/** Reads a committed snapshot, validating its shape. */
export const parse = (text: string): Snapshot => Schema.decodeUnknownSync(Schema.fromJsonString(SnapshotJson))(text)

/** A short human rendering of a shape: `string`, `"open" | "done"`, `array of string`, `object`. */
export const describe = (shape: Shape): string => {
  switch (shape.type) {
    case "enum":
      return shape.values.map((value) => JSON.stringify(value)).join(" | ")
    case "union":
      return shape.members.map(describe).join(" | ")
    case "array":
      return `array of ${describe(shape.items)}`
    case "tuple":
      return `[${shape.elements.map(describe).join(", ")}]`
    case "struct":
      return "object"
    case "template":
      return "string (pattern)"
    case "ref":
    case "opaque":
      return shape.name
    default:
      return shape.type
  }
}

export type Position = "input" | "output"

export interface Change {
  /** `sample.task.create@1 input.title` */
  readonly where: string
  readonly message: string
  readonly breaking: boolean
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

const diffShape = (where: string, before: Shape, after: Shape, position: Position, out: Array<Change>): void => {
  const add = (message: string, breaking: boolean) => out.push({ where, message, breaking })
  if (before.type === "enum" && after.type === "enum") {
    for (const value of before.values) {
      if (!after.values.some((candidate) => candidate === value))
        add(`enum member ${JSON.stringify(value)} removed`, true)
    }
    for (const value of after.values) {
      if (!before.values.some((candidate) => candidate === value))
        add(`enum member ${JSON.stringify(value)} added`, false)
    }
    return
  }
  if (before.type !== after.type) {
    add(`type changed from ${describe(before)} to ${describe(after)}`, true)
    return
  }
  if ("checks" in before || "checks" in after) {
    const was = "checks" in before ? (before.checks ?? []) : []
    const now = "checks" in after ? (after.checks ?? []) : []
    if (!sameJson(was, now)) {
      add(`constraints changed from [${was.join("; ")}] to [${now.join("; ")}]`, true)
    }
  }
  if (before.type === "struct" && after.type === "struct") {
    for (const [name, property] of Object.entries(before.properties)) {
      const next = after.properties[name]
      const at = `${where}.${name}`
      if (next === undefined) {
        out.push({ where: at, message: "field removed", breaking: true })
        continue
      }
      if (property.optional && !next.optional) out.push({ where: at, message: "optional → required", breaking: true })
      if (!property.optional && next.optional) {
        out.push({ where: at, message: "required → optional", breaking: position === "output" })
      }
      diffShape(at, property.shape, next.shape, position, out)
    }
    for (const [name, property] of Object.entries(after.properties)) {
      if (before.properties[name] !== undefined) continue
      const required = !property.optional
      out.push({
        where: `${where}.${name}`,
        message: required ? "required field added" : "optional field added",
        breaking: required && position === "input"
      })
    }
    return
  }
  if (before.type === "array" && after.type === "array") {
    diffShape(`${where}[]`, before.items, after.items, position, out)
    return
  }
  if (!sameJson(before, after)) add(`changed from ${describe(before)} to ${describe(after)}`, true)
}

/** Every change from `before` to `after`, each marked breaking or not. */
export const diff = (before: Snapshot, after: Snapshot): ReadonlyArray<Change> => {
  const changes: Array<Change> = []
  for (const [id, old] of Object.entries(before.contracts)) {
    const current = after.contracts[id]
    if (current === undefined) {
      changes.push({
        where: id,
        message:
          old.stability === "stable"
            ? "stable contract removed (deprecate it before removing it)"
            : `contract removed (was ${old.stability})`,
        breaking: old.stability === "stable"
      })
      continue
    }
    const local: Array<Change> = []
    diffShape(`${id} input`, old.input, current.input, "input", local)
    diffShape(`${id} output`, old.output, current.output, "output", local)
    for (const [tag, error] of Object.entries(old.errors)) {
      const next = current.errors[tag]
      if (next === undefined) {
        local.push({ where: `${id} errors.${tag}`, message: "error no longer declared", breaking: false })
        continue
      }
      if (next.status !== error.status) {
        local.push({
          where: `${id} errors.${tag}`,
          message: `status changed from ${error.status} to ${next.status}`,
          breaking: true
        })
      }
      if (next.code !== error.code) {
        local.push({
          where: `${id} errors.${tag}`,
          message: `code changed from ${error.code} to ${next.code}`,
          breaking: true
        })
      }
      diffShape(`${id} errors.${tag}`, error.shape, next.shape, "output", local)
    }
    for (const tag of Object.keys(current.errors)) {
      if (old.errors[tag] === undefined) {
        local.push({ where: `${id} errors.${tag}`, message: "error added", breaking: false })
      }
    }
    for (const [event, payload] of Object.entries(old.events)) {
      const next = current.events[event]
      if (next === undefined) {
        local.push({ where: `${id} emits ${event}`, message: "no longer emitted", breaking: true })
        continue
      }
      diffShape(`${id} emits ${event}`, payload, next, "output", local)
    }
    for (const event of Object.keys(current.events)) {
      if (old.events[event] === undefined) {
        local.push({ where: `${id} emits ${event}`, message: "newly emitted", breaking: false })
      }
    }
    if (old.stability !== current.stability) {
      local.push({ where: id, message: `stability ${old.stability} → ${current.stability}`, breaking: false })
    }
    const bumped = major(current.version) > major(old.version)
    if (old.version !== current.version) {
      local.push({ where: id, message: `version ${old.version} → ${current.version}`, breaking: false })
    }
    // Only stable contracts are held to compatibility, and a major bump releases them; other
    // changes are reported without failing.
    const enforced = old.stability === "stable" && !bumped
    for (const change of local) changes.push(enforced ? change : { ...change, breaking: false })
  }
  for (const id of Object.keys(after.contracts)) {
    if (before.contracts[id] === undefined) changes.push({ where: id, message: "contract added", breaking: false })
  }
  return changes
}

export const formatChanges = (changes: ReadonlyArray<Change>): string =>
  changes.map((change) => `${change.breaking ? "BREAKING" : "change  "} ${change.where}: ${change.message}`).join("\n")
