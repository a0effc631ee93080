/**
 * A stand-in `EventSink` until `@tessera/dispatcher` lands: it validates each event (producer,
 * payload) and inserts it into `contract_kit.emitted_events` through the same `SqlClient`, so
 * inside the call's transaction the events commit or roll back with the state. Nothing delivers
 * them; swap this layer for the dispatcher's outbox when it exists.
 */
import { EventPublishError, EventSink } from "@tessera/envelope/EventSink"
import { Clock, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { jsonCodec } from "./internal/Codec.ts"

const InsertedIds = Schema.Array(Schema.Struct({ event_id: Schema.String }))

export const layer = Layer.effect(
  EventSink,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return EventSink.of({
      publish: (events, context) =>
        Effect.gen(function* () {
          if (events.length === 0) return []
          const now = new Date(yield* Clock.currentTimeMillis)
          const rows = yield* Effect.forEach(events, (event) =>
            Effect.gen(function* () {
              const { definition } = event
              const failure = (reason: EventPublishError["reason"], message: string, cause?: unknown) =>
                new EventPublishError({
                  reason,
                  eventType: definition.type,
                  eventVersion: definition.version,
                  message,
                  cause
                })
              if (definition.producer !== context.producer) {
                return yield* failure(
                  "NotProducer",
                  `${definition.type}@${definition.version} is produced by ${definition.producer}, not ${context.producer}`
                )
              }
              const payload = yield* Schema.encodeUnknownEffect(jsonCodec(definition.payload))(event.payload).pipe(
                Effect.mapError((cause) => failure("InvalidPayload", cause.message, cause))
              )
              const subject = event.subject ?? definition.subject(event.payload)
              return {
                event_type: definition.type,
                event_version: definition.version,
                producer: context.producer,
                organization_id: context.organizationId,
                subject_type: subject.type,
                subject_id: subject.id,
                actor_type: context.actor.type,
                actor_id: context.actor.id,
                correlation_id: context.correlationId,
                causation_id: context.causationId ?? null,
                traceparent: context.traceparent ?? null,
                occurred_at: event.occurredAt ?? now,
                payload: JSON.stringify(payload)
              }
            })
          )
          const [first, ...rest] = rows
          if (first === undefined) return []
          const inserted = yield* sql`
            INSERT INTO contract_kit.emitted_events ${sql.insert([first, ...rest])} RETURNING event_id`.pipe(
            Effect.flatMap(Schema.decodeUnknownEffect(InsertedIds)),
            Effect.mapError(
              (cause) =>
                new EventPublishError({
                  reason: "Storage",
                  eventType: events[0]?.definition.type ?? "",
                  eventVersion: events[0]?.definition.version ?? 0,
                  message: "Writing the events failed",
                  cause
                })
            )
          )
          return inserted.map((row) => row.event_id)
        })
    })
  })
)
