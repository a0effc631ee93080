/**
 * What Studio's admin contracts read, in the contracts' shapes: an organization's events (by type,
 * producer, subject, correlation id, or after a position), each event's deliveries per consumer,
 * dead letters with their events, per-minute activity of each consumer — all from
 * `DispatchAdmin`, the dispatcher's own admin API — and the contract calls of a correlation id
 * (the kit's audit log). Positions become decimal strings and instants ISO strings here.
 */
import type { ActivityBucket, DeadLetter, Delivery, StoredEvent } from "@tessera/contracts/dispatch/Admin"
import { Request } from "@tessera/contracts/dispatch/Admin"
import * as DispatchAdmin from "@tessera/dispatcher/DispatchAdmin"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"

export interface EventFilter {
  readonly organizationId: string
  readonly type?: string | undefined
  readonly producer?: string | undefined
  readonly subject?: string | undefined
  readonly correlationId?: string | undefined
  readonly after?: string | undefined
  readonly limit: number
}

export interface DeadLetterFilter {
  readonly organizationId: string
  readonly consumer?: string | undefined
  readonly eventType?: string | undefined
  readonly positions?: ReadonlyArray<string> | undefined
  readonly includeDiscarded: boolean
  readonly limit: number
}

const decodeRequests = Schema.decodeUnknownEffect(Schema.Array(Request))

const toEvent = (e: DispatchAdmin.EventRecord): StoredEvent => ({
  position: e.position.toString(),
  eventId: e.eventId,
  eventType: e.eventType,
  eventVersion: e.eventVersion,
  producer: e.producer,
  subject: e.subject,
  actor: e.actor,
  correlationId: e.correlationId,
  causationId: e.causationId,
  traceparent: e.traceparent,
  occurredAt: e.occurredAt.toISOString(),
  recordedAt: e.recordedAt.toISOString(),
  payload: e.payload
})

const toDelivery = (d: DispatchAdmin.DeliveryRecord): Delivery => ({
  consumer: d.consumer,
  state: d.state,
  failures: d.failures,
  handledAt: d.handledAt === null ? null : d.handledAt.toISOString(),
  latencyMillis: d.latencyMillis,
  lastError: d.lastError
})

const toDeadLetter = (l: DispatchAdmin.DeadLetter): DeadLetter => ({
  consumer: l.consumer,
  position: l.position.toString(),
  eventId: l.eventId,
  eventType: l.eventType,
  eventVersion: l.eventVersion,
  subjectKey: l.subjectKey,
  reason: l.reason,
  error: l.error,
  attempts: l.attempts,
  failures: l.failures,
  abandoned: l.abandoned,
  status: l.status,
  discardReason: l.discardReason,
  deadAt: l.deadAt.toISOString()
})

export class EventLog extends Context.Service<
  EventLog,
  {
    readonly events: (filter: EventFilter) => Effect.Effect<ReadonlyArray<StoredEvent>>
    readonly event: (organizationId: string, eventId: string) => Effect.Effect<StoredEvent | undefined>
    /** Each subscribed consumer's handling of each of these events, keyed by event position. */
    readonly deliveries: (
      positions: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<Delivery>>>
    readonly deadLetters: (filter: DeadLetterFilter) => Effect.Effect<ReadonlyArray<DeadLetter>>
    readonly activity: (minutes: number, consumer?: string) => Effect.Effect<ReadonlyArray<ActivityBucket>>
    readonly requests: (
      organizationId: string,
      correlationId: string
    ) => Effect.Effect<ReadonlyArray<Request>, SqlError.SqlError>
    /** Every consumer with the event types it subscribes to. */
    readonly subscriptions: Effect.Effect<ReadonlyArray<DispatchAdmin.Subscriptions>>
  }
>()("@tessera/operations/EventLog") {
  /** Needs `DispatchAdmin` and a `SqlClient` (for the audit log). */
  static readonly layer = Layer.effect(
    EventLog,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const admin = yield* DispatchAdmin.DispatchAdmin

      const events = (filter: EventFilter) =>
        Effect.map(
          admin
            .events({ ...filter, after: filter.after === undefined ? undefined : BigInt(filter.after) })
            .pipe(Effect.orDie),
          (rows) => rows.map(toEvent)
        )

      const event = (organizationId: string, eventId: string) =>
        Effect.map(admin.events({ organizationId, eventId, limit: 1 }).pipe(Effect.orDie), (rows) => {
          const [first] = rows
          return first === undefined ? undefined : toEvent(first)
        })

      const deliveries = (positions: ReadonlyArray<string>) =>
        Effect.map(admin.deliveries(positions.map((p) => BigInt(p))).pipe(Effect.orDie), (rows) => {
          const byPosition = new Map<string, Array<Delivery>>()
          for (const row of rows) {
            const key = row.position.toString()
            const list = byPosition.get(key) ?? []
            list.push(toDelivery(row))
            byPosition.set(key, list)
          }
          return byPosition
        })

      const deadLetters = (filter: DeadLetterFilter) =>
        Effect.map(
          admin
            .deadLetters({
              organizationId: filter.organizationId,
              consumer: filter.consumer,
              eventType: filter.eventType,
              positions: filter.positions?.map((p) => BigInt(p)),
              includeDiscarded: filter.includeDiscarded,
              limit: filter.limit
            })
            .pipe(Effect.orDie),
          (rows) => rows.map(toDeadLetter)
        )

      const activity = (minutes: number, consumer?: string) =>
        Effect.map(admin.activity({ minutes, consumer }).pipe(Effect.orDie), (rows) =>
          rows.map((row) => ({ ...row, minute: row.minute.toISOString() }))
        )

      const requests = (organizationId: string, correlationId: string) =>
        sql`
          SELECT contract_key AS "contractKey", contract_version AS "contractVersion",
            json_build_object('type', actor_type, 'id', actor_id) AS actor, request_id AS "requestId",
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurredAt",
            event_ids AS "eventIds"
          FROM contract_kit.audit_log
          WHERE organization_id = ${organizationId} AND correlation_id = ${correlationId}
          ORDER BY occurred_at
          LIMIT 100`.pipe(Effect.flatMap((rows) => Effect.orDie(decodeRequests(rows))))

      const subscriptions = admin.subscriptions().pipe(Effect.orDie)

      return EventLog.of({ events, event, deliveries, deadLetters, activity, requests, subscriptions })
    })
  )
}
