/**
 * A fresh database per test file on the run's PostgreSQL server (see `globalSetup.ts`), so test
 * files run in parallel and never see each other's rows. The database is dropped when the layer
 * is released.
 */
import { randomUUID } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import type { SqlClient } from "effect/sql"
import { inject } from "vitest"

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL to a database on the run's server with the right to create databases. */
    readonly tesseraAdminUrl: string
  }
}

export interface TestDatabaseShape {
  /** The database's name (`test_…`). */
  readonly name: string
  /** A URL to this database, for child processes and second pools. */
  readonly url: Redacted.Redacted<string>
}

export class TestDatabase extends Context.Service<TestDatabase, TestDatabaseShape>()(
  "@tessera/test-harness/TestDatabase"
) {}

/** The admin URL the global setup provided, with its database swapped for `database`. */
export const urlFor = (adminUrl: string, database: string): Redacted.Redacted<string> => {
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  return Redacted.make(url.toString())
}

const admin = (adminUrl: string) => PgClient.layer({ url: Redacted.make(adminUrl), maxConnections: 1 })

/** Creates a fresh database for the scope's lifetime and yields its name and URL. */
export const acquire = Effect.gen(function* () {
  const adminUrl = inject("tesseraAdminUrl")
  const name = `test_${randomUUID().replaceAll("-", "").slice(0, 20)}`
  yield* Effect.acquireRelease(
    Effect.flatMap(PgClient.PgClient, (sql) => sql`CREATE DATABASE ${sql(name)}`).pipe(
      Effect.provide(admin(adminUrl)),
      Effect.scoped,
      Effect.orDie
    ),
    () =>
      Effect.flatMap(PgClient.PgClient, (sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`).pipe(
        Effect.provide(admin(adminUrl)),
        Effect.scoped,
        Effect.orDie
      )
  )
  return TestDatabase.of({ name, url: urlFor(adminUrl, name) })
})

export interface LayerOptions {
  readonly maxConnections?: number
}

/** `TestDatabase` plus a `PgClient`/`SqlClient` pool on it. */
export const layer = (
  options: LayerOptions = {}
): Layer.Layer<TestDatabase | PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.unwrap(
    Effect.map(acquire, (database) =>
      Layer.merge(
        Layer.succeed(TestDatabase, database),
        PgClient.layer({ url: database.url, maxConnections: options.maxConnections ?? 10 }).pipe(Layer.orDie)
      )
    )
  )
