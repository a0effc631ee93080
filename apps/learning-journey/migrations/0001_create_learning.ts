/**
 * The learning journey's tables, in the `learning` schema (the migration runs with `search_path`
 * set to it). Every row carries its organization and every key starts with it.
 *
 * - `tracks`: a track's steps, completion rewards and streak rule are stored as the JSON the
 *   contracts define (steps are read and written as a whole, never queried one by one);
 * - `learner_events`: every event recorded for a learner, keyed by event id — the dedupe table
 *   (an event advances progress once) and the history conditions are evaluated over;
 * - `progress`: one row per learner and track; what the learner did (marks, streak, times) plus
 *   the derived XP, badges and status, stored for listing.
 */
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Timestamps leave the database as the API writes them: ISO 8601 UTC with milliseconds
  // (the same SQL this migration always ran, now shared by every app).
  yield* Migrations.isoFunction

  yield* sql`
    CREATE TABLE tracks (
      organization_id text NOT NULL,
      id text NOT NULL,
      product text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      description text NOT NULL,
      steps jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array'),
      completion jsonb NOT NULL,
      streak jsonb,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id)
    )`
  yield* sql`CREATE UNIQUE INDEX tracks_name ON tracks (organization_id, lower(name))`
  yield* sql`CREATE INDEX tracks_product ON tracks (organization_id, product, created_at)`

  yield* sql`
    CREATE TABLE learner_events (
      organization_id text NOT NULL,
      event_id text NOT NULL,
      learner_id text NOT NULL,
      event_type text NOT NULL,
      event_version integer CHECK (event_version >= 1),
      payload jsonb NOT NULL,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, event_id)
    )`
  yield* sql`CREATE INDEX learner_events_history ON learner_events (organization_id, learner_id, event_type, occurred_at)`

  yield* sql`
    CREATE TABLE progress (
      organization_id text NOT NULL,
      learner_id text NOT NULL,
      track_id text NOT NULL,
      marks jsonb NOT NULL DEFAULT '{}'::jsonb,
      streak_current integer NOT NULL DEFAULT 0 CHECK (streak_current >= 0),
      streak_longest integer NOT NULL DEFAULT 0 CHECK (streak_longest >= streak_current),
      last_active_day text CHECK (last_active_day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      xp integer NOT NULL DEFAULT 0 CHECK (xp >= 0),
      badges jsonb NOT NULL DEFAULT '[]'::jsonb,
      status text NOT NULL DEFAULT 'not_started' CHECK (status IN ('not_started', 'in_progress', 'completed')),
      started_at timestamptz,
      last_activity_at timestamptz,
      completed_at timestamptz,
      updated_at timestamptz,
      CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
      PRIMARY KEY (organization_id, learner_id, track_id),
      FOREIGN KEY (organization_id, track_id) REFERENCES tracks (organization_id, id)
    )`
  yield* sql`CREATE INDEX progress_track ON progress (organization_id, track_id, status)`
})
