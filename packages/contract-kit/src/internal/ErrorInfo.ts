/**
 * What the kit needs to know about a declared error class, read from its schema: the `_tag`, the
 * HTTP status (`httpApiStatus`), and the problem fields `code` / `title` when the class was made
 * with `ContractError` (derived from the tag otherwise).
 */

import type { Schema } from "effect"
import { SchemaAST } from "effect"

export interface ErrorInfo {
  readonly tag: string
  readonly status: number | undefined
  readonly code: string
  readonly title: string
  readonly description: string | undefined
}

const literalProperty = (ast: SchemaAST.AST, name: string): SchemaAST.LiteralValue | undefined => {
  const encoded = SchemaAST.toEncoded(ast)
  if (encoded._tag !== "Objects") return undefined
  const property = encoded.propertySignatures.find((signature) => signature.name === name)
  return property?.type._tag === "Literal" ? property.type.literal : undefined
}

/** `TrackNotFound` → `TRACK_NOT_FOUND`. */
export const codeOfTag = (tag: string): string =>
  tag
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase()

export const errorInfo = (schema: Schema.Top): ErrorInfo => {
  const annotations = SchemaAST.resolve(schema.ast)
  const tag = literalProperty(schema.ast, "_tag")
  const code = literalProperty(schema.ast, "code")
  const title = literalProperty(schema.ast, "title")
  const status = annotations?.httpApiStatus
  const tagName = typeof tag === "string" ? tag : (SchemaAST.resolveIdentifier(schema.ast) ?? "UnknownError")
  return {
    tag: tagName,
    status: typeof status === "number" ? status : undefined,
    code: typeof code === "string" ? code : codeOfTag(tagName),
    title: typeof title === "string" ? title : tagName,
    description: typeof annotations?.description === "string" ? annotations.description : undefined
  }
}
