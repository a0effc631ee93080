import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import * as Migrations from "@tessera/database/Migrations"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as TestDatabase from "../src/TestDatabase.ts"

const alpha = {
  schema: "alpha",
  migrations: {
    "0001_create_notes": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE notes (id int PRIMARY KEY)`),
    "0002_add_body": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE notes ADD COLUMN body text`)
  }
}

const beta = {
  schema: "beta",
  migrations: {
    // Same table name as alpha's: each lands in its own schema.
    "0001_create_notes": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE notes (key text PRIMARY KEY)`)
  }
}

const recorded = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{
      migration_id: number
      name: string
    }>`SELECT migration_id, name FROM ${sql(`${schema}.migrations`)} ORDER BY migration_id`.pipe(
      Effect.map((rows) => rows.map((row) => `${row.migration_id}_${row.name}`))
    )
  )

layer(TestDatabase.layer(), { excludeTestServices: true })("Migrations", (it) => {
  it.effect("migrates two schemas independently, each with its own migrations table", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const ranAlpha = yield* Migrations.run(alpha)
      const ranBeta = yield* Migrations.run(beta)
      assert.deepStrictEqual(
        ranAlpha.map(([id]) => id),
        [1, 2]
      )
      assert.deepStrictEqual(
        ranBeta.map(([id]) => id),
        [1]
      )
      assert.deepStrictEqual(yield* recorded("alpha"), ["1_create_notes", "2_add_body"])
      assert.deepStrictEqual(yield* recorded("beta"), ["1_create_notes"])
      yield* sql`INSERT INTO alpha.notes (id, body) VALUES (1, 'a')`
      yield* sql`INSERT INTO beta.notes (key) VALUES ('b')`
      // Nothing leaked into public.
      const publicTables = yield* sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`
      assert.deepStrictEqual(publicTables, [])
    })
  )

  it.effect("runs only what is new on a second start, and nothing when up to date", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* Migrations.run(beta), [])
      const next = {
        schema: "beta",
        migrations: {
          ...beta.migrations,
          "0002_add_note": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE notes ADD COLUMN note text`)
        }
      }
      assert.deepStrictEqual(yield* Migrations.run(next), [[2, "add_note"]])
      assert.deepStrictEqual(yield* recorded("alpha"), ["1_create_notes", "2_add_body"])
    })
  )

  it.effect("rolls a failed migration back whole", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const broken = {
        schema: "gamma",
        migrations: {
          "0001_ok": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE t (id int)`),
          "0002_broken": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE missing ADD COLUMN x int`)
        }
      }
      const error = yield* Effect.flip(Migrations.run(broken))
      assert.strictEqual(error._tag, "MigrationError")
      const schemas = yield* sql`SELECT nspname FROM pg_namespace WHERE nspname = 'gamma'`
      assert.deepStrictEqual(schemas, [])
    })
  )

  it.effect("serialises concurrent starts of one schema (several processes of one app)", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const delta = {
        schema: "delta",
        migrations: {
          "0001_create": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE t (id int)`)
        }
      }
      const onOwnPool = Migrations.run(delta).pipe(
        Effect.provide(PgClient.layer({ url: database.url, maxConnections: 1 })),
        Effect.scoped
      )
      const results = yield* Effect.all([onOwnPool, onOwnPool, onOwnPool], { concurrency: "unbounded" })
      assert.strictEqual(
        results.map((ran) => ran.length).reduce((a, b) => a + b, 0),
        1
      )
    })
  )

  it.effect("rejects a schema name that is not a plain identifier", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Migrations.run({ schema: "crm; DROP TABLE x", migrations: {} }))
      assert.isTrue(exit._tag === "Failure")
    })
  )
})
