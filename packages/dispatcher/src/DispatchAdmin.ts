/**
 * Operating the dispatcher: consumer lag, dead letters, replay. The CLI (`Cli.ts`) is a thin shell
 * over this service.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { CHANNEL } from "./DispatchMigrations.ts"

export const Lag = Schema.Struct({
  consumer: Schema.String,
  /** Deliveries not yet handled (including those being handled and backing off). */
  pending: Schema.Number,
  /** Age of the oldest undelivered event in milliseconds, 0 when nothing is pending. */
  oldestAgeMillis: Schema.Number,
  /** Of the pending ones, how many are waiting for a retry. */
  retrying: Schema.Number,
  deadLetters: Schema.Number
})
export type Lag = typeof Lag.Type

export const DeadLetter = Schema.Struct({
  consumer: Schema.String,
  position: Schema.BigInt,
  eventId: Schema.String,
  eventType: Schema.String,
  eventVersion: Schema.Number,
  subjectKey: Schema.String,
  /** InvalidPayload | UnknownVersion | Rejected | Exhausted */
  reason: Schema.String,
  error: Schema.String,
  attempts: Schema.Number,
  deadAt: Schema.Date
})
export type DeadLetter = typeof DeadLetter.Type

export interface ListOptions {
  readonly consumer?: string | undefined
  readonly limit?: number | undefined
}

export interface ReplayOptions {
  readonly consumer: string
  /** Only these (event positions); all of the consumer's dead letters when omitted. */
  readonly positions?: ReadonlyArray<bigint> | undefined
}

const decodeLag = Schema.decodeUnknownEffect(Schema.Array(Lag))
const decodeDeadLetters = Schema.decodeUnknownEffect(Schema.Array(DeadLetter))

export class DispatchAdmin extends Context.Service<
  DispatchAdmin,
  {
    /** Lag of every consumer that has subscriptions, or of one. */
    readonly lag: (consumer?: string) => Effect.Effect<ReadonlyArray<Lag>, SqlError.SqlError>
    readonly deadLetters: (options?: ListOptions) => Effect.Effect<ReadonlyArray<DeadLetter>, SqlError.SqlError>
    /** Moves dead letters back to the deliveries (attempts reset); returns how many. */
    readonly replay: (options: ReplayOptions) => Effect.Effect<number, SqlError.SqlError>
  }
>()("@tessera/dispatcher/DispatchAdmin") {
  static readonly layer = Layer.effect(
    DispatchAdmin,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      const lag = (consumer?: string) =>
        sql`
          WITH consumers AS (
            SELECT DISTINCT consumer FROM dispatch.subscriptions
            WHERE ${consumer === undefined ? sql`TRUE` : sql`consumer = ${consumer}`}
          )
          SELECT c.consumer,
            (SELECT count(*) FROM dispatch.deliveries d WHERE d.consumer = c.consumer)::int AS pending,
            COALESCE((SELECT (EXTRACT(EPOCH FROM clock_timestamp() - min(d.created_at)) * 1000)::float8
              FROM dispatch.deliveries d WHERE d.consumer = c.consumer), 0) AS "oldestAgeMillis",
            (SELECT count(*) FROM dispatch.deliveries d
              WHERE d.consumer = c.consumer AND d.attempts > 0 AND d.leased_until IS NULL)::int AS retrying,
            (SELECT count(*) FROM dispatch.dead_letters x WHERE x.consumer = c.consumer)::int AS "deadLetters"
          FROM consumers c ORDER BY c.consumer`.pipe(Effect.flatMap(decodeLag), Effect.orDie)

      const deadLetters = (options: ListOptions = {}) =>
        sql`
          SELECT x.consumer, x.position, e.event_id::text AS "eventId", e.event_type AS "eventType",
            e.event_version AS "eventVersion", x.subject_key AS "subjectKey", x.reason, x.error, x.attempts,
            x.dead_at AS "deadAt"
          FROM dispatch.dead_letters x JOIN dispatch.events e ON e.position = x.position
          WHERE ${options.consumer === undefined ? sql`TRUE` : sql`x.consumer = ${options.consumer}`}
          ORDER BY x.dead_at, x.position
          LIMIT ${options.limit ?? 100}`.pipe(Effect.flatMap(decodeDeadLetters), Effect.orDie)

      const replay = (options: ReplayOptions) =>
        sql`
          WITH moved AS (
            DELETE FROM dispatch.dead_letters
            WHERE consumer = ${options.consumer}
              AND ${
                options.positions === undefined
                  ? sql`TRUE`
                  : sql`position = ANY(${`{${options.positions.join(",")}}`}::bigint[])`
              }
            RETURNING consumer, position, subject_key
          ),
          requeued AS (
            INSERT INTO dispatch.deliveries (consumer, position, subject_key)
            SELECT consumer, position, subject_key FROM moved
            ON CONFLICT DO NOTHING
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

      return DispatchAdmin.of({ lag, deadLetters, replay })
    })
  )
}
