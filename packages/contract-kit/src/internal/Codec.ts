/**
 * Contract, error and event schemas are plain data schemas: they decode and encode without
 * services. The generic catalog code only sees `Schema.Top` (whose services are `unknown`), so it
 * re-wraps the AST with that guarantee stated once, here.
 */
import { Schema } from "effect"

export type DataCodec = Schema.Codec<unknown, unknown>

/** `schema` as a service-free codec (same AST, same behaviour). */
export const dataCodec = (schema: Schema.Top): DataCodec => Schema.make<DataCodec>(schema.ast)

/** `schema`'s JSON codec (dates as strings, …) as a service-free codec. */
export const jsonCodec = (schema: Schema.Top): DataCodec => dataCodec(Schema.toCodecJson(dataCodec(schema)))
