/**
 * The events recorded for learners, keyed by event id: the dedupe table (`claim` inserts an
 * event once; a second claim of the same id returns false, in the caller's transaction) and the
 * history step conditions are evaluated over.
 */
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { LearnerEvent } from "../domain/Conditions.ts"

/** An event to record: its id (the dedupe key) and what the conditions look at. */
export interface RecordedEvent extends LearnerEvent {
  readonly eventId: string
}

const HistoryRow = Schema.Struct({
  eventType: Schema.String,
  eventVersion: Schema.NullOr(Schema.Int),
  payload: Schema.Record(Schema.String, Schema.Unknown),
  occurredAt: Schema.String
})

export class LearnerEventRepository extends Context.Service<
  LearnerEventRepository,
  {
    /** Records the event for the learner unless its id was recorded before. True when recorded now. */
    readonly claim: (
      organizationId: string,
      learnerId: string,
      event: RecordedEvent,
      at: Date
    ) => Effect.Effect<boolean>
    /** The learner's events of these types, oldest first. */
    readonly history: (
      organizationId: string,
      learnerId: string,
      eventTypes: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<LearnerEvent>>
  }
>()("@tessera/learning-journey/LearnerEventRepository") {
  static readonly layer = Layer.effect(
    LearnerEventRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      return LearnerEventRepository.of({
        claim: Effect.fn("LearnerEventRepository.claim")(function* (organizationId, learnerId, event, at) {
          return yield* Rows.some(sql`
            INSERT INTO learning.learner_events
              (organization_id, event_id, learner_id, event_type, event_version, payload, occurred_at, recorded_at)
            VALUES (${organizationId}, ${event.eventId}, ${learnerId}, ${event.eventType}, ${event.eventVersion ?? null},
              ${JSON.stringify(event.payload)}::jsonb, ${event.occurredAt}, ${at})
            ON CONFLICT DO NOTHING
            RETURNING event_id`)
        }),
        history: Effect.fn("LearnerEventRepository.history")(function* (organizationId, learnerId, eventTypes) {
          if (eventTypes.length === 0) return []
          const rows = yield* Rows.all(
            HistoryRow,
            sql`
              SELECT event_type AS "eventType", event_version AS "eventVersion", payload,
                learning.iso(occurred_at) AS "occurredAt"
              FROM learning.learner_events
              WHERE organization_id = ${organizationId} AND learner_id = ${learnerId}
                AND ${sql.in("event_type", eventTypes)}
              ORDER BY occurred_at, event_id`
          )
          return rows.map(
            (row): LearnerEvent => ({
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
