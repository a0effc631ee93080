/**
 * The transactional outbox: `@tessera/envelope`'s `EventSink`, writing events into the caller's
 * current transaction. effect/sql's `withTransaction` keeps the open transaction in the fiber's
 * context, so a publish through the same `SqlClient` joins it: the events commit or roll back
 * with the caller's state change.
 *
 * One statement per publish call, whatever the number of events: it inserts the events and one
 * delivery row per subscribed consumer. Before it, every event is checked against the registry
 * (producer, lifecycle) and its payload validated and encoded with the registered version's schema.
 *
 * Wake-up (`TESSERA_DISPATCH_WAKEUP`):
 * - `in-transaction` (the default): `pg_notify` in the publishing statement itself, delivered at
 *   commit. PostgreSQL serialises committing transactions that notified (a global lock at
 *   commit), which could serialise producers at high commit rates.
 * - `coalesced`: after the caller's transaction commits, the consumers to wake are handed to one
 *   background fiber per process that sends them in a single `pg_notify` statement; whatever
 *   arrives while one is in flight goes in the next. Producer transactions never take the notify
 *   lock. It is lost only if the process dies between the commit and the send (polling covers
 *   that).
 * Measured with the benchmark on 2 cores shared with other work, the two modes one after the
 * other in the same run: the comparison is not conclusive. Under heavy load the in-transaction
 * notify had the lower p99 at 800 commits/s (263 vs 817 ms, 429 vs 646 ms); on a quieter machine
 * the coalesced one had both the higher throughput and the lower p99 (3,774 vs 2,046 events/s and
 * 132 vs 320 ms; 4,187 vs 1,952 and 47 vs 540 ms), but it always ran second, after the first
 * system had warmed the process. The default stays the simpler in-transaction notify; measure
 * both modes in your deployment before switching.
 */

import * as Envelope from "@tessera/envelope/Envelope"
import { EventIds } from "@tessera/envelope/EventIds"
import * as EmitSink from "@tessera/envelope/EventSink"
import * as Payload from "@tessera/envelope/Payload"
import * as Registry from "@tessera/envelope/Registry"
import { Clock, Config, Effect, Exit, Layer, Queue, Result, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { CHANNEL } from "./DispatchMigrations.ts"

const { EventPublishError, EventSink } = EmitSink

const validateEnvelope = Schema.decodeUnknownExit(Envelope.EnvelopeV1)

interface Row {
  readonly event_id: string
  readonly event_type: string
  readonly event_version: number
  readonly producer: string
  readonly organization_id: string
  readonly subject_type: string
  readonly subject_id: string
  readonly actor_type: string
  readonly actor_id: string
  readonly correlation_id: string
  readonly causation_id: string | null
  readonly traceparent: string | null
  readonly occurred_at: string
  readonly recorded_at: string
  readonly payload: Schema.Json
}

export type WakeUp = "coalesced" | "in-transaction"

export interface Options {
  /** How workers are woken (default `TESSERA_DISPATCH_WAKEUP` or `in-transaction`). */
  readonly wakeUp?: WakeUp | undefined
}

/**
 * Sends the wake-ups handed to it, coalesced: one `pg_notify` statement for everything that
 * arrived since the last one was sent. Runs for the scope's lifetime.
 */
const coalescingNotifier = (sql: SqlClient.SqlClient) =>
  Effect.gen(function* () {
    const pending = yield* Queue.unbounded<string>()
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          const consumers = [...new Set(yield* Queue.takeAll(pending))]
          yield* sql`SELECT pg_notify(${CHANNEL}, c) FROM unnest(${`{${consumers.map((c) => JSON.stringify(c)).join(",")}}`}::text[]) AS c`.pipe(
            // A lost wake-up only delays delivery until the workers' next poll.
            Effect.catch((error) => Effect.logWarning("dispatch wake-up failed; workers will poll", error))
          )
        })
      )
    )
    return (consumers: ReadonlyArray<string>) => Effect.asVoid(Queue.offerAll(pending, consumers))
  })

/** Builds the sink. Needs the SQL client (the caller's transaction joins through it) and ids. */
export const make = (registry: Registry.Registry, options: Options = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const ids = yield* EventIds
    const wakeUp =
      options.wakeUp ??
      (yield* Config.Literals(["coalesced", "in-transaction"], "TESSERA_DISPATCH_WAKEUP").pipe(
        Config.withDefault("in-transaction" as const),
        Effect.orDie
      ))
    const wake = wakeUp === "coalesced" ? yield* coalescingNotifier(sql) : undefined

    const prepare = (event: EmitSink.OutgoingEvent, context: EmitSink.EmitContext, now: Date) =>
      Effect.gen(function* () {
        const permitted = Registry.checkPublish(registry, event.definition, context.producer, now)
        if (Result.isFailure(permitted)) return yield* permitted.failure
        const definition = permitted.success.definition
        const payload = yield* Payload.encode(definition, event.payload).pipe(
          Effect.mapError(
            (error) =>
              new EventPublishError({
                reason: "InvalidPayload",
                eventType: definition.type,
                eventVersion: definition.version,
                message: `${definition.type}@${definition.version}: ${error.message}`,
                cause: error
              })
          )
        )
        const subject = event.subject ?? definition.subject(event.payload)
        const envelope: Envelope.Envelope = {
          event_id: yield* ids.next,
          event_type: definition.type,
          event_version: definition.version,
          occurred_at: (event.occurredAt ?? now).toISOString(),
          recorded_at: now.toISOString(),
          producer: context.producer,
          organization_id: context.organizationId,
          subject: { type: subject.type, id: subject.id },
          actor: { type: context.actor.type, id: context.actor.id },
          correlation_id: context.correlationId,
          causation_id: context.causationId ?? null,
          ...(context.traceparent === undefined ? {} : { traceparent: context.traceparent }),
          payload
        }
        const checked = validateEnvelope(envelope)
        if (Exit.isFailure(checked)) {
          return yield* new EventPublishError({
            reason: "InvalidPayload",
            eventType: definition.type,
            eventVersion: definition.version,
            message: `${definition.type}@${definition.version}: the envelope is not valid (subject, actor, ids): ${String(checked.cause)}`
          })
        }
        const row: Row = {
          event_id: envelope.event_id,
          event_type: envelope.event_type,
          event_version: envelope.event_version,
          producer: envelope.producer,
          organization_id: envelope.organization_id,
          subject_type: envelope.subject.type,
          subject_id: envelope.subject.id,
          actor_type: envelope.actor.type,
          actor_id: envelope.actor.id,
          correlation_id: envelope.correlation_id,
          causation_id: envelope.causation_id,
          traceparent: envelope.traceparent ?? null,
          occurred_at: envelope.occurred_at,
          recorded_at: envelope.recorded_at,
          payload
        }
        return row
      })

    const publish = (events: ReadonlyArray<EmitSink.OutgoingEvent>, context: EmitSink.EmitContext) =>
      Effect.gen(function* () {
        if (events.length === 0) return []
        const now = new Date(yield* Clock.currentTimeMillis)
        const rows = yield* Effect.forEach(events, (event) => prepare(event, context, now))
        const woken = yield* sql`
          WITH input AS (
            SELECT x.*, j.ordinality
            FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS j(value, ordinality),
            LATERAL jsonb_to_record(j.value) AS x(
              event_id uuid, event_type text, event_version integer, producer text, organization_id text,
              subject_type text, subject_id text, actor_type text, actor_id text, correlation_id text,
              causation_id text, traceparent text, occurred_at timestamptz, recorded_at timestamptz, payload jsonb
            )
          ),
          inserted AS (
            INSERT INTO dispatch.events (
              event_id, event_type, event_version, producer, organization_id, subject_type, subject_id,
              actor_type, actor_id, correlation_id, causation_id, traceparent, occurred_at, recorded_at, payload
            )
            SELECT event_id, event_type, event_version, producer, organization_id, subject_type, subject_id,
              actor_type, actor_id, correlation_id, causation_id, traceparent, occurred_at, recorded_at, payload
            FROM input ORDER BY ordinality
            RETURNING position, event_type, subject_type, subject_id, actor_type, actor_id
          ),
          delivered AS (
            INSERT INTO dispatch.deliveries (consumer, position, subject_key)
            SELECT s.consumer, i.position,
              CASE WHEN s.sequence = 'actor' THEN i.actor_type || ':' || i.actor_id ELSE i.subject_type || ':' || i.subject_id END
            FROM inserted i JOIN dispatch.subscriptions s ON s.event_type = i.event_type
            RETURNING consumer
          )
          SELECT ${wake === undefined ? sql`pg_notify(${CHANNEL}, c.consumer) IS NULL AS notified, ` : sql``}c.consumer
          FROM (SELECT DISTINCT consumer FROM delivered) c
        `.pipe(
          Effect.mapError(
            (error) =>
              new EventPublishError({
                reason: "Storage",
                eventType: rows[0]?.event_type ?? "",
                eventVersion: rows[0]?.event_version ?? 0,
                message: `writing ${rows.length} event(s) to the outbox failed`,
                cause: error
              })
          )
        )
        if (wake !== undefined && woken.length > 0) {
          const consumers = woken.map((row) => String(row.consumer))
          yield* sql.afterCommit(wake(consumers))
        }
        return rows.map((row) => row.event_id)
      })

    return EventSink.of({ publish })
  })

/** The outbox as the process's `EventSink`, with UUIDv7 ids from the platform's randomness. */
export const layer = (
  registry: Registry.Registry,
  options: Options = {}
): Layer.Layer<EmitSink.EventSink, never, SqlClient.SqlClient> =>
  Layer.effect(EventSink, make(registry, options)).pipe(Layer.provide(EventIds.layer))
