/**
 * The `dispatch` schema: the outbox (`events`), who subscribes to what (`subscriptions`), one
 * delivery row per (consumer, event) still to be handled (`deliveries`), the consumers' record of
 * handled events (`inbox`) and the events they gave up on (`dead_letters`).
 *
 * Why per-consumer delivery rows: they are inserted by the producer's transaction, so they become
 * visible exactly when it commits. A cursor over an insert-time sequence would skip an event whose
 * transaction took its number earlier but committed later; a delivery row cannot be skipped.
 */
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export const SCHEMA = "dispatch"

/** The NOTIFY channel; the payload is the consumer name to wake. */
export const CHANNEL = "tessera_dispatch"

const initial = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE SEQUENCE fencing_tokens`
  yield* sql`
    CREATE TABLE events (
      position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      event_type text NOT NULL,
      event_version integer NOT NULL,
      producer text NOT NULL,
      organization_id text NOT NULL,
      subject_type text NOT NULL,
      subject_id text NOT NULL,
      actor_type text NOT NULL,
      actor_id text NOT NULL,
      correlation_id text NOT NULL,
      causation_id text,
      traceparent text,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL,
      payload jsonb NOT NULL
    )`
  yield* sql`
    CREATE TABLE subscriptions (
      event_type text NOT NULL,
      consumer text NOT NULL,
      registered_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (event_type, consumer)
    )`
  yield* sql`
    CREATE TABLE deliveries (
      consumer text NOT NULL,
      position bigint NOT NULL REFERENCES events (position),
      subject_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      available_at timestamptz NOT NULL DEFAULT now(),
      leased_until timestamptz,
      lease_token bigint,
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      PRIMARY KEY (consumer, position)
    )`
  // Rows that were ever claimed (leased, backing off, or orphaned by a crash): the small set the
  // claim checks to keep each subject's events in order.
  yield* sql`CREATE INDEX deliveries_attempted ON deliveries (consumer, subject_key) WHERE attempts > 0`
  yield* sql`
    CREATE TABLE inbox (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    )`
  yield* sql`
    CREATE TABLE dead_letters (
      consumer text NOT NULL,
      position bigint NOT NULL REFERENCES events (position),
      subject_key text NOT NULL,
      reason text NOT NULL,
      error text NOT NULL,
      attempts integer NOT NULL,
      dead_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, position)
    )`
})

/**
 * Deliveries and dead letters are only ever written together with their event (same statement,
 * or moved from a delivery), so the foreign keys add nothing but a check per row, and that check
 * locks the event row (FOR KEY SHARE): with two consumers, every event became a multixact.
 */
const dropDeliveryForeignKeys = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE deliveries DROP CONSTRAINT deliveries_position_fkey`
  yield* sql`ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_position_fkey`
})

/**
 * The claim as one round trip. A volatile PL/pgSQL function runs each statement with a fresh
 * snapshot, so the claim query sees everything committed before it got the consumer's advisory
 * lock (which serialises claims across processes). Its commit is asynchronous: a lost claim only
 * unleases rows.
 */
const claimFunction = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE FUNCTION claim(p_consumer text, p_limit integer, p_lease_ms double precision)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, attempts integer, lease_token bigint, event_id text, event_type text,
      event_version integer, producer text, organization_id text, subject_type text, subject_id text,
      actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE AS $fn$
    #variable_conflict use_column
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      PERFORM pg_advisory_xact_lock(hashtext('tessera.dispatch.claim.' || p_consumer));
      RETURN QUERY
        WITH blocked AS (
          SELECT DISTINCT d.subject_key FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.attempts > 0 AND (d.leased_until > now() OR d.available_at > now())
        ),
        picked AS (
          SELECT d.position FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer
            AND d.available_at <= now()
            AND (d.leased_until IS NULL OR d.leased_until <= now())
            AND d.subject_key NOT IN (SELECT b.subject_key FROM blocked b)
          ORDER BY d.position
          LIMIT p_limit
          FOR UPDATE
        ),
        claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond',
              lease_token = nextval('dispatch.fencing_tokens'),
              attempts = d.attempts + 1
          FROM picked
          WHERE d.consumer = p_consumer AND d.position = picked.position
          RETURNING d.position, d.subject_key, d.attempts, d.lease_token
        )
        SELECT c.position, c.subject_key, c.attempts, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * A delivery whose lease ran out is an attempt that never reported back: its handler crashed or
 * hung the process. Failures clear the lease, so only such attempts leave it expired. After
 * `p_max_abandoned` attempts the event is a poison that kills its consumer: it goes to the dead
 * letters (reason `abandoned`) instead of being claimed again forever, which would also stall its
 * subject. Same function otherwise.
 */
const abandonedDeliveries = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP FUNCTION claim(text, integer, double precision)`)
  yield* sql.unsafe(`
    CREATE FUNCTION claim(p_consumer text, p_limit integer, p_lease_ms double precision, p_max_abandoned integer)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, attempts integer, lease_token bigint, event_id text, event_type text,
      event_version integer, producer text, organization_id text, subject_type text, subject_id text,
      actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE AS $fn$
    #variable_conflict use_column
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      PERFORM pg_advisory_xact_lock(hashtext('tessera.dispatch.claim.' || p_consumer));
      WITH abandoned AS (
        DELETE FROM dispatch.deliveries d
        -- attempts > 0 lets the planner use the small partial index of rows ever claimed
        WHERE d.consumer = p_consumer AND d.attempts > 0 AND d.attempts >= p_max_abandoned
          AND d.leased_until <= now()
        RETURNING d.consumer, d.position, d.subject_key, d.attempts, d.last_error
      )
      INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts)
      SELECT a.consumer, a.position, a.subject_key, 'abandoned',
        'its lease expired without an outcome (the handler crashed or hung its process) on attempt ' || a.attempts
          || coalesce('; last error: ' || a.last_error, ''),
        a.attempts
      FROM abandoned a
      ON CONFLICT (consumer, position) DO UPDATE
        SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts, dead_at = now();
      RETURN QUERY
        WITH blocked AS (
          SELECT DISTINCT d.subject_key FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.attempts > 0 AND (d.leased_until > now() OR d.available_at > now())
        ),
        picked AS (
          SELECT d.position FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer
            AND d.available_at <= now()
            AND (d.leased_until IS NULL OR d.leased_until <= now())
            AND d.subject_key NOT IN (SELECT b.subject_key FROM blocked b)
          ORDER BY d.position
          LIMIT p_limit
          FOR UPDATE
        ),
        claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond',
              lease_token = nextval('dispatch.fencing_tokens'),
              attempts = d.attempts + 1
          FROM picked
          WHERE d.consumer = p_consumer AND d.position = picked.position
          RETURNING d.position, d.subject_key, d.attempts, d.lease_token
        )
        SELECT c.position, c.subject_key, c.attempts, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * The v2 claim model (issues #10 and #17).
 *
 * - Counters apart: `failures` (the handler ran and failed or timed out; was `attempts`, which
 *   every claim used to increment) and `abandoned` (a lease expired on the row that was being
 *   handled: the process crashed or hung). A row claimed but never handed to a handler counts in
 *   neither.
 * - `dead`: a delivery kept in place as a dead letter of a `strict` consumer, blocking its
 *   subject until it is replayed or discarded. Dead letters get a status (`dead` | `discarded`,
 *   kept for audit) and their counters.
 * - Claims per lane, `SKIP LOCKED`, no consumer-wide lock: a row is claimable when it is the
 *   oldest row of its subject (the "head": nothing earlier of the subject is pending, leased,
 *   backing off or dead), unleased and due. Two claims running at once can both see a subject's
 *   head, but only one locks it, and the next row of the subject is no head while the first
 *   exists: per-subject order holds across processes without serialising claims.
 * - `deliveries_ready` holds only unleased live rows, in position order, so the claim reads the
 *   oldest claimable rows and skips only rows of subjects in flight (never the whole backlog);
 *   `deliveries_subject` answers "is it the head?" with one index probe.
 * - Plans that survive ANALYZE of an empty queue (#17.1): the claim function runs with hash and
 *   merge joins, sequential and bitmap scans disabled (settings scoped to the function), so the
 *   planner cannot pick a join that compares every pending row with every candidate whatever
 *   statistics it sees; the remaining plan is index probes in position order.
 * - Queue-table bloat (#17.3): deliveries are vacuumed every few thousand dead rows instead of
 *   after 20% of the table.
 * - Backfill without blocking publishers: subscriptions record the high-water mark fixed under a
 *   brief lock and how far the batched copy got (resumable, idempotent); `events_type_position`
 *   makes the copy an index range read.
 */
const claimModelV2 = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP FUNCTION claim(text, integer, double precision, integer)`)
  yield* sql`ALTER TABLE deliveries RENAME COLUMN attempts TO failures`
  // Every claim used to count an attempt: give back what the leases in flight counted.
  yield* sql`
    UPDATE deliveries SET failures = GREATEST(failures - 1, 0), leased_until = NULL, lease_token = NULL
    WHERE leased_until IS NOT NULL`
  yield* sql`ALTER TABLE deliveries ADD COLUMN abandoned integer NOT NULL DEFAULT 0`
  yield* sql`ALTER TABLE deliveries ADD COLUMN dead boolean NOT NULL DEFAULT false`
  yield* sql`DROP INDEX deliveries_attempted`
  yield* sql`CREATE INDEX deliveries_ready ON deliveries (consumer, position) WHERE leased_until IS NULL AND NOT dead`
  yield* sql`CREATE INDEX deliveries_subject ON deliveries (consumer, subject_key, position)`
  yield* sql`CREATE INDEX deliveries_leased ON deliveries (consumer, leased_until) WHERE leased_until IS NOT NULL`
  yield* sql`CREATE INDEX deliveries_dead ON deliveries (consumer, subject_key) WHERE dead`
  yield* sql.unsafe(`
    ALTER TABLE deliveries SET (
      autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
      autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000,
      autovacuum_vacuum_cost_delay = 0
    )`)
  yield* sql`ALTER TABLE dead_letters ADD COLUMN failures integer NOT NULL DEFAULT 0`
  yield* sql`ALTER TABLE dead_letters ADD COLUMN abandoned integer NOT NULL DEFAULT 0`
  yield* sql`
    ALTER TABLE dead_letters ADD COLUMN status text NOT NULL DEFAULT 'dead'
      CHECK (status IN ('dead', 'discarded'))`
  yield* sql`ALTER TABLE dead_letters ADD COLUMN discarded_at timestamptz`
  yield* sql`ALTER TABLE dead_letters ADD COLUMN discard_reason text`
  yield* sql`UPDATE dead_letters SET failures = attempts`
  yield* sql`CREATE INDEX dead_letters_position ON dead_letters (position)`
  yield* sql`CREATE INDEX dead_letters_dead_at ON dead_letters (dead_at)`
  yield* sql`CREATE INDEX inbox_processed_at ON inbox (processed_at)`
  yield* sql`CREATE INDEX events_type_position ON events (event_type, position)`
  yield* sql`CREATE INDEX events_recorded_at ON events (recorded_at)`
  yield* sql`ALTER TABLE subscriptions ADD COLUMN backfill_to bigint NOT NULL DEFAULT 0`
  yield* sql`ALTER TABLE subscriptions ADD COLUMN backfilled_through bigint NOT NULL DEFAULT 0`
  yield* sql.unsafe(`
    CREATE FUNCTION claim_group(p_consumer text, p_limit integer, p_lease_ms double precision, p_max_abandoned integer, p_strict boolean)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, failures integer, abandoned integer, lease_token bigint,
      event_id text, event_type text, event_version integer, producer text, organization_id text, subject_type text,
      subject_id text, actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off SET enable_bitmapscan = off
    SET plan_cache_mode = force_custom_plan
    AS $fn$
    #variable_conflict use_column
    DECLARE
      v_token bigint;
      v_dead bigint[];
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      -- Expired leases, by one claimer at a time (the others skip this). A row whose handler
      -- transaction is still open is locked by its acknowledgement and skipped. Of each expired
      -- claim (one token), only the oldest row left was being handled (a lane handles its rows in
      -- order and gives back what it will not start): it counts as abandoned; the rest were never
      -- handed to a handler and are simply unleased.
      IF pg_try_advisory_xact_lock(hashtext('tessera.dispatch.sweep.' || p_consumer)) THEN
        WITH expired AS (
          SELECT d.position, d.lease_token FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.leased_until IS NOT NULL AND d.leased_until <= now()
          FOR UPDATE OF d SKIP LOCKED
        ),
        handling AS (SELECT min(x.position) AS position FROM expired x GROUP BY x.lease_token),
        swept AS (
          UPDATE dispatch.deliveries d
          SET leased_until = NULL, lease_token = NULL,
            abandoned = d.abandoned + (CASE WHEN h.position IS NULL THEN 0 ELSE 1 END),
            dead = (h.position IS NOT NULL AND d.abandoned + 1 >= p_max_abandoned)
          FROM expired x LEFT JOIN handling h ON h.position = x.position
          WHERE d.consumer = p_consumer AND d.position = x.position
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.dead, d.last_error
        ),
        lettered AS (
          INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
          SELECT p_consumer, s.position, s.subject_key, 'Abandoned',
            'its lease expired ' || s.abandoned || ' time(s) while it was being handled (the process crashed or hung)'
              || coalesce('; last error: ' || s.last_error, ''),
            s.failures + s.abandoned, s.failures, s.abandoned
          FROM swept s WHERE s.dead
          ON CONFLICT (consumer, position) DO UPDATE
            SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
              failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
              discarded_at = NULL, discard_reason = NULL
          RETURNING position
        )
        SELECT array_agg(l.position) INTO v_dead FROM lettered l;
        -- skip: the dead letter leaves the deliveries; strict: it stays (dead) and blocks its subject.
        IF NOT p_strict AND v_dead IS NOT NULL THEN
          DELETE FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position = ANY(v_dead);
        END IF;
      END IF;
      v_token := nextval('dispatch.fencing_tokens');
      RETURN QUERY
        WITH picked AS (
          -- pick:begin
          SELECT d.position FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.leased_until IS NULL AND NOT d.dead AND d.available_at <= now()
            AND NOT EXISTS (
              SELECT 1 FROM dispatch.deliveries h
              WHERE h.consumer = p_consumer AND h.subject_key = d.subject_key AND h.position < d.position
            )
          ORDER BY d.position
          LIMIT p_limit
          FOR UPDATE OF d SKIP LOCKED
          -- pick:end
        ),
        claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond', lease_token = v_token
          FROM picked
          WHERE d.consumer = p_consumer AND d.position = picked.position
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.lease_token
        )
        SELECT c.position, c.subject_key, c.failures, c.abandoned, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * Claim cost bounded when heads are scarce (#10.1). Migration 0005's pick walked ready rows in
 * position order until it found `p_limit` heads: when most subjects are in flight or blocked and
 * their tails fill the queue (a few subjects with long backlogs, a strict subject blocked behind
 * a dead letter), it read every pending row on every claim. Now:
 * 1. the heads among the oldest `p_window` (2,000) ready rows, read in position order (the common
 *    case: heads are plentiful among the oldest rows);
 * 2. only when that window was full and yielded fewer than `p_limit` heads, the heads of each
 *    pending subject, found by a skip scan over `deliveries_subject` (one probe per subject: the
 *    cost follows the number of pending subjects, not of pending rows), oldest first.
 * Same signature, same settings; the sweep is unchanged.
 */
const boundedClaim = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE OR REPLACE FUNCTION claim_group(p_consumer text, p_limit integer, p_lease_ms double precision, p_max_abandoned integer, p_strict boolean)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, failures integer, abandoned integer, lease_token bigint,
      event_id text, event_type text, event_version integer, producer text, organization_id text, subject_type text,
      subject_id text, actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off SET enable_bitmapscan = off
    SET plan_cache_mode = force_custom_plan
    AS $fn$
    #variable_conflict use_column
    DECLARE
      v_token bigint;
      v_dead bigint[];
      v_picked bigint[];
      v_window integer;
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      IF pg_try_advisory_xact_lock(hashtext('tessera.dispatch.sweep.' || p_consumer)) THEN
        WITH expired AS (
          SELECT d.position, d.lease_token FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.leased_until IS NOT NULL AND d.leased_until <= now()
          FOR UPDATE OF d SKIP LOCKED
        ),
        handling AS (SELECT min(x.position) AS position FROM expired x GROUP BY x.lease_token),
        swept AS (
          UPDATE dispatch.deliveries d
          SET leased_until = NULL, lease_token = NULL,
            abandoned = d.abandoned + (CASE WHEN h.position IS NULL THEN 0 ELSE 1 END),
            dead = (h.position IS NOT NULL AND d.abandoned + 1 >= p_max_abandoned)
          FROM expired x LEFT JOIN handling h ON h.position = x.position
          WHERE d.consumer = p_consumer AND d.position = x.position
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.dead, d.last_error
        ),
        lettered AS (
          INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
          SELECT p_consumer, s.position, s.subject_key, 'Abandoned',
            'its lease expired ' || s.abandoned || ' time(s) while it was being handled (the process crashed or hung)'
              || coalesce('; last error: ' || s.last_error, ''),
            s.failures + s.abandoned, s.failures, s.abandoned
          FROM swept s WHERE s.dead
          ON CONFLICT (consumer, position) DO UPDATE
            SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
              failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
              discarded_at = NULL, discard_reason = NULL
          RETURNING position
        )
        SELECT array_agg(l.position) INTO v_dead FROM lettered l;
        IF NOT p_strict AND v_dead IS NOT NULL THEN
          DELETE FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position = ANY(v_dead);
        END IF;
      END IF;
      v_token := nextval('dispatch.fencing_tokens');
      -- 1. Heads among the oldest ready rows (a bounded window).
      WITH win AS MATERIALIZED (
        -- window:begin
        SELECT r.position, r.subject_key, r.available_at FROM dispatch.deliveries r
        WHERE r.consumer = p_consumer AND r.leased_until IS NULL AND NOT r.dead
        ORDER BY r.position
        LIMIT 2000
        -- window:end
      ),
      picked AS (
        -- pick:begin
        SELECT d.position FROM win w JOIN dispatch.deliveries d ON d.consumer = p_consumer AND d.position = w.position
        WHERE w.available_at <= now() AND d.leased_until IS NULL AND NOT d.dead
          AND NOT EXISTS (
            SELECT 1 FROM dispatch.deliveries h
            WHERE h.consumer = p_consumer AND h.subject_key = w.subject_key AND h.position < w.position
          )
        ORDER BY w.position
        LIMIT p_limit
        FOR UPDATE OF d SKIP LOCKED
        -- pick:end
      )
      SELECT (SELECT count(*) FROM win)::int, (SELECT array_agg(p.position) FROM picked p) INTO v_window, v_picked;
      -- 2. A full window with too few heads: the heads of every pending subject (skip scan).
      IF v_window >= 2000 AND coalesce(cardinality(v_picked), 0) < p_limit THEN
        WITH RECURSIVE subjects AS (
          -- heads:begin
          (SELECT d.subject_key FROM dispatch.deliveries d WHERE d.consumer = p_consumer ORDER BY d.subject_key LIMIT 1)
          UNION ALL
          SELECT (SELECT d.subject_key FROM dispatch.deliveries d
                  WHERE d.consumer = p_consumer AND d.subject_key > s.subject_key ORDER BY d.subject_key LIMIT 1)
          FROM subjects s WHERE s.subject_key IS NOT NULL
        ),
        heads AS (
          SELECT h.position FROM subjects s CROSS JOIN LATERAL (
            SELECT d.position, d.leased_until, d.dead, d.available_at FROM dispatch.deliveries d
            WHERE d.consumer = p_consumer AND d.subject_key = s.subject_key ORDER BY d.position LIMIT 1
          ) h
          WHERE s.subject_key IS NOT NULL AND h.leased_until IS NULL AND NOT h.dead AND h.available_at <= now()
          -- heads:end
        ),
        more AS (
          SELECT d.position FROM heads x JOIN dispatch.deliveries d ON d.consumer = p_consumer AND d.position = x.position
          WHERE d.leased_until IS NULL AND NOT d.dead AND d.position <> ALL(coalesce(v_picked, '{}'))
          ORDER BY x.position
          LIMIT p_limit - coalesce(cardinality(v_picked), 0)
          FOR UPDATE OF d SKIP LOCKED
        )
        SELECT coalesce(v_picked, '{}') || coalesce(array_agg(m.position), '{}') INTO v_picked FROM more m;
      END IF;
      IF v_picked IS NULL OR cardinality(v_picked) = 0 THEN
        RETURN;
      END IF;
      RETURN QUERY
        WITH claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond', lease_token = v_token
          WHERE d.consumer = p_consumer AND d.position = ANY(v_picked)
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.lease_token
        )
        SELECT c.position, c.subject_key, c.failures, c.abandoned, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * Claim locks held for milliseconds (#10.1, measured with a pinned xmin). Migration 0006 locked
 * its candidates (`FOR UPDATE SKIP LOCKED`) inside the statement that also searched for them. A
 * row leased by another lane after the search's snapshot is locked anyway (PostgreSQL locks the
 * newest version before it rechecks the conditions, and keeps the lock when the recheck fails)
 * until the claim's transaction ends: when claims slowed down (a pinned xmin leaves dead index
 * entries to walk), other lanes' acknowledgements waited on those locks past their
 * `lock_timeout`. Now the search locks nothing; a last short statement locks the candidates still
 * unleased, with a fresh snapshot, and leases them. A candidate stays a head in between: rows
 * of its subject only go away, and a batch's put-back rows were never seen missing.
 */
const briefClaimLocks = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE OR REPLACE FUNCTION claim_group(p_consumer text, p_limit integer, p_lease_ms double precision, p_max_abandoned integer, p_strict boolean)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, failures integer, abandoned integer, lease_token bigint,
      event_id text, event_type text, event_version integer, producer text, organization_id text, subject_type text,
      subject_id text, actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off SET enable_bitmapscan = off
    SET plan_cache_mode = force_custom_plan
    AS $fn$
    #variable_conflict use_column
    DECLARE
      v_token bigint;
      v_dead bigint[];
      v_picked bigint[];
      v_window integer;
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      IF pg_try_advisory_xact_lock(hashtext('tessera.dispatch.sweep.' || p_consumer)) THEN
        WITH expired AS (
          SELECT d.position, d.lease_token FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.leased_until IS NOT NULL AND d.leased_until <= now()
          FOR UPDATE OF d SKIP LOCKED
        ),
        handling AS (SELECT min(x.position) AS position FROM expired x GROUP BY x.lease_token),
        swept AS (
          UPDATE dispatch.deliveries d
          SET leased_until = NULL, lease_token = NULL,
            abandoned = d.abandoned + (CASE WHEN h.position IS NULL THEN 0 ELSE 1 END),
            dead = (h.position IS NOT NULL AND d.abandoned + 1 >= p_max_abandoned)
          FROM expired x LEFT JOIN handling h ON h.position = x.position
          WHERE d.consumer = p_consumer AND d.position = x.position
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.dead, d.last_error
        ),
        lettered AS (
          INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
          SELECT p_consumer, s.position, s.subject_key, 'Abandoned',
            'its lease expired ' || s.abandoned || ' time(s) while it was being handled (the process crashed or hung)'
              || coalesce('; last error: ' || s.last_error, ''),
            s.failures + s.abandoned, s.failures, s.abandoned
          FROM swept s WHERE s.dead
          ON CONFLICT (consumer, position) DO UPDATE
            SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
              failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
              discarded_at = NULL, discard_reason = NULL
          RETURNING position
        )
        SELECT array_agg(l.position) INTO v_dead FROM lettered l;
        IF NOT p_strict AND v_dead IS NOT NULL THEN
          DELETE FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position = ANY(v_dead);
        END IF;
      END IF;
      v_token := nextval('dispatch.fencing_tokens');
      -- 1. Heads among the oldest ready rows (a bounded window).
      WITH win AS MATERIALIZED (
        -- window:begin
        SELECT r.position, r.subject_key, r.available_at FROM dispatch.deliveries r
        WHERE r.consumer = p_consumer AND r.leased_until IS NULL AND NOT r.dead
        ORDER BY r.position
        LIMIT 2000
        -- window:end
      ),
      picked AS (
        -- pick:begin
        SELECT d.position FROM win w JOIN dispatch.deliveries d ON d.consumer = p_consumer AND d.position = w.position
        WHERE w.available_at <= now() AND d.leased_until IS NULL AND NOT d.dead
          AND NOT EXISTS (
            SELECT 1 FROM dispatch.deliveries h
            WHERE h.consumer = p_consumer AND h.subject_key = w.subject_key AND h.position < w.position
          )
        ORDER BY w.position
        LIMIT p_limit
        -- pick:end
      )
      SELECT (SELECT count(*) FROM win)::int, (SELECT array_agg(p.position) FROM picked p) INTO v_window, v_picked;
      -- 2. A full window with too few heads: the heads of every pending subject (skip scan).
      IF v_window >= 2000 AND coalesce(cardinality(v_picked), 0) < p_limit THEN
        WITH RECURSIVE subjects AS (
          -- heads:begin
          (SELECT d.subject_key FROM dispatch.deliveries d WHERE d.consumer = p_consumer ORDER BY d.subject_key LIMIT 1)
          UNION ALL
          SELECT (SELECT d.subject_key FROM dispatch.deliveries d
                  WHERE d.consumer = p_consumer AND d.subject_key > s.subject_key ORDER BY d.subject_key LIMIT 1)
          FROM subjects s WHERE s.subject_key IS NOT NULL
        ),
        heads AS (
          SELECT h.position FROM subjects s CROSS JOIN LATERAL (
            SELECT d.position, d.leased_until, d.dead, d.available_at FROM dispatch.deliveries d
            WHERE d.consumer = p_consumer AND d.subject_key = s.subject_key ORDER BY d.position LIMIT 1
          ) h
          WHERE s.subject_key IS NOT NULL AND h.leased_until IS NULL AND NOT h.dead AND h.available_at <= now()
          -- heads:end
        ),
        more AS (
          SELECT d.position FROM heads x JOIN dispatch.deliveries d ON d.consumer = p_consumer AND d.position = x.position
          WHERE d.leased_until IS NULL AND NOT d.dead AND d.position <> ALL(coalesce(v_picked, '{}'))
          ORDER BY x.position
          LIMIT p_limit - coalesce(cardinality(v_picked), 0)
        )
        SELECT coalesce(v_picked, '{}') || coalesce(array_agg(m.position), '{}') INTO v_picked FROM more m;
      END IF;
      IF v_picked IS NULL OR cardinality(v_picked) = 0 THEN
        RETURN;
      END IF;
      -- 3. Lock the candidates still unleased (a fresh snapshot; SKIP LOCKED), then lease them.
      RETURN QUERY
        WITH locked AS (
          SELECT d.position FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.position = ANY(v_picked) AND d.leased_until IS NULL AND NOT d.dead
          FOR UPDATE OF d SKIP LOCKED
        ),
        claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond', lease_token = v_token
          FROM locked l
          WHERE d.consumer = p_consumer AND d.position = l.position
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.lease_token
        )
        SELECT c.position, c.subject_key, c.failures, c.abandoned, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * No joins against `deliveries` in the claim's writes (#17.1, found by the benchmark). After
 * ANALYZE of an empty queue the planner believed `deliveries` held no row and drove the lease's
 * UPDATE (`FROM locked`) and the sweep's (`FROM expired`) from a scan of the consumer's rows,
 * each compared with every candidate: claims of 64 rows took about a second over a 20k backlog.
 * Each write now names its rows by `position = ANY(array)`, an index lookup whatever the
 * statistics say, and the searches no longer join back to `deliveries` (the lock statement
 * rechecks what they found).
 */
const claimWithoutJoins = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE OR REPLACE FUNCTION claim_group(p_consumer text, p_limit integer, p_lease_ms double precision, p_max_abandoned integer, p_strict boolean)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, failures integer, abandoned integer, lease_token bigint,
      event_id text, event_type text, event_version integer, producer text, organization_id text, subject_type text,
      subject_id text, actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off SET enable_bitmapscan = off
    SET plan_cache_mode = force_custom_plan
    AS $fn$
    #variable_conflict use_column
    DECLARE
      v_token bigint;
      v_dead bigint[];
      v_picked bigint[];
      v_window integer;
      v_expired bigint[];
      v_handling bigint[];
      v_locked bigint[];
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      IF pg_try_advisory_xact_lock(hashtext('tessera.dispatch.sweep.' || p_consumer)) THEN
        WITH expired AS (
          SELECT d.position, d.lease_token FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.leased_until IS NOT NULL AND d.leased_until <= now()
          FOR UPDATE OF d SKIP LOCKED
        )
        SELECT array_agg(x.position),
          array_agg(x.position) FILTER (WHERE x.position IN (SELECT min(y.position) FROM expired y GROUP BY y.lease_token))
        INTO v_expired, v_handling
        FROM expired x;
        IF v_expired IS NOT NULL THEN
          WITH swept AS (
            UPDATE dispatch.deliveries d
            SET leased_until = NULL, lease_token = NULL,
              abandoned = d.abandoned + (CASE WHEN d.position = ANY(coalesce(v_handling, '{}')) THEN 1 ELSE 0 END),
              dead = (d.position = ANY(coalesce(v_handling, '{}')) AND d.abandoned + 1 >= p_max_abandoned)
            WHERE d.consumer = p_consumer AND d.position = ANY(v_expired)
            RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.dead, d.last_error
          ),
          lettered AS (
            INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
            SELECT p_consumer, s.position, s.subject_key, 'Abandoned',
              'its lease expired ' || s.abandoned || ' time(s) while it was being handled (the process crashed or hung)'
                || coalesce('; last error: ' || s.last_error, ''),
              s.failures + s.abandoned, s.failures, s.abandoned
            FROM swept s WHERE s.dead
            ON CONFLICT (consumer, position) DO UPDATE
              SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
                failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
                discarded_at = NULL, discard_reason = NULL
            RETURNING position
          )
          SELECT array_agg(l.position) INTO v_dead FROM lettered l;
          IF NOT p_strict AND v_dead IS NOT NULL THEN
            DELETE FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position = ANY(v_dead);
          END IF;
        END IF;
      END IF;
      v_token := nextval('dispatch.fencing_tokens');
      -- 1. Heads among the oldest ready rows (a bounded window).
      WITH win AS MATERIALIZED (
        -- window:begin
        SELECT r.position, r.subject_key, r.available_at FROM dispatch.deliveries r
        WHERE r.consumer = p_consumer AND r.leased_until IS NULL AND NOT r.dead
        ORDER BY r.position
        LIMIT 2000
        -- window:end
      ),
      picked AS (
        -- pick:begin
        SELECT w.position FROM win w
        WHERE w.available_at <= now()
          AND NOT EXISTS (
            SELECT 1 FROM dispatch.deliveries h
            WHERE h.consumer = p_consumer AND h.subject_key = w.subject_key AND h.position < w.position
          )
        ORDER BY w.position
        LIMIT p_limit
        -- pick:end
      )
      SELECT (SELECT count(*) FROM win)::int, (SELECT array_agg(p.position) FROM picked p) INTO v_window, v_picked;
      -- 2. A full window with too few heads: the heads of every pending subject (skip scan).
      IF v_window >= 2000 AND coalesce(cardinality(v_picked), 0) < p_limit THEN
        WITH RECURSIVE subjects AS (
          -- heads:begin
          (SELECT d.subject_key FROM dispatch.deliveries d WHERE d.consumer = p_consumer ORDER BY d.subject_key LIMIT 1)
          UNION ALL
          SELECT (SELECT d.subject_key FROM dispatch.deliveries d
                  WHERE d.consumer = p_consumer AND d.subject_key > s.subject_key ORDER BY d.subject_key LIMIT 1)
          FROM subjects s WHERE s.subject_key IS NOT NULL
        ),
        heads AS (
          SELECT h.position FROM subjects s CROSS JOIN LATERAL (
            SELECT d.position, d.leased_until, d.dead, d.available_at FROM dispatch.deliveries d
            WHERE d.consumer = p_consumer AND d.subject_key = s.subject_key ORDER BY d.position LIMIT 1
          ) h
          WHERE s.subject_key IS NOT NULL AND h.leased_until IS NULL AND NOT h.dead AND h.available_at <= now()
          -- heads:end
        ),
        more AS (
          SELECT x.position FROM heads x
          WHERE x.position <> ALL(coalesce(v_picked, '{}'))
          ORDER BY x.position
          LIMIT p_limit - coalesce(cardinality(v_picked), 0)
        )
        SELECT coalesce(v_picked, '{}') || coalesce(array_agg(m.position), '{}') INTO v_picked FROM more m;
      END IF;
      IF v_picked IS NULL OR cardinality(v_picked) = 0 THEN
        RETURN;
      END IF;
      -- 3. Lock the candidates still unleased (a fresh snapshot; SKIP LOCKED), then lease them.
      SELECT array_agg(l.position) INTO v_locked FROM (
        SELECT d.position FROM dispatch.deliveries d
        WHERE d.consumer = p_consumer AND d.position = ANY(v_picked) AND d.leased_until IS NULL AND NOT d.dead
        FOR UPDATE OF d SKIP LOCKED
      ) l;
      IF v_locked IS NULL THEN
        RETURN;
      END IF;
      RETURN QUERY
        WITH claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond', lease_token = v_token
          WHERE d.consumer = p_consumer AND d.position = ANY(v_locked)
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.lease_token
        )
        SELECT c.position, c.subject_key, c.failures, c.abandoned, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * The head test as a correlated subquery (#17.1, reproduced: ANALYZE of a drained table that still
 * has pages leaves `reltuples = 0` and `relpages > 0`). PostgreSQL turns `NOT EXISTS (earlier row
 * of the subject)` into an anti join, and believing `deliveries` empty it scanned the consumer's
 * whole index for every candidate, filtering by subject afterwards: 1.28 million rows compared
 * for 64 candidates over a 20k backlog, 230–280 ms per claim (about a second under load). A
 * scalar `min(position)` per candidate stays a subplan evaluated with the candidate's subject as
 * an index key: one index probe each, whatever the statistics.
 */
const headsBySubPlan = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE OR REPLACE FUNCTION claim_group(p_consumer text, p_limit integer, p_lease_ms double precision, p_max_abandoned integer, p_strict boolean)
    RETURNS TABLE (
      delivery_position bigint, subject_key text, failures integer, abandoned integer, lease_token bigint,
      event_id text, event_type text, event_version integer, producer text, organization_id text, subject_type text,
      subject_id text, actor_type text, actor_id text, correlation_id text, causation_id text, traceparent text,
      occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off SET enable_bitmapscan = off
    SET plan_cache_mode = force_custom_plan
    AS $fn$
    #variable_conflict use_column
    DECLARE
      v_token bigint;
      v_dead bigint[];
      v_picked bigint[];
      v_window integer;
      v_expired bigint[];
      v_handling bigint[];
      v_locked bigint[];
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      IF pg_try_advisory_xact_lock(hashtext('tessera.dispatch.sweep.' || p_consumer)) THEN
        WITH expired AS (
          SELECT d.position, d.lease_token FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.leased_until IS NOT NULL AND d.leased_until <= now()
          FOR UPDATE OF d SKIP LOCKED
        )
        SELECT array_agg(x.position),
          array_agg(x.position) FILTER (WHERE x.position IN (SELECT min(y.position) FROM expired y GROUP BY y.lease_token))
        INTO v_expired, v_handling
        FROM expired x;
        IF v_expired IS NOT NULL THEN
          WITH swept AS (
            UPDATE dispatch.deliveries d
            SET leased_until = NULL, lease_token = NULL,
              abandoned = d.abandoned + (CASE WHEN d.position = ANY(coalesce(v_handling, '{}')) THEN 1 ELSE 0 END),
              dead = (d.position = ANY(coalesce(v_handling, '{}')) AND d.abandoned + 1 >= p_max_abandoned)
            WHERE d.consumer = p_consumer AND d.position = ANY(v_expired)
            RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.dead, d.last_error
          ),
          lettered AS (
            INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
            SELECT p_consumer, s.position, s.subject_key, 'Abandoned',
              'its lease expired ' || s.abandoned || ' time(s) while it was being handled (the process crashed or hung)'
                || coalesce('; last error: ' || s.last_error, ''),
              s.failures + s.abandoned, s.failures, s.abandoned
            FROM swept s WHERE s.dead
            ON CONFLICT (consumer, position) DO UPDATE
              SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
                failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
                discarded_at = NULL, discard_reason = NULL
            RETURNING position
          )
          SELECT array_agg(l.position) INTO v_dead FROM lettered l;
          IF NOT p_strict AND v_dead IS NOT NULL THEN
            DELETE FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position = ANY(v_dead);
          END IF;
        END IF;
      END IF;
      v_token := nextval('dispatch.fencing_tokens');
      -- 1. Heads among the oldest ready rows (a bounded window).
      WITH win AS MATERIALIZED (
        -- window:begin
        SELECT r.position, r.subject_key, r.available_at FROM dispatch.deliveries r
        WHERE r.consumer = p_consumer AND r.leased_until IS NULL AND NOT r.dead
        ORDER BY r.position
        LIMIT 2000
        -- window:end
      ),
      picked AS (
        -- pick:begin
        SELECT w.position FROM win w
        WHERE w.available_at <= now()
          AND w.position = (
            SELECT min(h.position) FROM dispatch.deliveries h
            WHERE h.consumer = p_consumer AND h.subject_key = w.subject_key
          )
        ORDER BY w.position
        LIMIT p_limit
        -- pick:end
      )
      SELECT (SELECT count(*) FROM win)::int, (SELECT array_agg(p.position) FROM picked p) INTO v_window, v_picked;
      -- 2. A full window with too few heads: the heads of every pending subject (skip scan).
      IF v_window >= 2000 AND coalesce(cardinality(v_picked), 0) < p_limit THEN
        WITH RECURSIVE subjects AS (
          -- heads:begin
          (SELECT d.subject_key FROM dispatch.deliveries d WHERE d.consumer = p_consumer ORDER BY d.subject_key LIMIT 1)
          UNION ALL
          SELECT (SELECT d.subject_key FROM dispatch.deliveries d
                  WHERE d.consumer = p_consumer AND d.subject_key > s.subject_key ORDER BY d.subject_key LIMIT 1)
          FROM subjects s WHERE s.subject_key IS NOT NULL
        ),
        heads AS (
          SELECT h.position FROM subjects s CROSS JOIN LATERAL (
            SELECT d.position, d.leased_until, d.dead, d.available_at FROM dispatch.deliveries d
            WHERE d.consumer = p_consumer AND d.subject_key = s.subject_key ORDER BY d.position LIMIT 1
          ) h
          WHERE s.subject_key IS NOT NULL AND h.leased_until IS NULL AND NOT h.dead AND h.available_at <= now()
          -- heads:end
        ),
        more AS (
          SELECT x.position FROM heads x
          WHERE x.position <> ALL(coalesce(v_picked, '{}'))
          ORDER BY x.position
          LIMIT p_limit - coalesce(cardinality(v_picked), 0)
        )
        SELECT coalesce(v_picked, '{}') || coalesce(array_agg(m.position), '{}') INTO v_picked FROM more m;
      END IF;
      IF v_picked IS NULL OR cardinality(v_picked) = 0 THEN
        RETURN;
      END IF;
      -- 3. Lock the candidates still unleased (a fresh snapshot; SKIP LOCKED), then lease them.
      SELECT array_agg(l.position) INTO v_locked FROM (
        SELECT d.position FROM dispatch.deliveries d
        WHERE d.consumer = p_consumer AND d.position = ANY(v_picked) AND d.leased_until IS NULL AND NOT d.dead
        FOR UPDATE OF d SKIP LOCKED
      ) l;
      IF v_locked IS NULL THEN
        RETURN;
      END IF;
      RETURN QUERY
        WITH claimed AS (
          UPDATE dispatch.deliveries d
          SET leased_until = now() + p_lease_ms * interval '1 millisecond', lease_token = v_token
          WHERE d.consumer = p_consumer AND d.position = ANY(v_locked)
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.lease_token
        )
        SELECT c.position, c.subject_key, c.failures, c.abandoned, c.lease_token, e.event_id::text, e.event_type,
          e.event_version, e.producer, e.organization_id, e.subject_type, e.subject_id, e.actor_type, e.actor_id,
          e.correlation_id, e.causation_id, e.traceparent, e.occurred_at, e.recorded_at, e.payload
        FROM claimed c JOIN dispatch.events e ON e.position = c.position
        ORDER BY c.position;
    END
    $fn$`)
})

/**
 * Claim v3 (#10, measured): the row lock is the lease. A lane takes its events inside the
 * transaction that handles them: `take` picks the oldest heads of subjects (`FOR UPDATE SKIP
 * LOCKED`), deletes them and writes their inbox rows in one statement, and returns the events; the
 * handlers run; the commit acknowledges. No claim transaction, no lease columns written per row,
 * nothing to give back: a rollback (a failure, a crash, a lost connection, PostgreSQL restarting)
 * leaves the rows exactly as they were. Measured before (v2): the claim's UPDATE of every claimed
 * row and the separate acknowledgement were half of the database's time per event.
 *
 * - Per-subject order: an in-flight head is deleted by an open transaction, so every other
 *   snapshot still sees it: it is skipped (locked) and the subject's next row is no head.
 * - Crash accounting: a row lock leaves no trace once its process dies, so each lane keeps one
 *   row in `handling` per handling transaction (inserted, on another connection, right after its
 *   `take`): its transaction id, the positions it holds and a lease. `sweep` (every poll interval, one process per
 *   consumer at a time) looks at leases past their end whose transaction aborted without the lane
 *   clearing them (a lane clears its row after every rollback it survives): a lane that held one
 *   event died handling it, which counts one `abandoned` (dead letter `Abandoned` after
 *   `max_abandoned`); a lane that held several died handling one of them, so they are marked
 *   `isolate` and taken one per transaction until the culprit is found. Nothing else counts.
 * - Indexes: the primary key (consumer, position) is the claim's window; the lease indexes are gone.
 */
const claimInHandlingTransaction = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP FUNCTION claim_group(text, integer, double precision, integer, boolean)`)
  yield* sql`DROP INDEX deliveries_ready`
  yield* sql`DROP INDEX deliveries_leased`
  yield* sql`ALTER TABLE deliveries DROP COLUMN leased_until, DROP COLUMN lease_token`
  yield* sql`ALTER TABLE deliveries ADD COLUMN isolate boolean NOT NULL DEFAULT false`
  yield* sql`
    CREATE TABLE handling (
      xid xid8 NOT NULL,
      lane text NOT NULL,
      consumer text NOT NULL,
      positions bigint[] NOT NULL,
      expires_at timestamptz NOT NULL
    )`
  // One row inserted per handling transaction, never updated (an update per transaction would
  // build version chains that a pinned xmin keeps from being pruned, walked by every next update);
  // the sweep deletes the rows of transactions that committed.
  yield* sql`CREATE INDEX handling_xid ON handling (xid)`
  yield* sql`CREATE INDEX handling_consumer ON handling (consumer, expires_at)`
  yield* sql.unsafe(`
    CREATE FUNCTION take(
      p_consumer text, p_limit integer, p_positions bigint[], p_lock_ms integer, p_statement_ms integer, p_floor bigint
    )
    RETURNS TABLE (
      delivery_position bigint, subject_key text, created_at timestamptz, failures integer, abandoned integer,
      isolate boolean, fresh boolean, xid text, first_position bigint, event_id text, event_type text, event_version integer, producer text,
      organization_id text, subject_type text, subject_id text, actor_type text, actor_id text, correlation_id text,
      causation_id text, traceparent text, occurred_at timestamptz, recorded_at timestamptz, payload jsonb
    )
    LANGUAGE plpgsql VOLATILE
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off SET enable_bitmapscan = off
    SET enable_sort = off SET plan_cache_mode = force_generic_plan
    AS $fn$
    #variable_conflict use_column
    DECLARE
      v_picked tid[];
      v_isolated boolean[];
      v_take tid[];
      v_n integer;
      v_first bigint;
    BEGIN
      -- The oldest heads of their subjects (nothing earlier of the subject is left: pending, in
      -- flight in another transaction, backing off, or dead in strict mode), due, not locked.
      IF p_positions IS NULL THEN
        -- 1. The heads among the oldest rows: a window of 4,096 positions from the consumer's oldest
        -- row, read in position order until enough heads are locked (usually the first rows).
        -- From the process's floor (see Worker.makeFloor: everything below it was handled a while
        -- ago), so a pinned xmin's dead index entries at the front are not walked by every take.
        v_first := (
          SELECT d.position FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.position >= p_floor ORDER BY d.position LIMIT 1
        );
        IF v_first IS NULL THEN
          RETURN;
        END IF;
        SELECT array_agg(p.ctid ORDER BY p.position), array_agg(p.isolate ORDER BY p.position)
        INTO v_picked, v_isolated
        FROM (
          -- pick:begin
          SELECT d.ctid, d.position, d.isolate FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.position >= v_first AND d.position < v_first + 4096
            AND NOT d.dead AND d.available_at <= now()
            AND d.position = (
              -- The subject's oldest row from the floor: a range on subject_key and this order can
              -- only be read from deliveries_subject (with an equality, after ANALYZE of an empty
              -- table the planner walked the primary key in position order filtering by subject),
              -- and the row comparison starts the read at the floor (a pinned xmin's dead entries
              -- of the subject below it are not walked).
              SELECT h.position FROM dispatch.deliveries h
              WHERE h.consumer = p_consumer AND (h.subject_key, h.position) >= (d.subject_key, p_floor)
                AND h.subject_key <= d.subject_key
              ORDER BY h.subject_key, h.position
              LIMIT 1
            )
          ORDER BY d.position
          LIMIT p_limit
          FOR UPDATE OF d SKIP LOCKED
          -- pick:end
        ) p;
        -- 2. Too few there (few subjects with long tails, or their heads in flight, backing off or
        -- dead): the heads of every subject past the window, one index probe per subject.
        IF coalesce(cardinality(v_picked), 0) < p_limit
          AND EXISTS (SELECT 1 FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position >= v_first + 4096)
        THEN
          SELECT v_picked || array_agg(p.ctid ORDER BY p.position), v_isolated || array_agg(p.isolate ORDER BY p.position)
          INTO v_picked, v_isolated
          FROM (
            SELECT d.ctid, d.position, d.isolate FROM dispatch.deliveries d
            WHERE d.consumer = p_consumer AND d.position = ANY(ARRAY(
              WITH RECURSIVE subjects AS (
                -- heads:begin
                (SELECT d.subject_key FROM dispatch.deliveries d WHERE d.consumer = p_consumer ORDER BY d.subject_key LIMIT 1)
                UNION ALL
                SELECT (SELECT d.subject_key FROM dispatch.deliveries d
                        WHERE d.consumer = p_consumer AND d.subject_key > s.subject_key ORDER BY d.subject_key LIMIT 1)
                FROM subjects s WHERE s.subject_key IS NOT NULL
              ),
              heads AS (
                SELECT h.position FROM subjects s CROSS JOIN LATERAL (
                  SELECT d.position, d.dead, d.available_at FROM dispatch.deliveries d
                  WHERE d.consumer = p_consumer AND d.subject_key = s.subject_key AND d.position >= p_floor
                  ORDER BY d.position LIMIT 1
                ) h
                WHERE s.subject_key IS NOT NULL AND NOT h.dead AND h.available_at <= now() AND h.position >= v_first + 4096
                -- heads:end
              )
              SELECT x.position FROM heads x ORDER BY x.position LIMIT p_limit - coalesce(cardinality(v_picked), 0)
            ))
            ORDER BY d.position
            FOR UPDATE OF d SKIP LOCKED
          ) p;
        END IF;
      ELSE
        -- The same, among given positions (a batch that gave way, replayed one by one).
        SELECT array_agg(p.ctid ORDER BY p.position), array_agg(p.isolate ORDER BY p.position)
        INTO v_picked, v_isolated
        FROM (
          SELECT d.ctid, d.position, d.isolate FROM dispatch.deliveries d
          WHERE d.consumer = p_consumer AND d.position = ANY(p_positions) AND NOT d.dead AND d.available_at <= now()
            AND d.position = (
              -- The subject's oldest row from the floor: a range on subject_key and this order can
              -- only be read from deliveries_subject (with an equality, after ANALYZE of an empty
              -- table the planner walked the primary key in position order filtering by subject),
              -- and the row comparison starts the read at the floor (a pinned xmin's dead entries
              -- of the subject below it are not walked).
              SELECT h.position FROM dispatch.deliveries h
              WHERE h.consumer = p_consumer AND (h.subject_key, h.position) >= (d.subject_key, p_floor)
                AND h.subject_key <= d.subject_key
              ORDER BY h.subject_key, h.position
              LIMIT 1
            )
          ORDER BY d.position
          LIMIT p_limit
          FOR UPDATE OF d SKIP LOCKED
        ) p;
      END IF;
      IF v_picked IS NULL THEN
        RETURN;
      END IF;
      -- A row under suspicion (its lane died) is taken alone; a batch stops before one (the rows
      -- after it stay locked, untouched, until this transaction ends).
      IF v_isolated[1] THEN
        v_take := v_picked[1:1];
      ELSE
        v_n := coalesce(array_position(v_isolated, true) - 1, cardinality(v_picked));
        v_take := v_picked[1:v_n];
      END IF;
      -- Sorting was disabled only to keep the head checks on deliveries_subject (the SET clause
      -- restores it when the function returns).
      PERFORM set_config('enable_sort', 'on', true);
      -- A batch's bounds for the rest of its transaction (see Worker.handle); one event alone
      -- waits for locks like any transaction.
      IF cardinality(v_take) > 1 AND p_lock_ms > 0 THEN
        PERFORM set_config('lock_timeout', p_lock_ms || 'ms', true);
      END IF;
      IF cardinality(v_take) > 1 AND p_statement_ms > 0 THEN
        PERFORM set_config('statement_timeout', p_statement_ms || 'ms', true);
      END IF;
      RETURN QUERY
        WITH taken AS (
          -- By the locked rows' physical addresses: stable while this transaction holds their
          -- locks, and a TID scan is the one plan that cannot go wrong (by position, PostgreSQL 18
          -- sometimes chose a skip scan of the whole deliveries_subject index: 9 ms per take).
          DELETE FROM dispatch.deliveries d
          WHERE d.ctid = ANY(v_take)
          RETURNING d.position, d.subject_key, d.created_at, d.failures, d.abandoned, d.isolate
        ),
        fresh AS (
          INSERT INTO dispatch.inbox (consumer, event_id)
          SELECT p_consumer, e.event_id FROM taken t JOIN dispatch.events e ON e.position = t.position
          ON CONFLICT DO NOTHING
          RETURNING event_id
        )
        SELECT t.position, t.subject_key, t.created_at, t.failures, t.abandoned, t.isolate,
          EXISTS (SELECT 1 FROM fresh f WHERE f.event_id = e.event_id), pg_current_xact_id()::text, v_first,
          e.event_id::text, e.event_type, e.event_version, e.producer, e.organization_id, e.subject_type,
          e.subject_id, e.actor_type, e.actor_id, e.correlation_id, e.causation_id, e.traceparent, e.occurred_at,
          e.recorded_at, e.payload
        FROM taken t JOIN dispatch.events e ON e.position = t.position
        ORDER BY t.position;
    END
    $fn$`)
  yield* sql.unsafe(`
    CREATE FUNCTION sweep(p_consumer text, p_max_abandoned integer, p_strict boolean)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE
    AS $fn$
    DECLARE
      v_lane record;
      v_row record;
      v_found integer := 0;
    BEGIN
      IF NOT pg_try_advisory_xact_lock(hashtext('tessera.dispatch.sweep.' || p_consumer)) THEN
        RETURN 0;
      END IF;
      -- Transactions that committed: their rows are done with.
      DELETE FROM dispatch.handling h
      WHERE h.consumer = p_consumer AND pg_xact_status(h.xid) IS DISTINCT FROM 'in progress'
        AND pg_xact_status(h.xid) IS DISTINCT FROM 'aborted';
      FOR v_lane IN
        SELECT h.ctid AS row_id, h.positions FROM dispatch.handling h
        WHERE h.consumer = p_consumer AND h.expires_at < now() AND pg_xact_status(h.xid) = 'aborted'
        FOR UPDATE OF h SKIP LOCKED
      LOOP
        IF cardinality(v_lane.positions) = 1 THEN
          UPDATE dispatch.deliveries d
          SET abandoned = d.abandoned + 1, isolate = true,
            dead = (p_strict AND d.abandoned + 1 >= p_max_abandoned)
          WHERE d.consumer = p_consumer AND d.position = v_lane.positions[1] AND NOT d.dead
            AND d.position IN (
              SELECT l.position FROM dispatch.deliveries l
              WHERE l.consumer = p_consumer AND l.position = v_lane.positions[1]
              FOR UPDATE SKIP LOCKED
            )
          RETURNING d.position, d.subject_key, d.failures, d.abandoned, d.last_error INTO v_row;
          IF NOT FOUND AND EXISTS (
            SELECT 1 FROM dispatch.deliveries d
            WHERE d.consumer = p_consumer AND d.position = v_lane.positions[1] AND NOT d.dead
          ) THEN
            CONTINUE; -- being handled again right now: count it at the next sweep
          END IF;
          IF FOUND THEN
            v_found := v_found + 1;
            IF v_row.abandoned >= p_max_abandoned THEN
              INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
              VALUES (p_consumer, v_row.position, v_row.subject_key, 'Abandoned',
                'its lease expired ' || v_row.abandoned || ' time(s) while it was being handled (the process crashed or hung)'
                  || coalesce('; last error: ' || v_row.last_error, ''),
                v_row.failures + v_row.abandoned, v_row.failures, v_row.abandoned)
              ON CONFLICT (consumer, position) DO UPDATE
                SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
                  failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
                  discarded_at = NULL, discard_reason = NULL;
              IF NOT p_strict THEN
                DELETE FROM dispatch.deliveries d WHERE d.consumer = p_consumer AND d.position = v_row.position;
              END IF;
            END IF;
          END IF;
        ELSE
          UPDATE dispatch.deliveries d SET isolate = true
          WHERE d.consumer = p_consumer AND d.position IN (
            SELECT l.position FROM dispatch.deliveries l
            WHERE l.consumer = p_consumer AND l.position = ANY(v_lane.positions)
            FOR UPDATE SKIP LOCKED
          );
        END IF;
        DELETE FROM dispatch.handling h WHERE h.ctid = v_lane.row_id;
      END LOOP;
      RETURN v_found;
    END
    $fn$`)
})

/**
 * What a consumer's events are ordered by (`Consumer.sequence`): the publish statement keys each
 * delivery row (`subject_key`, the ordering key) by the subscription's `sequence`: the event's
 * subject (the default), or its actor.
 */
const subscriptionSequence = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE subscriptions ADD COLUMN sequence text NOT NULL DEFAULT 'subject'
      CHECK (sequence IN ('subject', 'actor'))`
})

export const definition: Migrations.SchemaMigrations = {
  schema: SCHEMA,
  migrations: {
    "0001_outbox_deliveries_inbox": initial,
    "0002_drop_delivery_foreign_keys": dropDeliveryForeignKeys,
    "0003_claim_function": claimFunction,
    "0004_abandoned_deliveries": abandonedDeliveries,
    "0005_claim_model_v2": claimModelV2,
    "0006_bounded_claim": boundedClaim,
    "0007_brief_claim_locks": briefClaimLocks,
    "0008_claim_without_joins": claimWithoutJoins,
    "0009_heads_by_subplan": headsBySubPlan,
    "0010_claim_in_handling_transaction": claimInHandlingTransaction,
    "0011_subscription_sequence": subscriptionSequence
  }
}

/** Migrates the `dispatch` schema when built. Put it before the outbox and workers. */
export const layer = Migrations.layer(definition)
