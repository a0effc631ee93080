/**
 * The events recorded for learners, keyed by event id: the dedupe table (`claim` inserts an
 * event once; a second claim of the same id returns false, in the caller's transaction) and the
 * history step conditions are evaluated over — read a step at a time (`evidence`, the queries of
 * `domain/Evidence.ts`), never whole.
 */
import type { EventMatcher } from "@tessera/contracts/learning-journey/Conditions"
import type { TrackId } from "@tessera/contracts/learning-journey/Shared"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { LearnerEvent } from "../domain/Conditions.ts"
import type { HistoryQuery } from "../domain/Evidence.ts"
import { inTrackOrder, type Locked, LockedRow, lockRows, toLocked } from "./ProgressRepository.ts"

/** An event to record: its id (the dedupe key) and what the conditions look at. */
export interface RecordedEvent extends LearnerEvent {
  readonly eventId: string
}

/** What `claim` learns in its one round trip. */
export interface Claim {
  /** The event was recorded now (false: its id was recorded before, nothing changed). */
  readonly recorded: boolean
  /** The learner has earlier events recorded for one track only (`recordEvent` naming a track). */
  readonly scoped: boolean
  /** How many tracks the organization has (tracks are only ever added: a cache of them is current when its count is). */
  readonly organizationTracks: number
  /**
   * The progress rows locked with the claim (see `lock`), in lock order, completed ones left out;
   * `undefined` when none were asked, the event was not recorded now, or the organization's track
   * count was not the expected one (then nothing was locked).
   */
  readonly progress: ReadonlyArray<Locked> | undefined
}

/** Progress rows to lock in the claim's round trip, if the organization still has `organizationTracks` tracks. */
export interface LockWithClaim {
  readonly trackIds: ReadonlyArray<TrackId>
  readonly organizationTracks: number | undefined
}

const ClaimRow = Schema.Struct({
  recorded: Schema.Boolean,
  scoped: Schema.Boolean,
  organizationTracks: Schema.Int,
  locked: Schema.Boolean,
  progress: Schema.Array(LockedRow)
})

const EventRow = Schema.Struct({
  eventId: Schema.String,
  eventType: Schema.String,
  eventVersion: Schema.NullOr(Schema.Int),
  payload: Schema.Record(Schema.String, Schema.Unknown),
  occurredAt: Schema.String
})

export class LearnerEventRepository extends Context.Service<
  LearnerEventRepository,
  {
    /**
     * Records the event for the learner unless its id was recorded before (`scopeTrackId`: it
     * advances that track only), and reads what recording it needs to know next; with `lock`,
     * also locks those progress rows (`ProgressRepository.lock`'s statement, same order) when the
     * event is recorded now and the organization has the expected number of tracks.
     */
    readonly claim: (
      organizationId: string,
      learnerId: string,
      event: RecordedEvent,
      at: Date,
      scopeTrackId: string | undefined,
      lock?: LockWithClaim | undefined
    ) => Effect.Effect<Claim>
    /**
     * The learner's events each query asks for (distinct, in no particular order), in one round
     * trip. A query reads the learner's events of its type, by time where it names times.
     */
    readonly evidence: (
      organizationId: string,
      learnerId: string,
      queries: ReadonlyArray<HistoryQuery>
    ) => Effect.Effect<ReadonlyArray<RecordedEvent>>
  }
>()("@tessera/learning-journey/LearnerEventRepository") {
  static readonly layer = Layer.effect(
    LearnerEventRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      const columns = sql`event_id AS "eventId", event_type AS "eventType", event_version AS "eventVersion", payload,
        learning.iso(occurred_at) AS "occurredAt"`

      /**
       * The learner's events matching `matcher`, as `domain/Conditions.ts`'s `matches` says: its
       * type, its version or a later one (or no version), payload fields equal to the filter's
       * (JSON equality: both sides are written by `JSON.stringify`).
       */
      const matching = (organizationId: string, learnerId: string, matcher: EventMatcher) =>
        sql.and([
          sql`organization_id = ${organizationId}`,
          sql`learner_id = ${learnerId}`,
          sql`event_type = ${matcher.eventType}`,
          sql`(event_version IS NULL OR event_version >= ${matcher.eventVersion})`,
          ...Object.entries(matcher.where ?? {}).map(
            ([field, value]) => sql`payload -> ${field}::text = ${JSON.stringify(value)}::jsonb`
          )
        ])

      const select = (organizationId: string, learnerId: string, query: HistoryQuery) => {
        const where = matching(organizationId, learnerId, query.matcher)
        switch (query._tag) {
          case "Matching":
            return sql`(SELECT ${columns} FROM learning.learner_events WHERE ${where} LIMIT ${query.limit})`
          case "Between":
            return sql`(SELECT ${columns} FROM learning.learner_events
              WHERE ${where} AND occurred_at BETWEEN ${query.from} AND ${query.to}
              ${query.limit === undefined ? sql`` : sql`LIMIT ${query.limit}`})`
          case "Run":
            // The first `atLeast` events from the start of the earliest run, if there is one.
            return sql`(SELECT ${columns} FROM learning.learner_events
              WHERE ${where} AND occurred_at >= (
                SELECT run.occurred_at FROM (
                  SELECT occurred_at, lead(occurred_at, ${query.atLeast - 1}) OVER (ORDER BY occurred_at) AS last
                  FROM learning.learner_events WHERE ${where}
                ) run
                WHERE run.last - run.occurred_at <= ${query.spanMs}::float8 * interval '1 millisecond'
                ORDER BY run.occurred_at LIMIT 1)
              ORDER BY occurred_at LIMIT ${query.atLeast})`
        }
      }

      return LearnerEventRepository.of({
        claim: Effect.fn("LearnerEventRepository.claim")(function* (organizationId, learnerId, event, at, scope, lock) {
          const locking = lock !== undefined && lock.trackIds.length > 0 ? lock : undefined
          const expected =
            locking?.organizationTracks === undefined
              ? sql`true`
              : sql`(SELECT n FROM counted) = ${locking.organizationTracks}`
          const row = yield* Rows.one(
            ClaimRow,
            sql`
              WITH claimed AS (
                INSERT INTO learning.learner_events
                  (organization_id, event_id, learner_id, event_type, event_version, payload, occurred_at, recorded_at,
                   scope_track_id)
                VALUES (${organizationId}, ${event.eventId}, ${learnerId}, ${event.eventType},
                  ${event.eventVersion ?? null}, ${JSON.stringify(event.payload)}::jsonb, ${event.occurredAt}, ${at},
                  ${scope ?? null})
                ON CONFLICT DO NOTHING
                RETURNING event_id),
              counted AS (SELECT count(*)::int AS n FROM learning.tracks WHERE organization_id = ${organizationId}),
              locked AS (${
                locking === undefined
                  ? sql`SELECT NULL::text AS "trackId" WHERE false`
                  : lockRows(
                      sql,
                      organizationId,
                      learnerId,
                      locking.trackIds,
                      sql`EXISTS (SELECT 1 FROM claimed) AND ${expected}`
                    )
              })
              SELECT
                EXISTS (SELECT 1 FROM claimed) AS recorded,
                EXISTS (
                  SELECT 1 FROM learning.learner_events
                  WHERE organization_id = ${organizationId} AND learner_id = ${learnerId}
                    AND scope_track_id IS NOT NULL) AS scoped,
                (SELECT n FROM counted) AS "organizationTracks",
                ${locking === undefined ? sql`false` : sql`EXISTS (SELECT 1 FROM claimed) AND ${expected}`} AS locked,
                COALESCE((SELECT json_agg(l) FROM locked l), '[]'::json) AS progress`
          )
          return {
            recorded: row.recorded,
            scoped: row.scoped,
            organizationTracks: row.organizationTracks,
            progress:
              locking === undefined || !row.locked
                ? undefined
                : inTrackOrder(locking.trackIds, row.progress.map(toLocked))
          }
        }),
        evidence: Effect.fn("LearnerEventRepository.evidence")(function* (organizationId, learnerId, queries) {
          if (queries.length === 0) return []
          const rows = yield* Rows.all(
            EventRow,
            sql`${sql.join(" UNION ", false)(queries.map((query) => select(organizationId, learnerId, query)))}`
          )
          return rows.map(
            (row): RecordedEvent => ({
              eventId: row.eventId,
              eventType: row.eventType,
              eventVersion: row.eventVersion ?? undefined,
              payload: row.payload,
              occurredAt: new Date(row.occurredAt)
            })
          )
        })
      })
    })
  )
}
