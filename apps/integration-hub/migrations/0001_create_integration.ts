/**
 * The integration hub's tables, in the `integration` schema (the migration runs with
 * `search_path` set to it). Organization first in every key and foreign key: a sync config can
 * only name connections of its own organization, a run only a sync config of its own.
 */
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* Migrations.isoFunction

  // `credentials`: AES-256-GCM ciphertext (see CredentialVault), never the plain secret.
  yield* sql`
    CREATE TABLE connections (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      kind text NOT NULL CHECK (kind IN ('rest', 'csv', 'ndjson', 'crm')),
      config jsonb NOT NULL CHECK (config->>'kind' = kind),
      status text NOT NULL CHECK (status IN ('active', 'disabled')),
      credentials text CHECK (credentials IS NULL OR credentials LIKE 'v1:%'),
      credentials_updated_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK ((credentials IS NULL) = (credentials_updated_at IS NULL)),
      PRIMARY KEY (organization_id, id)
    )`
  yield* sql`CREATE INDEX connections_newest ON connections (organization_id, created_at DESC, id DESC)`

  yield* sql`
    CREATE TABLE sync_configs (
      organization_id text NOT NULL,
      id text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      source_connection_id text NOT NULL,
      target_connection_id text NOT NULL,
      source_object text,
      target_object text,
      direction text NOT NULL CHECK (direction IN ('source_to_target', 'target_to_source')),
      schedule text,
      conflict_policy text NOT NULL CHECK (conflict_policy IN ('source_wins', 'target_wins')),
      page_size integer NOT NULL CHECK (page_size BETWEEN 1 AND 5000),
      status text NOT NULL CHECK (status IN ('active', 'paused')),
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (source_connection_id <> target_connection_id),
      PRIMARY KEY (organization_id, id),
      FOREIGN KEY (organization_id, source_connection_id) REFERENCES connections (organization_id, id),
      FOREIGN KEY (organization_id, target_connection_id) REFERENCES connections (organization_id, id)
    )`
  yield* sql`CREATE INDEX sync_configs_newest ON sync_configs (organization_id, created_at DESC, id DESC)`
  yield* sql`CREATE INDEX sync_configs_scheduled ON sync_configs (id) WHERE schedule IS NOT NULL AND status = 'active'`

  yield* sql`
    CREATE TABLE field_mappings (
      organization_id text NOT NULL,
      id text NOT NULL,
      sync_config_id text NOT NULL,
      target_field text NOT NULL,
      rule jsonb NOT NULL,
      position bigint GENERATED ALWAYS AS IDENTITY,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, id),
      UNIQUE (organization_id, sync_config_id, target_field),
      FOREIGN KEY (organization_id, sync_config_id) REFERENCES sync_configs (organization_id, id)
    )`

  // `checkpoint`: where the next page starts (a cursor, an offset or a byte position) and what the
  // target needs to resume (a file's length), committed with the page's effects.
  yield* sql`
    CREATE TABLE sync_runs (
      organization_id text NOT NULL,
      id text NOT NULL,
      sync_config_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'partially_failed', 'failed', 'cancelled')),
      trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
      requested_by text NOT NULL,
      processed integer NOT NULL DEFAULT 0,
      created integer NOT NULL DEFAULT 0,
      updated integer NOT NULL DEFAULT 0,
      skipped integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      current_page integer NOT NULL DEFAULT 0,
      checkpoint jsonb NOT NULL DEFAULT '{}',
      error text,
      failures jsonb NOT NULL DEFAULT '[]',
      queued_at timestamptz NOT NULL,
      started_at timestamptz,
      finished_at timestamptz,
      CHECK ((status IN ('queued', 'running')) = (finished_at IS NULL)),
      CHECK (processed = created + updated + skipped + failed),
      PRIMARY KEY (organization_id, id),
      FOREIGN KEY (organization_id, sync_config_id) REFERENCES sync_configs (organization_id, id)
    )`
  // At most one queued or running run per sync config.
  yield* sql`
    CREATE UNIQUE INDEX sync_runs_one_active ON sync_runs (organization_id, sync_config_id)
    WHERE status IN ('queued', 'running')`
  yield* sql`CREATE INDEX sync_runs_newest ON sync_runs (organization_id, queued_at DESC, id DESC)`

  // Change detection: the checksum of what was last written per external id.
  yield* sql`
    CREATE TABLE record_states (
      organization_id text NOT NULL,
      sync_config_id text NOT NULL,
      external_id text NOT NULL,
      checksum text NOT NULL,
      run_id text NOT NULL,
      PRIMARY KEY (organization_id, sync_config_id, external_id),
      FOREIGN KEY (organization_id, sync_config_id) REFERENCES sync_configs (organization_id, id)
    )`

  // Each cron tick of a sync config is claimed once, by whichever process inserts it first.
  yield* sql`
    CREATE TABLE schedule_ticks (
      organization_id text NOT NULL,
      sync_config_id text NOT NULL,
      tick timestamptz NOT NULL,
      run_id text,
      claimed_at timestamptz NOT NULL,
      PRIMARY KEY (organization_id, sync_config_id, tick),
      FOREIGN KEY (organization_id, sync_config_id) REFERENCES sync_configs (organization_id, id)
    )`
})
