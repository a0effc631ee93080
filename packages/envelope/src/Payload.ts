/**
 * Encoding and decoding event payloads through their definition's schema, in its canonical JSON
 * form (what the outbox stores and other languages read). Payload schemas must not need services
 * to decode or encode: an event payload is plain data.
 */
import { type Effect, Schema } from "effect"
import type { AnyEventDefinition, PayloadOf } from "./EventDefinition.ts"

/** The definition's payload schema as a JSON codec without service requirements. */
export const jsonCodec = <D extends AnyEventDefinition>(definition: D) =>
  Schema.toCodecJson(Schema.make<Schema.Codec<PayloadOf<D>, unknown>>(definition.payload.ast))

const cache = new WeakMap<AnyEventDefinition, Schema.Codec<unknown, Schema.Json>>()

const codecOf = (definition: AnyEventDefinition): Schema.Codec<unknown, Schema.Json> => {
  const cached = cache.get(definition)
  if (cached !== undefined) return cached
  const codec = jsonCodec(definition)
  cache.set(definition, codec)
  return codec
}

/**
 * Validates a decoded payload against the definition and encodes it to JSON. Excess properties
 * are an error: an event carries exactly what its schema says.
 */
export const encode = (
  definition: AnyEventDefinition,
  payload: unknown
): Effect.Effect<Schema.Json, Schema.SchemaError> =>
  Schema.encodeUnknownEffect(codecOf(definition))(payload, { onExcessProperty: "error" })

/** Decodes a stored JSON payload into the definition's payload type. */
export const decode = <D extends AnyEventDefinition>(
  definition: D,
  json: unknown
): Effect.Effect<PayloadOf<D>, Schema.SchemaError> => Schema.decodeUnknownEffect(jsonCodec(definition))(json)

/** The JSON Schema (draft 2020-12) of a payload as `encode` accepts it (no excess properties). */
export const jsonSchema = (definition: AnyEventDefinition) => {
  const document = Schema.toJsonSchemaDocument(definition.payload, { onExcessProperty: "error" })
  return Object.keys(document.definitions).length > 0
    ? { ...document.schema, $defs: document.definitions }
    : document.schema
}
