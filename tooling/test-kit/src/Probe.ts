/**
 * What the test kit installs in a test's database to watch and steer the real dispatcher without
 * touching it (schema `test_kit`; nothing of it exists outside tests):
 *
 * - progress: a statement trigger on `dispatch.deliveries` notifies `tessera_test_kit` whenever a
 *   delivery is added, leased, retried, acknowledged or dead-lettered, so `settle` wakes on every
 *   change instead of polling;
 * - pause: takes of a paused consumer take nothing (a BEFORE DELETE trigger keeps its live rows),
 *   so its deliveries pile up as lag until it is resumed — whatever process runs it;
 * - faults: the inbox rows a handler transaction writes first mark the transaction with its
 *   consumer and events; the first write a handler makes (to any app table, or publishing) then
 *   fails, or ends the connection mid-transaction ("crash"), while a fault's count lasts. Counts
 *   use sequences: a failed transaction rolls back, but not a sequence. A batch of several
 *   events holding a faulted one is made to give way without counting (the dispatcher then
 *   replays its events one per transaction), so `n` failures are `n` failed attempts of events.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export const CHANNEL = "tessera_test_kit"

const install = [
  `CREATE SCHEMA IF NOT EXISTS test_kit`,
  `CREATE TABLE IF NOT EXISTS test_kit.paused (consumer text PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS test_kit.faults (
     id serial PRIMARY KEY, consumer text NOT NULL, event_type text, mode text NOT NULL, times integer NOT NULL,
     seq text NOT NULL)`,
  `CREATE OR REPLACE FUNCTION test_kit.progress() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN PERFORM pg_notify('${CHANNEL}', TG_OP); RETURN NULL; END $$`,
  `CREATE OR REPLACE TRIGGER test_kit_progress AFTER INSERT OR UPDATE OR DELETE ON dispatch.deliveries
   FOR EACH STATEMENT EXECUTE FUNCTION test_kit.progress()`,
  `CREATE OR REPLACE FUNCTION test_kit.hold_paused() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NOT OLD.dead AND EXISTS (SELECT 1 FROM test_kit.paused p WHERE p.consumer = OLD.consumer) THEN
       RETURN NULL;
     END IF;
     RETURN OLD;
   END $$`,
  `DROP TRIGGER IF EXISTS test_kit_paused ON dispatch.deliveries`,
  `CREATE TRIGGER test_kit_paused BEFORE DELETE ON dispatch.deliveries
   FOR EACH ROW EXECUTE FUNCTION test_kit.hold_paused()`,
  `CREATE OR REPLACE FUNCTION test_kit.mark_handling() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM set_config('tessera_test.consumer', NEW.consumer, true);
     PERFORM set_config('tessera_test.event_ids',
       concat_ws(',', nullif(current_setting('tessera_test.event_ids', true), ''), NEW.event_id::text), true);
     PERFORM set_config('tessera_test.checked', '', true);
     RETURN NULL;
   END $$`,
  `CREATE OR REPLACE TRIGGER test_kit_handling AFTER INSERT ON dispatch.inbox
   FOR EACH ROW EXECUTE FUNCTION test_kit.mark_handling()`,
  `CREATE OR REPLACE FUNCTION test_kit.inject() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     v_consumer text := current_setting('tessera_test.consumer', true);
     v_ids uuid[];
     v_fault record;
     v_used bigint;
     v_n bigint;
   BEGIN
     IF v_consumer IS NULL OR v_consumer = '' OR current_setting('tessera_test.checked', true) = 'yes' THEN
       RETURN NULL;
     END IF;
     PERFORM set_config('tessera_test.checked', 'yes', true);
     v_ids := string_to_array(current_setting('tessera_test.event_ids', true), ',')::uuid[];
     FOR v_fault IN
       SELECT * FROM test_kit.faults f
       WHERE f.consumer = v_consumer
         AND (f.event_type IS NULL OR EXISTS (
           SELECT 1 FROM dispatch.events e WHERE e.event_id = ANY(v_ids) AND e.event_type = f.event_type))
       ORDER BY f.id
     LOOP
       IF cardinality(v_ids) > 1 THEN
         -- A batch of several events: make it give way, uncounted, while the fault has fires
         -- left, so the dispatcher replays its events one per transaction and the fault fires
         -- on the right one.
         EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %s', v_fault.seq) INTO v_used;
         IF v_used < v_fault.times THEN
           RAISE EXCEPTION 'tessera test kit: a batch of % holds an event with a fault injected', v_consumer;
         END IF;
         CONTINUE;
       END IF;
       v_n := nextval(v_fault.seq);
       IF v_n <= v_fault.times THEN
         IF v_fault.mode = 'crash' THEN
           PERFORM pg_terminate_backend(pg_backend_pid());
         END IF;
         RAISE EXCEPTION 'tessera test kit: injected failure % of % of % handling %', v_n, v_fault.times, v_consumer,
           (SELECT e.event_type FROM dispatch.events e WHERE e.event_id = v_ids[1]);
       END IF;
     END LOOP;
     RETURN NULL;
   END $$`
]

/** Installs the probe in the test's database (after the dispatcher's migrations). */
export const installProbe = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const statement of install) yield* sql.unsafe(statement)
})

/**
 * Puts the fault trigger on every table a handler may write: every app schema's tables (all but
 * the dispatcher's, the kit's and Postgres's own) and the outbox. Idempotent.
 */
export const armFaultTriggers = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql<{ schema: string; name: string }>`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE'
      AND (table_schema NOT IN ('pg_catalog', 'information_schema', 'dispatch', 'test_kit', 'contract_kit')
        OR (table_schema = 'dispatch' AND table_name = 'events'))`
  for (const table of tables) {
    yield* sql.unsafe(
      `CREATE OR REPLACE TRIGGER test_kit_inject AFTER INSERT OR UPDATE OR DELETE ON "${table.schema}"."${table.name}"
       FOR EACH STATEMENT EXECUTE FUNCTION test_kit.inject()`
    )
  }
})

export type FaultMode = "fail" | "crash"

/** Adds a fault: the consumer's next `times` handler transactions (of `eventType`, if given) fail or crash. */
export const addFault = (consumer: string, mode: FaultMode, times: number, eventType: string | undefined) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* armFaultTriggers
    const [row] = yield* sql<{ id: number }>`
      INSERT INTO test_kit.faults (consumer, event_type, mode, times, seq)
      VALUES (${consumer}, ${eventType ?? null}, ${mode}, ${times}, '') RETURNING id`
    const seq = `test_kit.fault_${row?.id ?? 0}`
    yield* sql.unsafe(`CREATE SEQUENCE ${seq}`)
    yield* sql`UPDATE test_kit.faults SET seq = ${seq} WHERE id = ${row?.id ?? 0}`
  })

/** Removes every fault. */
export const clearFaults = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM test_kit.faults`)

/** How many times the faults of a consumer have fired so far. */
export const faultsFired = (consumer: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const faults = yield* sql<{
      seq: string
      times: number
    }>`SELECT seq, times FROM test_kit.faults WHERE consumer = ${consumer}`
    let fired = 0
    for (const fault of faults) {
      const [row] = yield* sql.unsafe<{ last_value: string; is_called: boolean }>(
        `SELECT last_value::text, is_called FROM ${fault.seq}`
      )
      if (row?.is_called === true) fired += Math.min(Number(row.last_value), fault.times)
    }
    return fired
  })

export const pause = (consumer: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`INSERT INTO test_kit.paused (consumer) VALUES (${consumer}) ON CONFLICT DO NOTHING`
  )

/** Resumes a paused consumer and wakes its workers (the dispatcher's channel). */
export const resume = (consumer: string, dispatchChannel: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`
      WITH gone AS (DELETE FROM test_kit.paused WHERE consumer = ${consumer} RETURNING consumer)
      SELECT pg_notify(${dispatchChannel}, ${consumer}) FROM (SELECT 1) x`
  )

export const pausedConsumers = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ consumer: string }>`SELECT consumer FROM test_kit.paused`, (rows) => rows.map((r) => r.consumer))
)

/**
 * Hands events a consumer already handled to it again (at-least-once delivery on purpose): a
 * delivery row per event of its subscribed types (of one organization, if given) that has none.
 * Returns how many; wakes its workers.
 */
export const redeliver = (consumer: string, organizationId: string | undefined, dispatchChannel: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`
      WITH requeued AS (
        INSERT INTO dispatch.deliveries (consumer, position, subject_key)
        SELECT s.consumer, e.position, e.subject_type || ':' || e.subject_id
        FROM dispatch.events e JOIN dispatch.subscriptions s ON s.event_type = e.event_type AND s.consumer = ${consumer}
        WHERE ${organizationId === undefined ? sql`TRUE` : sql`e.organization_id = ${organizationId}`}
        ORDER BY e.position
        ON CONFLICT DO NOTHING
        RETURNING position
      )
      SELECT (SELECT count(*) FROM requeued)::int AS n, pg_notify(${dispatchChannel}, ${consumer}) IS NULL AS notified`
    return rows[0]?.n ?? 0
  })

/** Consumers with injected faults (their failures are expected). */
export const faultedConsumers = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ consumer: string }>`SELECT DISTINCT consumer FROM test_kit.faults`, (rows) =>
    rows.map((r) => r.consumer)
  )
)
