/**
 * What `Progression.record` needs to stay cheap per event as a learner's history grows:
 *
 * - `learner_events.scope_track_id`: the track an event was recorded for when
 *   `learning.onboarding.recordEvent` named one (NULL for everything the consumer records). Such
 *   an event advanced that track only, so other tracks' steps it matches were never evaluated
 *   against it: a learner with one is settled against their whole history (see
 *   `domain/Evidence.ts`); the partial index answers "has this learner any?" without reading
 *   their history.
 *
 * The lookups of events matching a step (by type, then time) use the existing
 * `learner_events_history` index.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE learner_events ADD COLUMN scope_track_id text`
  yield* sql`
    CREATE INDEX learner_events_scoped ON learner_events (organization_id, learner_id)
    WHERE scope_track_id IS NOT NULL`
})
