/**
 * Learners' progress, one row per (organization, learner, track). `lock` creates the rows when
 * missing and locks them for the rest of the transaction, in track id order: concurrent events of
 * one learner on one track are applied one after the other, and never deadlock.
 */
import type { Progress } from "@tessera/contracts/learning-journey/Onboarding"
import { Timestamp, TrackId } from "@tessera/contracts/learning-journey/Shared"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import type { ProgressState } from "../domain/LearnerProgress.ts"

const MarkRow = Schema.Struct({ status: Schema.Literals(["completed", "skipped"]), at: Timestamp })

export const ProgressRow = Schema.Struct({
  trackId: TrackId,
  learnerId: Schema.String,
  marks: Schema.Record(Schema.String, MarkRow),
  streakCurrent: Schema.Int,
  streakLongest: Schema.Int,
  lastActiveDay: Schema.NullOr(Schema.String),
  startedAt: Schema.NullOr(Timestamp),
  lastActivityAt: Schema.NullOr(Timestamp),
  completedAt: Schema.NullOr(Timestamp)
})
export type ProgressRow = typeof ProgressRow.Type

const dateOrNull = (value: string | null): Date | null => (value === null ? null : new Date(value))
const isoOrNull = (value: Date | null): string | null => (value === null ? null : value.toISOString())

export const toState = (row: ProgressRow): ProgressState => ({
  trackId: row.trackId,
  learnerId: row.learnerId,
  marks: Object.fromEntries(
    Object.entries(row.marks).map(([stepId, mark]) => [stepId, { status: mark.status, at: new Date(mark.at) }])
  ),
  streak: { current: row.streakCurrent, longest: row.streakLongest, lastActiveDay: row.lastActiveDay },
  startedAt: dateOrNull(row.startedAt),
  lastActivityAt: dateOrNull(row.lastActivityAt),
  completedAt: dateOrNull(row.completedAt)
})

/** A locked progress row: the state, and when it was last saved (`null`: never). */
export interface Locked {
  readonly state: ProgressState
  readonly savedAt: Date | null
}

export const LockedRow = Schema.Struct({ ...ProgressRow.fields, savedAt: Schema.NullOr(Timestamp) })

export const toLocked = (row: typeof LockedRow.Type): Locked => ({
  state: toState(row),
  savedAt: dateOrNull(row.savedAt)
})

/** Track ids in the order every caller locks their progress rows in. */
export const lockOrder = (trackIds: ReadonlyArray<TrackId>): ReadonlyArray<TrackId> =>
  [...new Set(trackIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

/**
 * The statement locking the learner's progress rows on `trackIds` (when `guard` holds), creating
 * the missing ones: the one definition of the lock order, used by `lock` and by the claim that
 * locks in the same round trip (`LearnerEventRepository.claim`). Rows are inserted or locked in
 * `lockOrder` (the ORDER BY feeds the insert), so concurrent callers never wait on each other in
 * opposite orders. On a conflict the existing row is locked (waiting for a concurrent insert to
 * commit); unless completed it gets a no-op update, which is what makes RETURNING hand it back as
 * last committed — a completed track never moves again, its row is locked and not rewritten.
 */
export const lockRows = (
  sql: SqlClient.SqlClient,
  organizationId: string,
  learnerId: string,
  trackIds: ReadonlyArray<TrackId>,
  guard: Statement.Fragment
) => sql`
  INSERT INTO learning.progress AS p (organization_id, learner_id, track_id)
  SELECT ${organizationId}, ${learnerId}, wanted.id
  FROM (VALUES ${sql.csv(lockOrder(trackIds).map((id, n) => sql`(${id}::text, ${n}::int)`))}) AS wanted (id, n)
  WHERE ${guard}
  ORDER BY wanted.n
  ON CONFLICT (organization_id, learner_id, track_id) DO UPDATE SET learner_id = p.learner_id
    WHERE p.completed_at IS NULL
  RETURNING p.track_id AS "trackId", p.learner_id AS "learnerId", p.marks,
    p.streak_current AS "streakCurrent", p.streak_longest AS "streakLongest",
    p.last_active_day AS "lastActiveDay", learning.iso(p.started_at) AS "startedAt",
    learning.iso(p.last_activity_at) AS "lastActivityAt", learning.iso(p.completed_at) AS "completedAt",
    learning.iso(p.updated_at) AS "savedAt"`

/** The locked rows in `lockOrder`. */
export const inTrackOrder = (trackIds: ReadonlyArray<TrackId>, rows: ReadonlyArray<Locked>): ReadonlyArray<Locked> => {
  const byTrack = new Map(rows.map((row) => [row.state.trackId, row]))
  return lockOrder(trackIds).flatMap((trackId) => {
    const state = byTrack.get(trackId)
    return state === undefined ? [] : [state]
  })
}

/** What is stored besides the state: derived by the domain, kept for listing. */
export interface Derived {
  readonly xp: number
  readonly badges: ReadonlyArray<string>
  readonly status: Progress["status"]
}

export class ProgressRepository extends Context.Service<
  ProgressRepository,
  {
    /**
     * Locks the learner's progress on each track until the transaction ends, creating it (not
     * started) when missing, and returns it (with when it was last saved) unless the track is completed (a completed track never
     * moves again: its row is locked, not rewritten). In track id order; one round trip whatever
     * the number of tracks.
     */
    readonly lock: (
      organizationId: string,
      learnerId: string,
      trackIds: ReadonlyArray<TrackId>
    ) => Effect.Effect<ReadonlyArray<Locked>>
    readonly save: (organizationId: string, state: ProgressState, derived: Derived, at: Date) => Effect.Effect<void>
    /** The learner's stored progress on the track, if any (unlocked). */
    readonly find: (
      organizationId: string,
      learnerId: string,
      trackId: TrackId
    ) => Effect.Effect<Option.Option<ProgressState>>
    /** The learner's stored progress rows (tracks never touched have none). */
    readonly listForLearner: (organizationId: string, learnerId: string) => Effect.Effect<ReadonlyArray<ProgressState>>
  }
>()("@tessera/learning-journey/ProgressRepository") {
  static readonly layer = Layer.effect(
    ProgressRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      const columns = sql`
        SELECT track_id AS "trackId", learner_id AS "learnerId", marks,
          streak_current AS "streakCurrent", streak_longest AS "streakLongest", last_active_day AS "lastActiveDay",
          learning.iso(started_at) AS "startedAt", learning.iso(last_activity_at) AS "lastActivityAt",
          learning.iso(completed_at) AS "completedAt"
        FROM learning.progress`

      const lock = Effect.fn("ProgressRepository.lock")(function* (
        organizationId: string,
        learnerId: string,
        trackIds: ReadonlyArray<TrackId>
      ) {
        if (trackIds.length === 0) return []
        const rows = yield* Rows.all(LockedRow, lockRows(sql, organizationId, learnerId, trackIds, sql`true`))
        return inTrackOrder(trackIds, rows.map(toLocked))
      })

      const save = Effect.fn("ProgressRepository.save")(function* (
        organizationId: string,
        state: ProgressState,
        derived: Derived,
        at: Date
      ) {
        yield* Rows.run(sql`
          UPDATE learning.progress SET
            marks = ${JSON.stringify(
              Object.fromEntries(
                Object.entries(state.marks).map(([stepId, mark]) => [
                  stepId,
                  { status: mark.status, at: mark.at.toISOString() }
                ])
              )
            )}::jsonb,
            streak_current = ${state.streak.current},
            streak_longest = ${state.streak.longest},
            last_active_day = ${state.streak.lastActiveDay},
            xp = ${derived.xp},
            badges = ${JSON.stringify(derived.badges)}::jsonb,
            status = ${derived.status},
            started_at = ${isoOrNull(state.startedAt)}::timestamptz,
            last_activity_at = ${isoOrNull(state.lastActivityAt)}::timestamptz,
            completed_at = ${isoOrNull(state.completedAt)}::timestamptz,
            updated_at = ${at}
          WHERE organization_id = ${organizationId} AND learner_id = ${state.learnerId} AND track_id = ${state.trackId}`)
      })

      return ProgressRepository.of({
        lock,
        save,
        find: Effect.fn("ProgressRepository.find")(function* (organizationId, learnerId, trackId) {
          const row = yield* Rows.maybeOne(
            ProgressRow,
            sql`${columns} WHERE organization_id = ${organizationId} AND learner_id = ${learnerId} AND track_id = ${trackId}`
          )
          return Option.map(row, toState)
        }),
        listForLearner: Effect.fn("ProgressRepository.listForLearner")(function* (organizationId, learnerId) {
          const rows = yield* Rows.all(
            ProgressRow,
            sql`${columns} WHERE organization_id = ${organizationId} AND learner_id = ${learnerId} ORDER BY track_id`
          )
          return rows.map(toState)
        })
      })
    })
  )
}
