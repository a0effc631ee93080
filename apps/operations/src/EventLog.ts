/**
 * What the dispatcher stored, read for the admin contracts: an organization's events (by type,
 * producer, subject, correlation id, or after a position), each event's deliveries per consumer,
 * dead letters with their events, per-minute activity of each consumer, and the contract calls of a
 * correlation id (the kit's audit log). Lag, replay and discard go through `DispatchAdmin`.
 *
 * Rows leave Postgres in the contracts' shapes (positions as text, instants as ISO strings) and are
 * decoded by the contracts' schemas.
 */
import { ActivityBucket, DeadLetter, Delivery, Request, StoredEvent } from "@tessera/contracts/dispatch/Admin"
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

const DeliveryRow = Schema.Struct({ ...Delivery.fields, position: Schema.String })
const Subscription = Schema.Struct({ consumer: Schema.String, eventTypes: Schema.Array(Schema.String) })

const decode = <S extends Schema.Top>(schema: S) => {
  const decodeRows = Schema.decodeUnknownEffect(Schema.Array(schema))
  return (rows: ReadonlyArray<unknown>) => Effect.orDie(decodeRows(rows))
}

const decodeEvents = decode(StoredEvent)
const decodeDeliveries = decode(DeliveryRow)
const decodeDeadLetters = decode(DeadLetter)
const decodeActivity = decode(ActivityBucket)
const decodeRequests = decode(Request)
const decodeSubscriptions = decode(Subscription)

/** `{1,2,3}`: a Postgres array literal of positions (digits only, checked by the contracts). */
const positionsArray = (positions: ReadonlyArray<string>) => `{${positions.join(",")}}`

export class EventLog extends Context.Service<
  EventLog,
  {
    readonly events: (filter: EventFilter) => Effect.Effect<ReadonlyArray<StoredEvent>, SqlError.SqlError>
    readonly event: (
      organizationId: string,
      eventId: string
    ) => Effect.Effect<StoredEvent | undefined, SqlError.SqlError>
    /** Each subscribed consumer's handling of each of these events, keyed by event position. */
    readonly deliveries: (
      positions: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<Delivery>>, SqlError.SqlError>
    readonly deadLetters: (filter: DeadLetterFilter) => Effect.Effect<ReadonlyArray<DeadLetter>, SqlError.SqlError>
    readonly activity: (
      minutes: number,
      consumer?: string
    ) => Effect.Effect<ReadonlyArray<ActivityBucket>, SqlError.SqlError>
    readonly requests: (
      organizationId: string,
      correlationId: string
    ) => Effect.Effect<ReadonlyArray<Request>, SqlError.SqlError>
    /** Every consumer with the event types it subscribes to. */
    readonly subscriptions: Effect.Effect<ReadonlyArray<typeof Subscription.Type>, SqlError.SqlError>
  }
>()("@tessera/operations/EventLog") {
  static readonly layer = Layer.effect(
    EventLog,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const iso = (column: string) =>
        sql.unsafe(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`)

      const eventColumns = sql`
        e.position::text AS position, e.event_id::text AS "eventId", e.event_type AS "eventType",
        e.event_version AS "eventVersion", e.producer,
        json_build_object('type', e.subject_type, 'id', e.subject_id) AS subject,
        json_build_object('type', e.actor_type, 'id', e.actor_id) AS actor,
        e.correlation_id AS "correlationId", e.causation_id AS "causationId", e.traceparent,
        ${iso("e.occurred_at")} AS "occurredAt", ${iso("e.recorded_at")} AS "recordedAt", e.payload`

      const events = (filter: EventFilter) => {
        const subject =
          filter.subject === undefined
            ? sql`TRUE`
            : filter.subject.includes(":")
              ? sql`e.subject_type || ':' || e.subject_id = ${filter.subject}`
              : sql`e.subject_id = ${filter.subject}`
        const where = sql`
          e.organization_id = ${filter.organizationId}
          AND ${filter.type === undefined ? sql`TRUE` : sql`e.event_type = ${filter.type}`}
          AND ${filter.producer === undefined ? sql`TRUE` : sql`e.producer = ${filter.producer}`}
          AND ${filter.correlationId === undefined ? sql`TRUE` : sql`e.correlation_id = ${filter.correlationId}`}
          AND ${subject}`
        const rows =
          filter.after === undefined
            ? sql`
                SELECT * FROM (
                  SELECT ${eventColumns} FROM dispatch.events e WHERE ${where}
                  ORDER BY e.position DESC LIMIT ${filter.limit}
                ) latest ORDER BY position::bigint`
            : sql`
                SELECT ${eventColumns} FROM dispatch.events e
                WHERE ${where} AND e.position > ${filter.after}::bigint
                ORDER BY e.position LIMIT ${filter.limit}`
        return Effect.flatMap(rows, decodeEvents)
      }

      const event = (organizationId: string, eventId: string) =>
        sql`
          SELECT ${eventColumns} FROM dispatch.events e
          WHERE e.organization_id = ${organizationId} AND e.event_id::text = ${eventId}`.pipe(
          Effect.flatMap(decodeEvents),
          Effect.map((rows) => rows[0])
        )

      const deliveries = (positions: ReadonlyArray<string>) =>
        (positions.length === 0
          ? Effect.succeed([])
          : Effect.flatMap(
              sql`
                SELECT e.position::text AS position, s.consumer,
                  CASE WHEN i.processed_at IS NOT NULL THEN 'handled'
                    WHEN x.status = 'discarded' THEN 'discarded'
                    WHEN x.status = 'dead' OR d.dead THEN 'dead'
                    WHEN d.leased_until IS NOT NULL THEN 'in-flight'
                    WHEN d.failures > 0 THEN 'retrying'
                    WHEN d.position IS NOT NULL THEN 'pending'
                    ELSE 'unknown' END AS state,
                  COALESCE(d.failures, x.failures, 0)::int AS failures,
                  ${iso("i.processed_at")} AS "handledAt",
                  (EXTRACT(EPOCH FROM i.processed_at - e.recorded_at) * 1000)::float8 AS "latencyMillis",
                  COALESCE(x.error, d.last_error) AS "lastError"
                FROM dispatch.events e
                JOIN dispatch.subscriptions s ON s.event_type = e.event_type
                LEFT JOIN dispatch.inbox i ON i.consumer = s.consumer AND i.event_id = e.event_id
                LEFT JOIN dispatch.deliveries d ON d.consumer = s.consumer AND d.position = e.position
                LEFT JOIN dispatch.dead_letters x ON x.consumer = s.consumer AND x.position = e.position
                WHERE e.position = ANY(${positionsArray(positions)}::bigint[])
                ORDER BY e.position, s.consumer`,
              decodeDeliveries
            )
        ).pipe(
          Effect.map((rows) => {
            const byPosition = new Map<string, Array<Delivery>>()
            for (const { position, ...delivery } of rows) {
              const list = byPosition.get(position) ?? []
              list.push(delivery)
              byPosition.set(position, list)
            }
            return byPosition
          })
        )

      const deadLetters = (filter: DeadLetterFilter) =>
        sql`
          SELECT x.consumer, x.position::text AS position, e.event_id::text AS "eventId", e.event_type AS "eventType",
            e.event_version AS "eventVersion", x.subject_key AS "subjectKey", x.reason, x.error, x.attempts,
            x.failures, x.abandoned, x.status, x.discard_reason AS "discardReason", ${iso("x.dead_at")} AS "deadAt"
          FROM dispatch.dead_letters x JOIN dispatch.events e ON e.position = x.position
          WHERE e.organization_id = ${filter.organizationId}
            AND ${filter.consumer === undefined ? sql`TRUE` : sql`x.consumer = ${filter.consumer}`}
            AND ${filter.eventType === undefined ? sql`TRUE` : sql`e.event_type = ${filter.eventType}`}
            AND ${filter.positions === undefined ? sql`TRUE` : sql`x.position = ANY(${positionsArray(filter.positions)}::bigint[])`}
            AND ${filter.includeDiscarded ? sql`TRUE` : sql`x.status = 'dead'`}
          ORDER BY x.dead_at, x.position
          LIMIT ${filter.limit}`.pipe(Effect.flatMap(decodeDeadLetters))

      const activity = (minutes: number, consumer?: string) =>
        sql`
          WITH handled AS (
            SELECT consumer, date_trunc('minute', processed_at) AS minute, count(*)::int AS n
            FROM dispatch.inbox
            WHERE processed_at > now() - make_interval(mins => ${minutes})
              AND ${consumer === undefined ? sql`TRUE` : sql`consumer = ${consumer}`}
            GROUP BY 1, 2
          ), dead AS (
            SELECT consumer, date_trunc('minute', dead_at) AS minute, count(*)::int AS n
            FROM dispatch.dead_letters
            WHERE dead_at > now() - make_interval(mins => ${minutes})
              AND ${consumer === undefined ? sql`TRUE` : sql`consumer = ${consumer}`}
            GROUP BY 1, 2
          )
          SELECT COALESCE(h.consumer, d.consumer) AS consumer, ${iso("COALESCE(h.minute, d.minute)")} AS minute,
            COALESCE(h.n, 0) AS handled, COALESCE(d.n, 0) AS "deadLettered"
          FROM handled h FULL JOIN dead d ON d.consumer = h.consumer AND d.minute = h.minute
          ORDER BY 2, 1`.pipe(Effect.flatMap(decodeActivity))

      const requests = (organizationId: string, correlationId: string) =>
        sql`
          SELECT contract_key AS "contractKey", contract_version AS "contractVersion",
            json_build_object('type', actor_type, 'id', actor_id) AS actor, request_id AS "requestId",
            ${iso("occurred_at")} AS "occurredAt", event_ids AS "eventIds"
          FROM contract_kit.audit_log
          WHERE organization_id = ${organizationId} AND correlation_id = ${correlationId}
          ORDER BY occurred_at
          LIMIT 100`.pipe(Effect.flatMap(decodeRequests))

      const subscriptions = sql`
        SELECT consumer, array_agg(event_type ORDER BY event_type) AS "eventTypes"
        FROM dispatch.subscriptions GROUP BY consumer ORDER BY consumer`.pipe(Effect.flatMap(decodeSubscriptions))

      return EventLog.of({ events, event, deliveries, deadLetters, activity, requests, subscriptions })
    })
  )
}
