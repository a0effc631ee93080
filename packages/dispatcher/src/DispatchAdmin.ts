/**
 * Operating the dispatcher: consumer lag, blocked subjects, dead letters, replay and discard, the
 * health summary `/health` includes, and reads of the stored events with each consumer's handling
 * of them and per-minute activity (what Studio shows, through the stack's `dispatch.*` admin
 * contracts). The CLI (`Cli.ts`) is a thin shell over this service.
 */
import { Config, Context, Duration, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { CHANNEL } from "./DispatchMigrations.ts"

export const Lag = Schema.Struct({
  consumer: Schema.String,
  /** Deliveries not yet handled (being handled, waiting, backing off), dead ones excluded. */
  pending: Schema.Number,
  /** Age of the oldest undelivered event in milliseconds, 0 when nothing is pending. */
  oldestAgeMillis: Schema.Number,
  /** Of the pending ones, how many are waiting for a retry after a failure. */
  retrying: Schema.Number,
  /** Of the pending ones, how many are leased to a worker right now. */
  inFlight: Schema.Number,
  /** Dead letters not yet replayed or discarded. */
  deadLetters: Schema.Number,
  /** Subjects a dead letter blocks (`strict` consumers only). */
  blockedSubjects: Schema.Number
})
export type Lag = typeof Lag.Type

export const DeadLetter = Schema.Struct({
  consumer: Schema.String,
  position: Schema.BigInt,
  eventId: Schema.String,
  eventType: Schema.String,
  eventVersion: Schema.Number,
  subjectKey: Schema.String,
  /** InvalidPayload | UnknownVersion | Rejected | Exhausted | TimedOut | Abandoned (| abandoned, before v2) */
  reason: Schema.String,
  /** What happened, in words: how many failures or expired leases, and the last error. */
  error: Schema.String,
  /** Handler runs that ended without success: failures + abandoned. */
  attempts: Schema.Number,
  /** Runs that failed (an error, a defect, or the handler timeout). */
  failures: Schema.Number,
  /** Leases that expired while the event was being handled (the process crashed or hung). */
  abandoned: Schema.Number,
  /** `dead` (replayable) or `discarded` (kept for audit). */
  status: Schema.Literals(["dead", "discarded"]),
  discardReason: Schema.NullOr(Schema.String),
  deadAt: Schema.Date
})
export type DeadLetter = typeof DeadLetter.Type

export const BlockedSubject = Schema.Struct({
  consumer: Schema.String,
  subjectKey: Schema.String,
  /** The dead event blocking it. */
  position: Schema.BigInt,
  /** Events of the subject waiting behind it. */
  waiting: Schema.Number
})
export type BlockedSubject = typeof BlockedSubject.Type

export const HealthSummary = Schema.Struct({
  status: Schema.Literals(["ok", "degraded"]),
  /** Why it is degraded (empty when ok). */
  problems: Schema.Array(Schema.String),
  consumers: Schema.Array(Lag)
})
export type HealthSummary = typeof HealthSummary.Type

export interface HealthThresholds {
  /** Degraded when a consumer's oldest undelivered event is older (`TESSERA_DISPATCH_HEALTH_MAX_AGE`, 60 s). */
  readonly maxOldestAge: Duration.Input
  /** Degraded when a consumer has more dead letters (`TESSERA_DISPATCH_HEALTH_MAX_DEAD_LETTERS`, 0). */
  readonly maxDeadLetters: number
}

export interface ListOptions {
  readonly consumer?: string | undefined
  readonly limit?: number | undefined
  /** Include discarded dead letters (default: only those still dead). */
  readonly includeDiscarded?: boolean | undefined
  /** Only dead letters of this organization's events. */
  readonly organizationId?: string | undefined
  /** Only dead letters of events of this type. */
  readonly eventType?: string | undefined
  /** Only these event positions. */
  readonly positions?: ReadonlyArray<bigint> | undefined
}

/** A stored event: its envelope, with the payload as stored (JSON). */
export const EventRecord = Schema.Struct({
  position: Schema.BigInt,
  eventId: Schema.String,
  eventType: Schema.String,
  eventVersion: Schema.Number,
  producer: Schema.String,
  organizationId: Schema.String,
  subject: Schema.Struct({ type: Schema.String, id: Schema.String }),
  actor: Schema.Struct({ type: Schema.String, id: Schema.String }),
  correlationId: Schema.String,
  causationId: Schema.NullOr(Schema.String),
  traceparent: Schema.NullOr(Schema.String),
  occurredAt: Schema.Date,
  recordedAt: Schema.Date,
  payload: Schema.Unknown
})
export type EventRecord = typeof EventRecord.Type

export interface EventFilter {
  /** Only this organization's events. */
  readonly organizationId?: string | undefined
  readonly eventId?: string | undefined
  readonly type?: string | undefined
  readonly producer?: string | undefined
  /** The subject's id, or `type:id`. */
  readonly subject?: string | undefined
  readonly correlationId?: string | undefined
  /** The first `limit` events after this position (oldest first); otherwise the latest `limit`. */
  readonly after?: bigint | undefined
  /** Default 100. */
  readonly limit?: number | undefined
}

/**
 * How one subscribed consumer stands with one event: `handled` (its inbox row), `pending`,
 * `in-flight` (leased), `retrying` (failed, backing off), `dead`, `discarded`, or `unknown` (no row
 * left: subscribed after the event, or retention removed it).
 */
export const DeliveryRecord = Schema.Struct({
  position: Schema.BigInt,
  consumer: Schema.String,
  state: Schema.Literals(["handled", "pending", "in-flight", "retrying", "dead", "discarded", "unknown"]),
  failures: Schema.Number,
  handledAt: Schema.NullOr(Schema.Date),
  /** From the event's recording to the handler's commit. */
  latencyMillis: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String)
})
export type DeliveryRecord = typeof DeliveryRecord.Type

/** A consumer's minute: events handled, events dead-lettered. */
export const Activity = Schema.Struct({
  consumer: Schema.String,
  minute: Schema.Date,
  handled: Schema.Number,
  deadLettered: Schema.Number
})
export type Activity = typeof Activity.Type

export const Subscriptions = Schema.Struct({ consumer: Schema.String, eventTypes: Schema.Array(Schema.String) })
export type Subscriptions = typeof Subscriptions.Type

export interface ReplayOptions {
  readonly consumer: string
  /** Only these (event positions); all of the consumer's dead letters when omitted. */
  readonly positions?: ReadonlyArray<bigint> | undefined
}

export interface DiscardOptions {
  readonly consumer: string
  readonly positions: ReadonlyArray<bigint>
  /** Why (kept with the dead letter for audit). */
  readonly reason: string
}

const decodeLag = Schema.decodeUnknownEffect(Schema.Array(Lag))
const decodeDeadLetters = Schema.decodeUnknownEffect(Schema.Array(DeadLetter))
const decodeBlocked = Schema.decodeUnknownEffect(Schema.Array(BlockedSubject))
const decodeEvents = Schema.decodeUnknownEffect(Schema.Array(EventRecord))
const decodeDeliveries = Schema.decodeUnknownEffect(Schema.Array(DeliveryRecord))
const decodeActivity = Schema.decodeUnknownEffect(Schema.Array(Activity))
const decodeSubscriptions = Schema.decodeUnknownEffect(Schema.Array(Subscriptions))

const positionsArray = (positions: ReadonlyArray<bigint>) => `{${positions.join(",")}}`

/** The health thresholds from configuration. */
export const healthThresholds = Effect.all({
  maxOldestAge: Config.Duration("TESSERA_DISPATCH_HEALTH_MAX_AGE").pipe(Config.withDefault(Duration.seconds(60))),
  maxDeadLetters: Config.Int("TESSERA_DISPATCH_HEALTH_MAX_DEAD_LETTERS").pipe(Config.withDefault(0))
})

/** `ok`, or `degraded` with the reasons, from the consumers' lag. */
export const summarize = (lag: ReadonlyArray<Lag>, thresholds: HealthThresholds): HealthSummary => {
  const maxAge = Duration.toMillis(Duration.fromInputUnsafe(thresholds.maxOldestAge))
  const problems: Array<string> = []
  for (const l of lag) {
    if (l.oldestAgeMillis > maxAge)
      problems.push(`${l.consumer}: oldest undelivered event is ${(l.oldestAgeMillis / 1000).toFixed(1)} s old`)
    if (l.deadLetters > thresholds.maxDeadLetters) problems.push(`${l.consumer}: ${l.deadLetters} dead letter(s)`)
    if (l.blockedSubjects > 0) problems.push(`${l.consumer}: ${l.blockedSubjects} subject(s) blocked by a dead letter`)
  }
  return { status: problems.length === 0 ? "ok" : "degraded", problems, consumers: lag }
}

export class DispatchAdmin extends Context.Service<
  DispatchAdmin,
  {
    /** Lag of every consumer that has subscriptions, or of one. */
    readonly lag: (consumer?: string) => Effect.Effect<ReadonlyArray<Lag>, SqlError.SqlError>
    readonly deadLetters: (options?: ListOptions) => Effect.Effect<ReadonlyArray<DeadLetter>, SqlError.SqlError>
    /** Subjects blocked by a dead letter (`strict` consumers). */
    readonly blockedSubjects: (consumer?: string) => Effect.Effect<ReadonlyArray<BlockedSubject>, SqlError.SqlError>
    /** Moves dead letters back to the deliveries (counters reset); returns how many. */
    readonly replay: (options: ReplayOptions) => Effect.Effect<number, SqlError.SqlError>
    /**
     * Gives dead letters up for good, with a reason: they stay listed as `discarded` (for audit),
     * are never replayed, and no longer block their subjects. Returns how many.
     */
    readonly discard: (options: DiscardOptions) => Effect.Effect<number, SqlError.SqlError>
    /** `ok` or `degraded` past the thresholds (default: from configuration), with every consumer's lag. */
    readonly health: (thresholds?: HealthThresholds) => Effect.Effect<HealthSummary, SqlError.SqlError>
    /** Stored events by organization, id, type, producer, subject or correlation id (for Studio and support). */
    readonly events: (filter: EventFilter) => Effect.Effect<ReadonlyArray<EventRecord>, SqlError.SqlError>
    /** Each subscribed consumer's handling of each of these events, in position then consumer order. */
    readonly deliveries: (
      positions: ReadonlyArray<bigint>
    ) => Effect.Effect<ReadonlyArray<DeliveryRecord>, SqlError.SqlError>
    /** Per consumer and minute over the last `minutes`: events handled and dead-lettered. */
    readonly activity: (options: {
      readonly minutes: number
      readonly consumer?: string | undefined
    }) => Effect.Effect<ReadonlyArray<Activity>, SqlError.SqlError>
    /** Every consumer with the event types it subscribes to. */
    readonly subscriptions: () => Effect.Effect<ReadonlyArray<Subscriptions>, SqlError.SqlError>
  }
>()("@tessera/dispatcher/DispatchAdmin") {
  static readonly layer = Layer.effect(
    DispatchAdmin,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const configured = yield* healthThresholds.pipe(Effect.orDie)

      const lag = (consumer?: string) =>
        sql`
          WITH consumers AS (
            SELECT DISTINCT consumer FROM dispatch.subscriptions
            WHERE ${consumer === undefined ? sql`TRUE` : sql`consumer = ${consumer}`}
          )
          SELECT c.consumer, p.pending, p."oldestAgeMillis", p.retrying, p."inFlight",
            (SELECT count(*) FROM dispatch.dead_letters x WHERE x.consumer = c.consumer AND x.status = 'dead')::int AS "deadLetters",
            (SELECT count(*) FROM dispatch.deliveries d WHERE d.consumer = c.consumer AND d.dead)::int AS "blockedSubjects"
          FROM consumers c, LATERAL (
            SELECT count(*)::int AS pending,
              COALESCE((EXTRACT(EPOCH FROM clock_timestamp() - min(d.created_at)) * 1000)::float8, 0) AS "oldestAgeMillis",
              (count(*) FILTER (WHERE d.failures > 0))::int AS retrying,
              -- Rows in flight are held by open handling transactions (see dispatch.handling).
              (SELECT COALESCE(sum(cardinality(h.positions)), 0) FROM dispatch.handling h
                WHERE h.consumer = c.consumer AND pg_xact_status(h.xid) = 'in progress')::int AS "inFlight"
            FROM dispatch.deliveries d WHERE d.consumer = c.consumer AND NOT d.dead
          ) p
          ORDER BY c.consumer`.pipe(Effect.flatMap(decodeLag), Effect.orDie)

      const deadLetters = (options: ListOptions = {}) =>
        sql`
          SELECT x.consumer, x.position, e.event_id::text AS "eventId", e.event_type AS "eventType",
            e.event_version AS "eventVersion", x.subject_key AS "subjectKey", x.reason, x.error, x.attempts,
            x.failures, x.abandoned, x.status, x.discard_reason AS "discardReason", x.dead_at AS "deadAt"
          FROM dispatch.dead_letters x JOIN dispatch.events e ON e.position = x.position
          WHERE ${options.consumer === undefined ? sql`TRUE` : sql`x.consumer = ${options.consumer}`}
            AND ${options.includeDiscarded === true ? sql`TRUE` : sql`x.status = 'dead'`}
            AND ${options.organizationId === undefined ? sql`TRUE` : sql`e.organization_id = ${options.organizationId}`}
            AND ${options.eventType === undefined ? sql`TRUE` : sql`e.event_type = ${options.eventType}`}
            AND ${options.positions === undefined ? sql`TRUE` : sql`x.position = ANY(${positionsArray(options.positions)}::bigint[])`}
          ORDER BY x.dead_at, x.position
          LIMIT ${options.limit ?? 100}`.pipe(Effect.flatMap(decodeDeadLetters), Effect.orDie)

      const blockedSubjects = (consumer?: string) =>
        sql`
          SELECT d.consumer, d.subject_key AS "subjectKey", d.position,
            (SELECT count(*) FROM dispatch.deliveries w
              WHERE w.consumer = d.consumer AND w.subject_key = d.subject_key AND w.position > d.position)::int AS waiting
          FROM dispatch.deliveries d
          WHERE d.dead AND ${consumer === undefined ? sql`TRUE` : sql`d.consumer = ${consumer}`}
          ORDER BY d.consumer, d.position`.pipe(Effect.flatMap(decodeBlocked), Effect.orDie)

      // A strict consumer's dead letter is still a (dead) delivery row: replay revives it in
      // place; a skipping consumer's was deleted: replay inserts it again.
      const replay = (options: ReplayOptions) =>
        sql`
          WITH moved AS (
            DELETE FROM dispatch.dead_letters
            WHERE consumer = ${options.consumer} AND status = 'dead'
              AND ${options.positions === undefined ? sql`TRUE` : sql`position = ANY(${positionsArray(options.positions)}::bigint[])`}
            RETURNING consumer, position, subject_key
          ),
          requeued AS (
            INSERT INTO dispatch.deliveries (consumer, position, subject_key)
            SELECT consumer, position, subject_key FROM moved
            ON CONFLICT (consumer, position) DO UPDATE
              SET dead = false, failures = 0, abandoned = 0, isolate = false, last_error = NULL, available_at = now()
            RETURNING consumer
          )
          SELECT count(*)::int AS replayed, pg_notify(${CHANNEL}, ${options.consumer}) IS NULL AS notified
          FROM requeued`.pipe(
          Effect.map((rows) => {
            const replayed = rows[0]?.replayed
            return typeof replayed === "number" ? replayed : 0
          }),
          Effect.withSpan("DispatchAdmin.replay")
        )

      const discard = (options: DiscardOptions) =>
        sql`
          WITH discarded AS (
            UPDATE dispatch.dead_letters
            SET status = 'discarded', discarded_at = now(), discard_reason = ${options.reason}
            WHERE consumer = ${options.consumer} AND status = 'dead'
              AND position = ANY(${positionsArray(options.positions)}::bigint[])
            RETURNING consumer, position
          ),
          unblocked AS (
            DELETE FROM dispatch.deliveries d USING discarded x
            WHERE d.consumer = x.consumer AND d.position = x.position AND d.dead
            RETURNING d.position
          )
          SELECT (SELECT count(*) FROM discarded)::int AS discarded,
            (SELECT count(*) FROM unblocked)::int AS unblocked,
            pg_notify(${CHANNEL}, ${options.consumer}) IS NULL AS notified`.pipe(
          Effect.map((rows) => {
            const discarded = rows[0]?.discarded
            return typeof discarded === "number" ? discarded : 0
          }),
          Effect.withSpan("DispatchAdmin.discard")
        )

      const health = (thresholds: HealthThresholds = configured) =>
        Effect.map(lag(), (consumers) => summarize(consumers, thresholds))

      const eventColumns = sql`
        e.position, e.event_id::text AS "eventId", e.event_type AS "eventType", e.event_version AS "eventVersion",
        e.producer, e.organization_id AS "organizationId",
        json_build_object('type', e.subject_type, 'id', e.subject_id) AS subject,
        json_build_object('type', e.actor_type, 'id', e.actor_id) AS actor,
        e.correlation_id AS "correlationId", e.causation_id AS "causationId", e.traceparent,
        e.occurred_at AS "occurredAt", e.recorded_at AS "recordedAt", e.payload`

      const events = (filter: EventFilter) => {
        const subject =
          filter.subject === undefined
            ? sql`TRUE`
            : filter.subject.includes(":")
              ? sql`e.subject_type || ':' || e.subject_id = ${filter.subject}`
              : sql`e.subject_id = ${filter.subject}`
        const where = sql`
          ${filter.organizationId === undefined ? sql`TRUE` : sql`e.organization_id = ${filter.organizationId}`}
          AND ${filter.eventId === undefined ? sql`TRUE` : sql`e.event_id::text = ${filter.eventId}`}
          AND ${filter.type === undefined ? sql`TRUE` : sql`e.event_type = ${filter.type}`}
          AND ${filter.producer === undefined ? sql`TRUE` : sql`e.producer = ${filter.producer}`}
          AND ${filter.correlationId === undefined ? sql`TRUE` : sql`e.correlation_id = ${filter.correlationId}`}
          AND ${subject}`
        const limit = filter.limit ?? 100
        const rows =
          filter.after === undefined
            ? sql`
                SELECT * FROM (
                  SELECT ${eventColumns} FROM dispatch.events e WHERE ${where} ORDER BY e.position DESC LIMIT ${limit}
                ) latest ORDER BY position`
            : sql`
                SELECT ${eventColumns} FROM dispatch.events e
                WHERE ${where} AND e.position > ${filter.after.toString()}::bigint
                ORDER BY e.position LIMIT ${limit}`
        return rows.pipe(Effect.flatMap(decodeEvents), Effect.orDie)
      }

      const deliveries = (positions: ReadonlyArray<bigint>) =>
        positions.length === 0
          ? Effect.succeed([])
          : sql`
              SELECT e.position, s.consumer,
                CASE WHEN i.processed_at IS NOT NULL THEN 'handled'
                  WHEN x.status = 'discarded' THEN 'discarded'
                  WHEN x.status = 'dead' OR d.dead THEN 'dead'
                  WHEN EXISTS (SELECT 1 FROM dispatch.handling h WHERE h.consumer = s.consumer
                    AND e.position = ANY(h.positions) AND pg_xact_status(h.xid) = 'in progress') THEN 'in-flight'
                  WHEN d.failures > 0 THEN 'retrying'
                  WHEN d.position IS NOT NULL THEN 'pending'
                  ELSE 'unknown' END AS state,
                COALESCE(d.failures, x.failures, 0)::int AS failures,
                i.processed_at AS "handledAt",
                (EXTRACT(EPOCH FROM i.processed_at - e.recorded_at) * 1000)::float8 AS "latencyMillis",
                COALESCE(x.error, d.last_error) AS "lastError"
              FROM dispatch.events e
              JOIN dispatch.subscriptions s ON s.event_type = e.event_type
              LEFT JOIN dispatch.inbox i ON i.consumer = s.consumer AND i.event_id = e.event_id
              LEFT JOIN dispatch.deliveries d ON d.consumer = s.consumer AND d.position = e.position
              LEFT JOIN dispatch.dead_letters x ON x.consumer = s.consumer AND x.position = e.position
              WHERE e.position = ANY(${positionsArray(positions)}::bigint[])
              ORDER BY e.position, s.consumer`.pipe(Effect.flatMap(decodeDeliveries), Effect.orDie)

      const activity = (options: { readonly minutes: number; readonly consumer?: string | undefined }) => {
        const consumerIs = options.consumer === undefined ? sql`TRUE` : sql`consumer = ${options.consumer}`
        return sql`
          WITH handled AS (
            SELECT consumer, date_trunc('minute', processed_at) AS minute, count(*)::int AS n
            FROM dispatch.inbox
            WHERE processed_at > now() - make_interval(mins => ${options.minutes}) AND ${consumerIs}
            GROUP BY 1, 2
          ), dead AS (
            SELECT consumer, date_trunc('minute', dead_at) AS minute, count(*)::int AS n
            FROM dispatch.dead_letters
            WHERE dead_at > now() - make_interval(mins => ${options.minutes}) AND ${consumerIs}
            GROUP BY 1, 2
          )
          SELECT COALESCE(h.consumer, d.consumer) AS consumer, COALESCE(h.minute, d.minute) AS minute,
            COALESCE(h.n, 0) AS handled, COALESCE(d.n, 0) AS "deadLettered"
          FROM handled h FULL JOIN dead d ON d.consumer = h.consumer AND d.minute = h.minute
          ORDER BY 2, 1`.pipe(Effect.flatMap(decodeActivity), Effect.orDie)
      }

      const subscriptions = () =>
        sql`
          SELECT consumer, array_agg(event_type ORDER BY event_type) AS "eventTypes"
          FROM dispatch.subscriptions GROUP BY consumer ORDER BY consumer`.pipe(
          Effect.flatMap(decodeSubscriptions),
          Effect.orDie
        )

      return DispatchAdmin.of({
        lag,
        deadLetters,
        blockedSubjects,
        replay,
        discard,
        health,
        events,
        deliveries,
        activity,
        subscriptions
      })
    })
  )
}

/**
 * The dispatcher's part of `/health`: every consumer's lag, `degraded` past the configured
 * thresholds. Needs only a `SqlClient` (the HTTP side's pool is fine: it is a few counts).
 */
export const healthSummary: Effect.Effect<HealthSummary, SqlError.SqlError, SqlClient.SqlClient> = Effect.gen(
  function* () {
    const admin = yield* DispatchAdmin
    return yield* admin.health()
  }
).pipe(Effect.provide(DispatchAdmin.layer))
