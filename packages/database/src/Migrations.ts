/**
 * Per-domain migrations: each app owns one PostgreSQL schema (`crm`, `learning`, `dispatch`, …)
 * and runs its migrations with the `effect/sql` Migrator inside that schema, recording them in
 * its own `<schema>.migrations` table. Apps never share a migrations table, so each can be
 * deployed and migrated on its own.
 */
import { Effect, Layer } from "effect"
import { Migrator, SqlClient } from "effect/sql"

export interface SchemaMigrations {
  /** The PostgreSQL schema the app owns. Its migrations run with `search_path` set to it. */
  readonly schema: string
  /** Migrations keyed `<id>_<name>`, e.g. `"0001_create_deals"`. */
  readonly migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/

/**
 * Runs the pending migrations of one schema in a single transaction. Concurrent starts (several
 * processes of one app) are serialised by a transaction-scoped advisory lock on the schema name.
 * Returns the `[id, name]` pairs that ran.
 */
export const run = ({ schema, migrations }: SchemaMigrations) =>
  Effect.gen(function* () {
    if (!SCHEMA_NAME.test(schema)) {
      return yield* Effect.die(`Invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`)
    }
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`tessera.migrations.${schema}`}))`
        yield* sql`CREATE SCHEMA IF NOT EXISTS ${sql(schema)}`
        yield* sql`SELECT set_config('search_path', ${`${schema},public`}, true)`
        return yield* Migrator.make({})({
          loader: Migrator.fromRecord(migrations),
          table: `${schema}.migrations`
        })
      })
    )
  }).pipe(
    Effect.tap((ran) =>
      ran.length === 0
        ? Effect.void
        : Effect.logInfo(`Migrated schema ${schema}: ${ran.map(([id, name]) => `${id}_${name}`).join(", ")}`)
    ),
    Effect.withSpan("Migrations.run", { attributes: { schema } })
  )

/** A layer that migrates the schema when built: put it in an app's Layer before its services. */
export const layer = (definition: SchemaMigrations) => Layer.effectDiscard(run(definition))

/**
 * `iso(timestamptz)`: a timestamp as the API writes it (ISO 8601 UTC with milliseconds), so rows
 * leave the database in the contracts' shape (`iso(created_at) AS "createdAt"`). Created in the
 * schema being migrated (`run` sets `search_path` to it): call it from an app's first migration
 * and select it schema-qualified (`crm.iso(…)`). The SQL is the one the CRM's and the learning
 * journey's first migrations ran.
 */
export const isoFunction = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`
    CREATE FUNCTION iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`
).pipe(Effect.asVoid)
