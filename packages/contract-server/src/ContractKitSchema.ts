/**
 * The kit's own tables, in the `contract_kit` schema: the audit log and the idempotency records.
 * Apps include `ContractKitSchema.layer` in their Layer, before serving. (Migration 0003 created a
 * stand-in event table used before the dispatcher existed; published migrations never change, so
 * 0004 drops it where it exists.)
 */
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export const SCHEMA = "contract_kit"

export const migrations = {
  "0001_audit_log": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        occurred_at timestamptz NOT NULL,
        organization_id text,
        actor_type text NOT NULL,
        actor_id text,
        contract_key text NOT NULL,
        contract_version text NOT NULL,
        action text NOT NULL,
        request_id text NOT NULL,
        correlation_id text NOT NULL,
        input jsonb,
        event_ids text[] NOT NULL DEFAULT '{}'
      )`
    yield* sql`CREATE INDEX audit_log_organization ON audit_log (organization_id, occurred_at)`
    yield* sql`CREATE INDEX audit_log_contract ON audit_log (contract_key, occurred_at)`
  }),
  "0002_idempotency_keys": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`
      CREATE TABLE idempotency_keys (
        organization_id text NOT NULL,
        operation text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        status integer,
        body jsonb,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (organization_id, operation, key)
      )`
  ),
  "0003_emitted_events": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`
      CREATE TABLE emitted_events (
        position bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
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
        recorded_at timestamptz NOT NULL DEFAULT now(),
        payload jsonb NOT NULL
      )`
  ),
  "0004_drop_emitted_events": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP TABLE IF EXISTS emitted_events`),
  // Audit retention (`AuditRetention`) deletes by age in batches: an index on the age alone.
  "0005_audit_log_occurred_at": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at)`
  )
}

/** Runs the kit's migrations (idempotent; safe with several processes starting at once). */
export const layer = Migrations.layer({ schema: SCHEMA, migrations })
