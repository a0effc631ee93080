/**
 * Envelope v1: what every event looks like on the wire and in the outbox. Opaque ids only in
 * envelope fields; the payload is the event definition's encoded payload. Its JSON Schema is
 * generated (`pnpm --filter @tessera/envelope generate`) into `schema/envelope-v1.generated.json`
 * for producers and consumers in other languages; a test keeps the file current.
 */
import { type JsonSchema, Schema } from "effect"

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/u
const EVENT_TYPE = /^[a-z][a-zA-Z0-9_-]*(\.[a-z][a-zA-Z0-9_-]*)+$/u
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/u

const OpaqueId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

export const Timestamp = Schema.String.check(Schema.isPattern(ISO_8601)).annotate({
  description: "An ISO 8601 timestamp with a time zone, e.g. 2026-11-21T05:30:00.000Z"
})

export const EventId = Schema.String.check(Schema.isUUID(7)).annotate({
  description: "UUIDv7: time-ordered, unique per event; consumers deduplicate by it"
})

export const EventType = Schema.String.check(Schema.isPattern(EVENT_TYPE)).annotate({
  description: "Dotted event type, e.g. deal.lost"
})

export const SubjectSchema = Schema.Struct({
  type: OpaqueId.annotate({ description: "Kind of entity, e.g. deal" }),
  id: OpaqueId.annotate({ description: "Opaque id of the entity" })
}).annotate({ description: "The entity the event is about: events of one subject are delivered in order" })

export const ActorSchema = Schema.Struct({
  type: Schema.Literals(["user", "service", "system"]),
  id: OpaqueId
}).annotate({ description: "Who caused the event" })

export const EnvelopeV1 = Schema.Struct({
  event_id: EventId,
  event_type: EventType,
  event_version: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)).annotate({
    description: "The payload schema version of this event type"
  }),
  occurred_at: Timestamp.annotate({ description: "When it happened in the producer's domain" }),
  recorded_at: Timestamp.annotate({ description: "When the producer's transaction recorded it in the outbox" }),
  producer: OpaqueId.annotate({ description: "The domain that emitted it (the registered producer)" }),
  organization_id: OpaqueId.annotate({ description: "The tenant the event belongs to; consumers scope by it" }),
  subject: SubjectSchema,
  actor: ActorSchema,
  correlation_id: OpaqueId.annotate({ description: "Shared by every event caused by one original request" }),
  causation_id: Schema.NullOr(OpaqueId).annotate({
    description: "The event id that caused this one, or null for an original request"
  }),
  traceparent: Schema.optionalKey(Schema.String.check(Schema.isPattern(TRACEPARENT))).annotate({
    description: "W3C trace context of the emitting call"
  }),
  payload: Schema.Unknown.annotate({ description: "The payload, valid against the event type's version schema" })
}).annotate({
  title: "Tessera event envelope v1",
  description: "The envelope of every event Tessera's dispatcher records and delivers."
})

/** An envelope as stored and sent: JSON-compatible, payload encoded. */
export type Envelope = typeof EnvelopeV1.Type

/** An envelope whose payload is decoded (what a consumer's handler receives). */
export type DecodedEnvelope<P> = Omit<Envelope, "payload"> & { readonly payload: P }

/** The JSON Schema (draft 2020-12) document of envelope v1. */
export const jsonSchema = (): JsonSchema.JsonSchema => {
  const document = Schema.toJsonSchemaDocument(EnvelopeV1)
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://tessera.dev/schemas/envelope-v1.json",
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/** The committed file's content: stable key order, two-space indent, trailing newline. */
export const jsonSchemaFile = () => `${JSON.stringify(jsonSchema(), null, 2)}\n`
