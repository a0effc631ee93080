/** A JSON Schema as a readable tree: each property with its type, constraints and description. */

import { json } from "../format.ts"
import type { Json, JsonSchemaDocument } from "../types.ts"

type Obj = { readonly [key: string]: Json }

const isObj = (value: Json | undefined): value is Obj =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const field = (schema: Obj, name: string): Json | undefined => schema[name]

const resolve = (schema: Json | undefined, definitions: Readonly<Record<string, Json>>): Json | undefined => {
  if (!isObj(schema)) return schema
  const ref = field(schema, "$ref")
  if (typeof ref === "string") {
    const name = ref.split("/").at(-1) ?? ""
    return resolve(definitions[name], definitions)
  }
  return schema
}

const constraints = (schema: Obj) => {
  const parts: Array<string> = []
  for (const [key, label] of [
    ["minLength", "min length"],
    ["maxLength", "max length"],
    ["minimum", "≥"],
    ["maximum", "≤"],
    ["minItems", "min items"],
    ["maxItems", "max items"],
    ["pattern", "pattern"],
    ["format", "format"]
  ] as const) {
    const value = field(schema, key)
    if (value !== undefined) parts.push(`${label} ${String(value)}`)
  }
  return parts.join(", ")
}

export const typeOf = (raw: Json | undefined, definitions: Readonly<Record<string, Json>>): string => {
  const schema = resolve(raw, definitions)
  if (!isObj(schema)) return schema === true || schema === undefined ? "any" : "never"
  const enumeration = field(schema, "enum")
  if (Array.isArray(enumeration)) return enumeration.map((v) => JSON.stringify(v)).join(" | ")
  const constant = field(schema, "const")
  if (constant !== undefined) return JSON.stringify(constant)
  const anyOf = field(schema, "anyOf") ?? field(schema, "oneOf")
  if (Array.isArray(anyOf)) return anyOf.map((member) => typeOf(member, definitions)).join(" | ")
  const type = field(schema, "type")
  if (type === "array") return `${typeOf(field(schema, "items"), definitions)}[]`
  if (type === "integer") return "integer"
  if (type === "object") return field(schema, "properties") === undefined ? "object" : "{…}"
  return typeof type === "string" ? type : Array.isArray(type) ? type.join(" | ") : "any"
}

const Properties = (props: { schema: Obj; definitions: Readonly<Record<string, Json>>; depth: number }) => {
  const properties = field(props.schema, "properties")
  const required = field(props.schema, "required")
  if (!isObj(properties)) return null
  const requiredSet = new Set(Array.isArray(required) ? required.map(String) : [])
  return (
    <ul class="schema-props">
      {Object.entries(properties).map(([name, raw]) => {
        const resolved = resolve(raw, props.definitions)
        const nested = isObj(resolved) ? nestedObject(resolved, props.definitions) : undefined
        const description = isObj(resolved) ? field(resolved, "description") : undefined
        return (
          <li key={name}>
            <code class="prop">{name}</code>
            {requiredSet.has(name) ? null : <span class="opt">optional</span>}
            <span class="type">{typeOf(raw, props.definitions)}</span>
            {isObj(resolved) && constraints(resolved) !== "" ? (
              <span class="muted small"> {constraints(resolved)}</span>
            ) : null}
            {typeof description === "string" ? <div class="muted small">{description}</div> : null}
            {nested !== undefined && props.depth < 4 ? (
              <Properties schema={nested} definitions={props.definitions} depth={props.depth + 1} />
            ) : null}
          </li>
        )
      })}
    </ul>
  )
}

/** The object a property holds (itself, its array items, or the object member of a nullable union). */
const nestedObject = (schema: Obj, definitions: Readonly<Record<string, Json>>): Obj | undefined => {
  if (isObj(field(schema, "properties"))) return schema
  const items = resolve(field(schema, "items"), definitions)
  if (isObj(items) && isObj(field(items, "properties"))) return items
  const anyOf = field(schema, "anyOf")
  if (Array.isArray(anyOf)) {
    for (const member of anyOf) {
      const resolved = resolve(member, definitions)
      if (isObj(resolved) && isObj(field(resolved, "properties"))) return resolved
    }
  }
  return undefined
}

export const SchemaView = (props: { document: JsonSchemaDocument; title: string }) => {
  const document = props.document
  const found = isObj(document) ? field(document, "definitions") : undefined
  const definitions: Readonly<Record<string, Json>> = isObj(found) ? found : {}
  const root = isObj(document) && field(document, "schema") !== undefined ? field(document, "schema") : document
  const schema = resolve(root, definitions)
  return (
    <div class="schema">
      <h4>{props.title}</h4>
      {isObj(schema) && isObj(field(schema, "properties")) ? (
        <Properties schema={schema} definitions={definitions} depth={0} />
      ) : (
        <p class="muted">{typeOf(root, definitions)}</p>
      )}
      <details>
        <summary class="muted small">JSON Schema</summary>
        <pre>{json(document)}</pre>
      </details>
    </div>
  )
}
